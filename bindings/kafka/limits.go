package kafka

import (
	"context"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Record size limits. Kafka refuses a record batch larger than the topic's
// max.message.bytes (by default the broker's message.max.bytes, itself
// 1048588 by default), so the client asks the cluster for it once per
// topic, refuses larger records before producing anything, and lets
// franz-go build batches up to it.
const (
	// kafkaMessageMaxBytes is Kafka's default message.max.bytes: the limit
	// assumed when the cluster will not tell (no DescribeConfigs
	// permission); the broker has the last word.
	kafkaMessageMaxBytes = 1_048_588
	// franzBatchMaxBytes is franz-go's default batch limit, for topics
	// whose limit is not known yet.
	franzBatchMaxBytes = 1_000_012
	// batchOverhead is what a record batch adds around its records: a
	// value larger than the limit less this can never be written.
	batchOverhead = 61
	// limitTTL is how long a topic's limit is trusted.
	limitTTL = time.Minute
	// minBatchBytes and maxBatchBytes are what franz-go accepts as a
	// batch limit.
	minBatchBytes, maxBatchBytes = 512, 1 << 30
)

// topicLimit is a topic's max.message.bytes, as last looked up.
type topicLimit struct {
	bytes int
	at    time.Time
}

// recordLimit returns a topic's max.message.bytes when it is known and
// fresh. Otherwise it returns false and calls done with it from another
// goroutine once looked up (lookups of one topic are shared); kcl is the
// client to ask with.
func (c *cluster) recordLimit(topic string, kcl *kgo.Client, done func(int)) (int, bool) {
	c.limitsMu.Lock()
	if l, ok := c.limits[topic]; ok && time.Since(l.at) < limitTTL {
		c.limitsMu.Unlock()
		return l.bytes, true
	}
	if c.limitWaiters == nil {
		c.limitWaiters = map[string][]func(int){}
	}
	waiting := c.limitWaiters[topic]
	c.limitWaiters[topic] = append(waiting, done)
	c.limitsMu.Unlock()
	if len(waiting) == 0 {
		go c.lookUpLimit(topic, kcl)
	}
	return 0, false
}

// lookUpLimit asks the cluster for a topic's max.message.bytes (a topic
// that does not exist yet gets the broker's message.max.bytes when it is
// created on produce), caches it and tells the waiters.
func (c *cluster) lookUpLimit(topic string, kcl *kgo.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	adm := kadm.NewClient(kcl)
	n, err := topicConfigInt(ctx, adm, topic, "max.message.bytes")
	if err != nil {
		n, err = brokerConfigInt(ctx, adm, "message.max.bytes")
	}
	if err != nil {
		c.log.Debug("kafka record size limit unavailable: assuming Kafka's default", "topic", topic, "default", kafkaMessageMaxBytes, "error", err)
		n = kafkaMessageMaxBytes
	}
	n = min(max(n, minBatchBytes), maxBatchBytes)
	c.limitsMu.Lock()
	if c.limits == nil {
		c.limits = map[string]topicLimit{}
	}
	c.limits[topic] = topicLimit{bytes: n, at: time.Now()}
	waiters := c.limitWaiters[topic]
	delete(c.limitWaiters, topic)
	c.limitsMu.Unlock()
	for _, done := range waiters {
		done(n)
	}
}

// batchLimit is franz-go's ProducerBatchMaxBytesFn: the topic's limit once
// looked up. franz-go asks once per partition, when it first produces to
// it, which a produce stream does only after the lookup.
func (c *cluster) batchLimit(topic string) int32 {
	c.limitsMu.Lock()
	l, ok := c.limits[topic]
	c.limitsMu.Unlock()
	if !ok {
		return franzBatchMaxBytes
	}
	return int32(l.bytes)
}

// maxValue is the largest value a record may have under a batch limit.
func maxValue(limit int) int { return limit - batchOverhead }

func topicConfigInt(ctx context.Context, adm *kadm.Client, topic, key string) (int, error) {
	rcs, err := adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return 0, err
	}
	rc, err := rcs.On(topic, nil)
	if err == nil {
		err = rc.Err
	}
	if err != nil {
		return 0, err
	}
	return configInt(rc.Configs, key)
}

func brokerConfigInt(ctx context.Context, adm *kadm.Client, key string) (int, error) {
	brokers, err := adm.ListBrokers(ctx)
	if err != nil {
		return 0, err
	}
	if len(brokers) == 0 {
		return 0, errNoConfig(key)
	}
	rcs, err := adm.DescribeBrokerConfigs(ctx, brokers[0].NodeID)
	if err != nil {
		return 0, err
	}
	if len(rcs) == 0 {
		return 0, errNoConfig(key)
	}
	if rcs[0].Err != nil {
		return 0, rcs[0].Err
	}
	return configInt(rcs[0].Configs, key)
}

func configInt(cfgs []kadm.Config, key string) (int, error) {
	for _, cfg := range cfgs {
		if cfg.Key == key && cfg.Value != nil {
			return strconv.Atoi(*cfg.Value)
		}
	}
	return 0, errNoConfig(key)
}

type errNoConfig string

func (e errNoConfig) Error() string { return "kafka configuration " + string(e) + " not described" }
