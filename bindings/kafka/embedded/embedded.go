// Package embedded runs an embedded Kafka-compatible broker (franz-go's
// kfake) inside the process, so that a Sluice pipeline can run on a
// machine with no Kafka: `sluice start --embedded-kafka DIR` uses it, and
// so do the kafka binding's tests when KAFKA_BOOTSTRAP_SERVERS is unset.
//
// The broker speaks the Kafka protocol (produce, fetch, consumer groups,
// transactions, SASL PLAIN/SCRAM, ACLs) on one listener. With a data
// directory its topics and records survive a restart; without one they
// live in memory. It is a development and test tool: a single broker,
// without replication, not tuned for throughput. It is independent of the
// engine.
package embedded

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Option adjusts Start.
type Option func(*config)

type config struct {
	host       string
	port       int
	partitions int
	topics     []string
	autoCreate bool
	log        *slog.Logger
	extra      []kfake.Opt
}

// Address sets the host and port to listen on, overriding 127.0.0.1 and a
// port the system chooses (0).
func Address(host string, port int) Option {
	return func(c *config) { c.host, c.port = host, port }
}

// Partitions sets the partition count of topics created by the broker,
// overriding 1 (Kafka's num.partitions default).
func Partitions(n int) Option { return func(c *config) { c.partitions = n } }

// Topics creates topics at start (a no-op for topics a data directory
// already holds).
func Topics(names ...string) Option {
	return func(c *config) { c.topics = append(c.topics, names...) }
}

// NoAutoCreate makes the broker refuse unknown topics, overriding the
// default of creating a topic the first time a client names it (what
// `make run` wants; a real broker's auto.create.topics.enable).
func NoAutoCreate() Option { return func(c *config) { c.autoCreate = false } }

// Logger sends the broker's warnings and errors to l, overriding
// discarding them.
func Logger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// With passes kfake options through, for tests that need SASL users,
// ACLs or several brokers.
func With(opts ...kfake.Opt) Option {
	return func(c *config) { c.extra = append(c.extra, opts...) }
}

// Start starts a broker keeping its data in dir ("" keeps it in memory)
// and returns its bootstrap address (host:port) and a function that stops
// it, saving its state to dir.
func Start(dir string, opts ...Option) (addr string, stop func(), err error) {
	c := config{host: "127.0.0.1", partitions: 1, autoCreate: true}
	for _, o := range opts {
		o(&c)
	}
	kopts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.DefaultNumPartitions(c.partitions),
		kfake.ClusterID("sluice-embedded"),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, net.JoinHostPort(c.host, strconv.Itoa(c.port)))
		}),
	}
	if dir != "" {
		kopts = append(kopts, kfake.DataDir(dir))
	}
	if c.autoCreate {
		kopts = append(kopts, kfake.AllowAutoTopicCreation())
	}
	if len(c.topics) > 0 {
		kopts = append(kopts, kfake.SeedTopics(int32(c.partitions), c.topics...))
	}
	if c.log != nil {
		kopts = append(kopts, kfake.WithLogger(slogger{c.log}))
	}
	cluster, err := kfake.NewCluster(append(kopts, c.extra...)...)
	if err != nil {
		return "", nil, fmt.Errorf("embedded kafka: %w", err)
	}
	if c.autoCreate {
		// Clients ask for auto-creation on metadata requests (the Java
		// producer does, franz-go only when told to); the embedded broker
		// creates any topic a client names, as a development broker should.
		cluster.ControlKey(int16(kmsg.Metadata), func(req kmsg.Request) (kmsg.Response, error, bool) {
			req.(*kmsg.MetadataRequest).AllowAutoTopicCreation = true
			return nil, nil, false
		})
	}
	addrs := cluster.ListenAddrs()
	if len(addrs) == 0 {
		cluster.Close()
		return "", nil, fmt.Errorf("embedded kafka: no listener")
	}
	return addrs[0], cluster.Close, nil
}

// slogger adapts slog to kfake's logger, keeping warnings and errors.
type slogger struct{ log *slog.Logger }

func (l slogger) Logf(level kfake.LogLevel, format string, args ...any) {
	switch level {
	case kfake.LogLevelError:
		l.log.Error("embedded kafka: " + fmt.Sprintf(format, args...))
	case kfake.LogLevelWarn:
		l.log.Warn("embedded kafka: " + fmt.Sprintf(format, args...))
	}
}
