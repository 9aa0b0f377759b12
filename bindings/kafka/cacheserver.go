package kafka

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

const (
	// defaultRetentionBytes bounds each cached partition when the options
	// do not.
	defaultRetentionBytes = 64 << 20
	// idleTopicTimeout is how long a topic nobody reads stays cached
	// (bootstrap topics stay for good).
	idleTopicTimeout = 5 * time.Minute
)

// cacheServer is the kafka cache_server binding: it owns a cache of the
// topics in use, each filled by one fetch stream (the tail) to its exit,
// and serves fetch streams from it. Streams that produce, or join a
// consumer group, pass through to the exit.
type cacheServer struct {
	bc     *engine.BindingContext
	log    *slog.Logger
	routes []route
	topics []topicConfig
	def    topicConfig

	mu     sync.Mutex
	caches map[string]*topicCache
	closed bool
	ctx    context.Context
	cancel context.CancelFunc

	bytes, entries atomic.Int64 // across every cached partition, for metrics

	// wakers run the readers new records wake (wakers.go).
	wakers wakers
}

// topicConfig is what the options say about a topic (pattern).
type topicConfig struct {
	pattern   *regexp.Regexp
	live      bool // defaultOffset: live
	maxBytes  int64
	maxAge    time.Duration
	bootstrap bool
}

func newCacheServer(bc *engine.BindingContext, opts *Options) (*cacheServer, error) {
	routes, err := compileRoutes(bc.Routes)
	if err != nil {
		return nil, err
	}
	def := topicConfig{maxBytes: defaultRetentionBytes}
	applyRetention(&def, opts.Retention)
	cs := &cacheServer{bc: bc, log: bc.Log, routes: routes, def: def, caches: map[string]*topicCache{}}
	for i, t := range opts.Topics {
		path := fmt.Sprintf("options.topics.%d", i)
		if err := unsupportedTopicOptions(path, t); err != nil {
			return nil, err
		}
		re, err := topicPattern(t.Name)
		if err != nil {
			return nil, engine.FieldErrorf(path+".name", "%v", err)
		}
		tc := def
		tc.pattern, tc.live = re, t.DefaultOffset == "live"
		applyRetention(&tc, t.Retention)
		cs.topics = append(cs.topics, tc)
	}
	cs.ctx, cs.cancel = context.WithCancel(context.Background())
	bc.Metrics().Register("kafka.cache.bytes", bc.Name(), cs.bytes.Load)
	bc.Metrics().Register("kafka.cache.entries", bc.Name(), cs.entries.Load)
	return cs, nil
}

func applyRetention(tc *topicConfig, r *Retention) {
	if r == nil {
		return
	}
	if r.Bytes > 0 {
		tc.maxBytes = r.Bytes
	}
	if r.Ms > 0 {
		tc.maxAge = time.Duration(r.Ms) * time.Millisecond
	}
}

// unsupportedTopicOptions refuses what this binding does not implement
// yet, rather than accepting it and doing nothing.
func unsupportedTopicOptions(path string, t TopicOptions) error {
	switch {
	case t.Key != nil:
		return engine.FieldErrorf(path+".key", "models on cached topics are not supported yet")
	case t.Value != nil:
		return engine.FieldErrorf(path+".value", "models on cached topics are not supported yet")
	case len(t.Transforms) > 0:
		return engine.FieldErrorf(path+".transforms", "transforms on cached topics are not supported yet")
	case t.DeltaType == "json_patch":
		return engine.FieldErrorf(path+".deltaType", "deltaType json_patch is deprecated and not supported")
	}
	return nil
}

// topicPattern compiles a topics[].name as Zilla does: {name} segments
// match any run of characters, the rest is a regular expression.
func topicPattern(name string) (*regexp.Regexp, error) {
	var b strings.Builder
	for rest := name; rest != ""; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("topic %q: unclosed {", name)
		}
		b.WriteString(rest[:i])
		b.WriteString(".+")
		rest = rest[i+j+1:]
	}
	return regexp.Compile("^(?:" + b.String() + ")$")
}

// config returns the settings of a topic.
func (cs *cacheServer) config(topic string) topicConfig {
	for _, tc := range cs.topics {
		if tc.pattern.MatchString(topic) {
			return tc
		}
	}
	return cs.def
}

// Start begins caching the bootstrap topics.
func (cs *cacheServer) Start(context.Context) error {
	opts, _ := cs.bc.Options().(*Options)
	if opts == nil {
		return nil
	}
	for _, topic := range opts.Bootstrap {
		r := resolve(cs.routes, topic, 0)
		if r == nil || r.Exit == nil {
			return fmt.Errorf("bootstrap topic %s matches no route", topic)
		}
		tc := cs.cache(topic, r.Exit)
		tc.mu.Lock()
		tc.cfg.bootstrap = true
		tc.mu.Unlock()
	}
	return nil
}

// Drain stops every tail when the engine shuts down, so that a graceful
// shutdown does not wait for streams that never end; readers keep what
// the cache holds until their own streams end.
func (cs *cacheServer) Drain() { cs.Close() }

// Close stops every tail. Readers were terminated by the engine.
func (cs *cacheServer) Close() error {
	cs.mu.Lock()
	cs.closed = true
	caches := cs.caches
	cs.caches = map[string]*topicCache{}
	cs.mu.Unlock()
	cs.cancel()
	for _, tc := range caches {
		tc.close()
	}
	cs.wakers.stop()
	return nil
}

// cache returns the topic's cache, making it (and starting its tail) on
// first use.
func (cs *cacheServer) cache(topic string, exit *engine.Exit) *topicCache {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if tc := cs.caches[topic]; tc != nil {
		return tc
	}
	tc := newTopicCache(cs, topic, exit, cs.config(topic))
	cs.wakers.start()
	if !cs.closed {
		cs.caches[topic] = tc
		tc.startTail()
	}
	return tc
}

// forget drops a topic's cache if it is still the one registered.
func (cs *cacheServer) forget(tc *topicCache) {
	cs.mu.Lock()
	if cs.caches[tc.topic] == tc {
		delete(cs.caches, tc.topic)
	}
	cs.mu.Unlock()
}

// Accept serves a fetch from the cache, and passes anything else through
// to the exit.
func (cs *cacheServer) Accept(s *engine.Stream, begin *engine.Frame) (engine.Receiver, error) {
	ex, err := mergedBegin(begin)
	if err != nil {
		return nil, err
	}
	r := resolve(cs.routes, ex.Topic, begin.Authorization)
	if r == nil || r.Exit == nil {
		cs.log.Warn("no route for kafka topic", "topic", ex.Topic)
		return nil, fmt.Errorf("kafka: no route for topic %s", ex.Topic)
	}
	if !cacheable(ex) {
		return &relay{exit: r.Exit, log: cs.log}, nil
	}
	return newCacheReader(cs.cache(ex.Topic, r.Exit), ex), nil
}

// cacheable reports whether the cache serves a stream: plain fetches.
func cacheable(ex *kafkaspec.BeginEx) bool {
	return ex.Capabilities == kafkaspec.FetchOnly && ex.GroupID == ""
}

var (
	_ engine.Acceptor = (*cacheServer)(nil)
	_ engine.Starter  = (*cacheServer)(nil)
	_ engine.Drainer  = (*cacheServer)(nil)
)

// tails returns how many topics are cached, each with its tail stream
// (for tests that check every other stream ended).
func (cs *cacheServer) tails() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.caches)
}
