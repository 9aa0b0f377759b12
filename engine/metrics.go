package engine

import (
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
)

// Metrics holds the engine's named values: per-binding stream counters
// kept by the engine, and gauges and counters that bindings register (a
// cache's memory use, for example). Exporters read them with Each.
type Metrics struct {
	mu     sync.RWMutex
	values map[metricKey]metricSource
}

type metricSource struct {
	read    func() int64
	counter bool
}

type metricKey struct{ name, binding string }

// Metric is one value read by Each.
type Metric struct {
	// Name is the metric name, such as stream.opens.sent.
	Name string
	// Binding is the qualified name of the binding it belongs to.
	Binding string
	Value   int64
	// Counter says the value only grows (opens, bytes sent); otherwise it
	// is a gauge, a value that goes up and down (open streams, memory).
	Counter bool
}

func newMetrics() *Metrics { return &Metrics{values: map[metricKey]metricSource{}} }

// Register adds a gauge, a value that goes up and down, read through fn; a
// second registration under the same name and binding replaces the first.
func (m *Metrics) Register(name, binding string, fn func() int64) {
	m.add(name, binding, metricSource{read: fn})
}

// RegisterCounter adds a counter, a value that only grows, read through fn.
func (m *Metrics) RegisterCounter(name, binding string, fn func() int64) {
	m.add(name, binding, metricSource{read: fn, counter: true})
}

func (m *Metrics) add(name, binding string, src metricSource) {
	m.mu.Lock()
	m.values[metricKey{name, binding}] = src
	m.mu.Unlock()
}

// Each reads every metric, sorted by binding then name.
func (m *Metrics) Each() []Metric {
	m.mu.RLock()
	out := make([]Metric, 0, len(m.values))
	for k, src := range m.values {
		out = append(out, Metric{Name: k.name, Binding: k.binding, Value: src.read(), Counter: src.counter})
	}
	m.mu.RUnlock()
	slices.SortFunc(out, func(a, b Metric) int {
		if a.Binding != b.Binding {
			if a.Binding < b.Binding {
				return -1
			}
			return 1
		}
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out
}

// Value returns one metric's current value.
func (m *Metrics) Value(name, binding string) (int64, bool) {
	m.mu.RLock()
	src, ok := m.values[metricKey{name, binding}]
	m.mu.RUnlock()
	if !ok {
		return 0, false
	}
	return src.read(), true
}

// streamMetric is one metric of Zilla's stream group: its name, whether it
// is a counter (else a gauge), and the binding statistic it reads.
type streamMetric struct {
	name    string
	counter bool
	stat    func(*bindingStats) *atomic.Int64
}

// streamMetrics is Zilla's stream group, which the engine records for each
// binding that selects it.
var streamMetrics = []streamMetric{
	{"stream.opens.sent", true, func(s *bindingStats) *atomic.Int64 { return &s.opensSent }},
	{"stream.opens.received", true, func(s *bindingStats) *atomic.Int64 { return &s.opensReceived }},
	{"stream.closes.sent", true, func(s *bindingStats) *atomic.Int64 { return &s.closesSent }},
	{"stream.closes.received", true, func(s *bindingStats) *atomic.Int64 { return &s.closesReceived }},
	{"stream.errors.sent", true, func(s *bindingStats) *atomic.Int64 { return &s.errorsSent }},
	{"stream.errors.received", true, func(s *bindingStats) *atomic.Int64 { return &s.errorsReceived }},
	{"stream.data.sent", true, func(s *bindingStats) *atomic.Int64 { return &s.dataSent }},
	{"stream.data.received", true, func(s *bindingStats) *atomic.Int64 { return &s.dataReceived }},
	{"stream.active.sent", false, func(s *bindingStats) *atomic.Int64 { return &s.activeSent }},
	{"stream.active.received", false, func(s *bindingStats) *atomic.Int64 { return &s.activeReceived }},
}

// isStreamMetric reports whether name is in the stream group.
func isStreamMetric(name string) bool {
	return slices.ContainsFunc(streamMetrics, func(sm streamMetric) bool { return sm.name == name })
}

// registerMetrics registers Zilla's stream metric group for the bindings
// that select it, counted by direction ("sent" is what the binding's
// endpoints send, "received" what is delivered to them), and the
// engine-wide count of open streams.
//
// Selection is Zilla's when a namespace lists telemetry.metrics: a
// binding records the listed names that one of its own telemetry.metrics
// patterns (regular expressions, matched whole) matches, and nothing
// without patterns. A namespace that lists none records every stream
// metric of every binding, sluice's default. A pattern that does not
// compile is a configuration error.
func (e *Engine) registerMetrics() ConfigErrors {
	var errs ConfigErrors
	m := e.metrics
	for _, ns := range e.cfg.Namespaces {
		for _, b := range ns.Bindings {
			selected, bErrs := selectedMetrics(ns.Telemetry.Metrics, b)
			errs = append(errs, bErrs...)
			rt := e.bindings[b.QName()]
			for _, sm := range streamMetrics {
				if !selected(sm.name) {
					continue
				}
				read := sm.stat(&rt.stats).Load
				if sm.counter {
					m.RegisterCounter(sm.name, rt.qname, read)
				} else {
					m.Register(sm.name, rt.qname, read)
				}
			}
		}
	}
	m.Register("stream.active", "", func() int64 { return int64(e.streams.count()) })
	return errs
}

// selectedMetrics returns whether binding b records a metric, from its
// namespace's telemetry.metrics and its own patterns.
func selectedMetrics(listed []string, b *BindingConfig) (func(string) bool, ConfigErrors) {
	if len(listed) == 0 {
		return func(string) bool { return true }, nil
	}
	var errs ConfigErrors
	var patterns []*regexp.Regexp
	for i, p := range b.Telemetry.Metrics {
		re, err := regexp.Compile("^(?:" + p + ")$")
		if err != nil {
			errs = append(errs, b.Errorf(fmt.Sprintf("telemetry.metrics[%d]", i), "invalid pattern %q: %v", p, err))
			continue
		}
		patterns = append(patterns, re)
	}
	return func(name string) bool {
		if !slices.Contains(listed, name) {
			return false
		}
		for _, re := range patterns {
			if re.MatchString(name) {
				return true
			}
		}
		return false
	}, errs
}

func defaultLogger() *slog.Logger { return slog.Default() }
