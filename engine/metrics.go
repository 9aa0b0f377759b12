package engine

import (
	"log/slog"
	"slices"
	"sync"
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

// registerMetrics registers Zilla's stream metric group for every binding,
// counted by direction ("sent" is what the binding's endpoints send,
// "received" what is delivered to them), and the engine-wide count of open
// streams.
func (e *Engine) registerMetrics() {
	for _, rt := range e.order {
		s := &rt.stats
		m := e.metrics
		m.RegisterCounter("stream.opens.sent", rt.qname, s.opensSent.Load)
		m.RegisterCounter("stream.opens.received", rt.qname, s.opensReceived.Load)
		m.RegisterCounter("stream.closes.sent", rt.qname, s.closesSent.Load)
		m.RegisterCounter("stream.closes.received", rt.qname, s.closesReceived.Load)
		m.RegisterCounter("stream.errors.sent", rt.qname, s.errorsSent.Load)
		m.RegisterCounter("stream.errors.received", rt.qname, s.errorsReceived.Load)
		m.RegisterCounter("stream.data.sent", rt.qname, s.dataSent.Load)
		m.RegisterCounter("stream.data.received", rt.qname, s.dataReceived.Load)
		m.Register("stream.active.sent", rt.qname, s.activeSent.Load)
		m.Register("stream.active.received", rt.qname, s.activeReceived.Load)
	}
	e.metrics.Register("stream.active", "", func() int64 { return int64(e.streams.count()) })
}

func defaultLogger() *slog.Logger { return slog.Default() }
