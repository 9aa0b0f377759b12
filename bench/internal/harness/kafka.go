package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Kafka is a broker run by scripts/kafka.sh for the benchmarks.
type Kafka struct {
	Bootstrap string
	env       []string
}

// StartKafka starts real Apache Kafka with scripts/kafka.sh, with a state
// folder and ports of its own: it neither reuses nor stops a broker that
// someone else's tests run on the same machine.
func StartKafka(stateDir string) (*Kafka, error) {
	port, err := freePortPair()
	if err != nil {
		return nil, err
	}
	k := &Kafka{env: append(os.Environ(), "SLUICE_STATE_DIR="+stateDir,
		"KAFKA_PORT="+strconv.Itoa(port), "KAFKA_CONTROLLER_PORT="+strconv.Itoa(port+1))}
	cmd := exec.Command("scripts/kafka.sh", "start")
	cmd.Env = k.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("scripts/kafka.sh start: %w\n%s", err, stderr.String())
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "KAFKA_BOOTSTRAP_SERVERS="); ok {
			k.Bootstrap = strings.TrimSpace(v)
		}
	}
	if k.Bootstrap == "" {
		k.Stop()
		return nil, fmt.Errorf("scripts/kafka.sh start printed no KAFKA_BOOTSTRAP_SERVERS:\n%s", out)
	}
	return k, nil
}

// Stop stops the broker and deletes its data.
func (k *Kafka) Stop() error {
	cmd := exec.Command("scripts/kafka.sh", "stop")
	cmd.Env = k.env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("scripts/kafka.sh stop: %w\n%s", err, out)
	}
	return nil
}

// freePortPair returns a port p with p and p+1 free (the listener and the
// KRaft controller).
func freePortPair() (int, error) {
	for range 50 {
		p := FreePort()
		if p < 65535 && !Accepts("127.0.0.1:"+strconv.Itoa(p+1)) {
			return p, nil
		}
	}
	return 0, fmt.Errorf("no two free consecutive ports")
}

// KafkaClient returns a franz-go client of the scenario's Kafka.
func (e *Env) KafkaClient(opts ...kgo.Opt) *kgo.Client {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(strings.Split(e.Kafka, ",")...)}, opts...)...)
	Check(err)
	return cl
}

// Topic is a topic to create.
type Topic struct {
	Name       string
	Partitions int32
	Compact    bool
	// Shared topics may exist already and are kept when the scenario ends
	// (the quickstart's items topic: its name is in the configuration).
	Shared bool
}

// CreateTopics creates topics and waits until every partition has a
// leader; they are deleted when the scenario ends, unless shared.
func (e *Env) CreateTopics(topics ...Topic) {
	cl := e.KafkaClient()
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var names []string
	for _, t := range topics {
		configs := map[string]*string{}
		if t.Compact {
			compact := "compact"
			configs["cleanup.policy"] = &compact
		}
		resp, err := adm.CreateTopic(ctx, t.Partitions, 1, configs, t.Name)
		if err == nil {
			err = resp.Err
		}
		if t.Shared && errors.Is(err, kerr.TopicAlreadyExists) {
			err = nil
		}
		if err != nil {
			Failf("create topic %s: %v", t.Name, err)
		}
		if !t.Shared {
			names = append(names, t.Name)
		}
	}
	e.mu.Lock()
	e.topics = append(e.topics, names...)
	e.mu.Unlock()
	for _, t := range topics {
		for {
			if ctx.Err() != nil {
				Failf("topic %s has no leader after a minute", t.Name)
			}
			ends, err := adm.ListEndOffsets(ctx, t.Name)
			n := 0
			ends.Each(func(lo kadm.ListedOffset) {
				if lo.Err == nil && lo.Partition >= 0 {
					n++
				}
			})
			if err == nil && n == int(t.Partitions) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// deleteTopics deletes the topics the scenario created.
func (e *Env) deleteTopics() {
	e.mu.Lock()
	topics := e.topics
	e.topics = nil
	e.mu.Unlock()
	if len(topics) == 0 || e.Kafka == "" {
		return
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(e.Kafka, ",")...))
	if err != nil {
		return
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	kadm.NewClient(cl).DeleteTopics(ctx, topics...)
}
