package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// Timeouts and sizes of the franz-go clients, chosen for request-reply
// paths: a record is never left waiting for a batch to fill, and a failure
// reaches the stream in seconds rather than minutes.
const (
	// produceLinger is zero: a record is sent as soon as a produce request
	// can be built (franz-go's default is 10ms). Records still batch
	// whenever requests are in flight, so throughput under load holds up.
	produceLinger = 0
	// fetchMaxBytes bounds what one fetch response may hold, and so what
	// one fetch stream buffers ahead of its reader.
	fetchMaxBytes = 1 << 20
	// fetchMaxWait is how long the broker holds a fetch when there is
	// nothing new.
	fetchMaxWait = 500 * time.Millisecond
)

// Variables rather than constants so that tests can shorten them.
var (
	// deliveryTimeout bounds how long a record may wait for the cluster
	// (unreachable, leaderless, restarting) before its stream is told it
	// failed.
	deliveryTimeout = 30 * time.Second
	// requestTimeout bounds metadata and offset lookups when a fetch
	// begins.
	requestTimeout = 10 * time.Second
)

// dialer is what a tcp or tls client exit offers: connections subject to
// its allow-list and TLS settings.
type dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// cluster is how a kafka client binding reaches its cluster: seed
// brokers, dialer and SASL, shared by every franz-go client it makes. It
// keeps one producing client per ack mode (each mode needs its own client
// in franz-go) and makes a consuming client per fetch stream.
type cluster struct {
	log   *slog.Logger
	name  string
	seeds []string
	opts  []kgo.Opt
	conns *connLog

	// consumers counts the fetch goroutines, each with a franz-go client,
	// so that close returns once they have let go of their connections.
	consumers sync.WaitGroup

	// ackers take produce outcomes from franz-go's promise goroutine to
	// the streams (acks.go).
	ackers ackers
	// deadlines times out produced records the cluster never answers.
	deadlines deadlines

	mu        sync.Mutex
	producers [3]*kgo.Client // indexed by kafkaspec.AckMode
	closed    bool
	policies  map[string]topicPolicy
	// limits caches each topic's max.message.bytes; limitWaiters holds
	// the streams waiting for a lookup under way (limits.go). limitsMu
	// guards both: franz-go asks for limits while mu is held (NewClient).
	limitsMu     sync.Mutex
	limits       map[string]topicLimit
	limitWaiters map[string][]func(int)
}

// topicPolicy remembers whether a topic is compacted, for a minute.
type topicPolicy struct {
	compacted bool
	at        time.Time
}

func newCluster(bc *engine.BindingContext, opts *Options) (*cluster, error) {
	var seeds []string
	for _, s := range opts.Servers {
		for _, one := range strings.Split(s, ",") {
			if one = strings.TrimSpace(one); one != "" {
				seeds = append(seeds, one)
			}
		}
	}
	if len(seeds) == 0 {
		return nil, engine.FieldErrorf("options.servers", "a kafka client needs at least one bootstrap server")
	}
	c := &cluster{log: bc.Log, name: bc.Name(), seeds: seeds, conns: &connLog{log: bc.Log, failing: map[string]time.Time{}}}
	c.opts = []kgo.Opt{
		kgo.SeedBrokers(seeds...),
		kgo.ClientID("sluice"),
		kgo.WithHooks(c.conns),
		kgo.RetryBackoffFn(backoff),
	}
	mech, err := saslMechanism(bc, opts)
	if err != nil {
		return nil, err
	}
	if mech != nil {
		c.opts = append(c.opts, kgo.SASL(mech))
		c.conns.sasl = mech.Name()
	}
	return c, nil
}

// useExit makes every franz-go client dial through the client's exit, if
// it has one. It runs at Start: an exit declared after the client is not
// built yet when the client is.
func (c *cluster) useExit(routes []*engine.Route) error {
	for _, r := range routes {
		if r.Exit == nil {
			continue
		}
		d, ok := r.Exit.Target().(dialer)
		if !ok {
			return fmt.Errorf("exit %s cannot dial Kafka brokers: a kafka client's exit must be a tcp or tls client", r.Exit.Name())
		}
		c.mu.Lock()
		c.opts = append(c.opts, kgo.Dialer(d.DialContext))
		c.mu.Unlock()
		return nil
	}
	return nil
}

// saslMechanism builds the SASL mechanism from `sasl` (Zilla 1.x) or
// `authorization` with a guard (Zilla 2.x).
func saslMechanism(bc *engine.BindingContext, opts *Options) (sasl.Mechanism, error) {
	creds, path := opts.SASL, "options.sasl"
	var identity, secret string
	for guard, a := range opts.Authorization {
		path = "options.authorization." + guard + ".credentials"
		creds = &a.Credentials
		g := bc.Guard(guard)
		if g == nil {
			return nil, engine.FieldErrorf("options.authorization."+guard, "guard %q is not defined", guard)
		}
		// Connections are shared by every stream, so the guard's static
		// session (0) supplies them: an inline guard's.
		gc, ok := g.(engine.GuardCredentials)
		if !ok {
			return nil, engine.FieldErrorf("options.authorization."+guard, "guard %q supplies no credentials (use an inline guard)", guard)
		}
		secret = gc.Credentials(0)
		if gi, ok := g.(engine.GuardIdentity); ok {
			identity = gi.Identity(0)
		} else if usesIdentity(&a.Credentials) {
			return nil, engine.FieldErrorf(path, "guard %q supplies no identity for {identity}", guard)
		}
	}
	if creds == nil {
		return nil, nil
	}
	fill := strings.NewReplacer("{identity}", identity, "{credentials}", secret).Replace
	user, pass, token := fill(creds.Username), fill(creds.Password), fill(creds.Token)
	switch creds.Mechanism {
	case "plain":
		return plain.Auth{User: user, Pass: pass}.AsMechanism(), nil
	case "scram-sha-256":
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism(), nil
	case "scram-sha-512":
		return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism(), nil
	case "oauthbearer":
		return oauth.Auth{Token: token}.AsMechanism(), nil
	case "scram-sha-1":
		return nil, engine.FieldErrorf(path+".mechanism", "scram-sha-1 is not a SASL mechanism Kafka brokers offer: use scram-sha-256 or scram-sha-512")
	}
	return nil, engine.FieldErrorf(path+".mechanism", "unknown SASL mechanism %q", creds.Mechanism)
}

// usesIdentity reports whether credentials refer to {identity}.
func usesIdentity(c *Credentials) bool {
	for _, v := range []string{c.Username, c.Password, c.Token} {
		if strings.Contains(v, "{identity}") {
			return true
		}
	}
	return false
}

// backoff grows from 100ms to 5s, so that a cluster that is down costs a
// few attempts a second at first and one every 5 seconds after that.
func backoff(tries int) time.Duration {
	d := 100 * time.Millisecond
	for i := 1; i < tries && d < 5*time.Second; i++ {
		d *= 2
	}
	return min(d, 5*time.Second)
}

var errClusterClosed = errors.New("kafka client closed")

// producer returns the producing client for an ack mode, making it on
// first use.
func (c *cluster) producer(mode kafkaspec.AckMode) (*kgo.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errClusterClosed
	}
	if mode > kafkaspec.AckNone {
		mode = kafkaspec.AckInSyncReplicas
	}
	if p := c.producers[mode]; p != nil {
		return p, nil
	}
	opts := append(slices.Clip(c.opts),
		kgo.ProducerLinger(produceLinger),
		// Batches as large as each topic takes (max.message.bytes).
		kgo.ProducerBatchMaxBytesFn(c.batchLimit),
		kgo.RecordDeliveryTimeout(deliveryTimeout),
		kgo.ProduceRequestTimeout(deliveryTimeout),
		// Produce never blocks the stream's Executor: TryProduce fails a
		// record at once when this much is buffered. Each stream's window
		// bounds what it has waiting; these bound what records reported
		// timed out but still in flight can add while a cluster is down.
		kgo.MaxBufferedRecords(1<<20),
		kgo.MaxBufferedBytes(256<<20),
		// Topics may be created on first produce where the broker allows
		// it, as the Java producer does.
		kgo.AllowAutoTopicCreation(),
	)
	switch mode {
	case kafkaspec.AckLeaderOnly:
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	case kafkaspec.AckNone:
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite())
	default:
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	}
	p, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka producer: %w", err)
	}
	c.ackers.start()
	c.producers[mode] = p
	return p, nil
}

// consumer makes a client for one fetch stream. It has its own
// connections, so that its long-polling fetches never queue behind
// another stream's on a shared connection.
func (c *cluster) consumer(extra ...kgo.Opt) (*kgo.Client, error) {
	c.mu.Lock()
	closed, opts := c.closed, slices.Clip(c.opts)
	c.mu.Unlock()
	if closed {
		return nil, errClusterClosed
	}
	opts = append(opts,
		kgo.FetchMaxBytes(fetchMaxBytes),
		kgo.FetchMaxPartitionBytes(fetchMaxBytes),
		kgo.FetchMaxWait(fetchMaxWait),
		kgo.KeepControlRecords(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.RequestRetries(3),
	)
	return kgo.NewClient(append(opts, extra...)...)
}

// compacted reports whether a topic's cleanup.policy includes compact,
// asking the cluster at most once a minute per topic. When the cluster
// will not say (no DescribeConfigs permission), the topic is taken as not
// compacted, which only costs the cache its latest-by-key view.
func (c *cluster) compacted(ctx context.Context, adm *kadm.Client, topic string) bool {
	c.mu.Lock()
	p, ok := c.policies[topic]
	c.mu.Unlock()
	if ok && time.Since(p.at) < time.Minute {
		return p.compacted
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, topic)
	if err == nil {
		var rc kadm.ResourceConfig
		if rc, err = rcs.On(topic, nil); err == nil && rc.Err == nil {
			for _, cfg := range rc.Configs {
				if cfg.Key == "cleanup.policy" && cfg.Value != nil {
					p.compacted = strings.Contains(*cfg.Value, "compact")
				}
			}
		} else if err == nil {
			err = rc.Err
		}
	}
	if err != nil {
		c.log.Debug("kafka topic configuration unavailable", "topic", topic, "error", err)
	}
	p.at = time.Now()
	c.mu.Lock()
	if c.policies == nil {
		c.policies = map[string]topicPolicy{}
	}
	c.policies[topic] = p
	c.mu.Unlock()
	return p.compacted
}

// close closes the producing clients, once their buffered records are
// delivered or failed, and waits (a few seconds at most) for the fetch
// goroutines, whose streams the engine has ended, to close theirs.
func (c *cluster) close() {
	c.mu.Lock()
	c.closed = true
	producers := c.producers
	c.producers = [3]*kgo.Client{}
	c.mu.Unlock()
	for _, p := range producers {
		if p != nil {
			p.Close()
		}
	}
	c.ackers.stop()
	done := make(chan struct{})
	go func() {
		c.consumers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		c.log.Warn("kafka fetches still closing")
	}
}

// connLog logs changes of connection state to each broker: the first
// failure, a reminder every 30 seconds while it keeps failing, and the
// recovery. franz-go retries with backoff meanwhile.
type connLog struct {
	log     *slog.Logger
	sasl    string // the SASL mechanism, named in failures: a broker may just hang up on bad credentials
	mu      sync.Mutex
	failing map[string]time.Time // broker address -> when last logged
}

// OnBrokerConnect implements kgo.HookBrokerConnect.
func (l *connLog) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	addr := net.JoinHostPort(meta.Host, fmt.Sprint(meta.Port))
	l.mu.Lock()
	last, wasFailing := l.failing[addr]
	now := time.Now()
	switch {
	case err == nil && wasFailing:
		delete(l.failing, addr)
	case err != nil && (!wasFailing || now.Sub(last) >= 30*time.Second):
		l.failing[addr] = now
	default:
		l.mu.Unlock()
		return
	}
	l.mu.Unlock()
	if err == nil {
		l.log.Info("kafka connection restored", "broker", addr)
		return
	}
	msg := "kafka connection failed"
	if wasFailing {
		msg = "kafka connection still failing"
	}
	if l.sasl != "" {
		l.log.Warn(msg, "broker", addr, "sasl", l.sasl, "error", err)
	} else {
		l.log.Warn(msg, "broker", addr, "error", err)
	}
}

var _ kgo.HookBrokerConnect = (*connLog)(nil)
