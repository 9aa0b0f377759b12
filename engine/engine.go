package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by Open once the engine has closed.
var ErrClosed = errors.New("engine: closed")

// Engine runs the bindings of a configuration. Build it with New, then
// Start it; Shutdown stops it gracefully and Close at once.
type Engine struct {
	cfg      *Config
	registry *Registry
	log      *slog.Logger
	grace    time.Duration
	metrics  *Metrics

	bindings map[string]*bindingRuntime
	order    []*bindingRuntime // configuration order
	external *bindingRuntime   // origin of streams opened from outside the graph

	vaults    map[string]Vault
	guards    map[string]Guard
	catalogs  map[string]Catalog
	exporters []Exporter

	nextStreamID atomic.Uint64
	streams      streamTable
	started      []*bindingRuntime
	closed       atomic.Bool
	closeOnce    sync.Once
}

// Option configures an Engine.
type Option func(*Engine)

// WithLogger sets the logger; the default is slog.Default(). Stream-level
// events are logged at debug level.
func WithLogger(l *slog.Logger) Option { return func(e *Engine) { e.log = l } }

// WithGracePeriod sets how long Shutdown lets open streams finish before
// closing them; the default is 10 seconds.
func WithGracePeriod(d time.Duration) Option { return func(e *Engine) { e.grace = d } }

// New builds the engine for a loaded configuration: every vault, guard,
// catalog, exporter and binding is constructed, without opening any port.
// Errors are ConfigErrors positioned in the configuration file, all at once.
func New(cfg *Config, opts ...Option) (*Engine, error) {
	e := &Engine{
		cfg:       cfg,
		registry:  cfg.registry,
		log:       slog.Default(),
		grace:     10 * time.Second,
		metrics:   newMetrics(),
		bindings:  map[string]*bindingRuntime{},
		vaults:    map[string]Vault{},
		guards:    map[string]Guard{},
		catalogs:  map[string]Catalog{},
		streams:   streamTable{},
		closeOnce: sync.Once{},
	}
	if e.registry == nil {
		e.registry = global
	}
	for _, o := range opts {
		o(e)
	}
	e.external = &bindingRuntime{qname: "(external)", engine: e}

	var errs ConfigErrors
	for _, ns := range cfg.Namespaces {
		errs = append(errs, buildComponents(e, ns.Vaults, e.registry.vaults, e.vaults)...)
	}
	for _, ns := range cfg.Namespaces {
		errs = append(errs, buildComponents(e, ns.Guards, e.registry.guards, e.guards)...)
		errs = append(errs, buildComponents(e, ns.Catalogs, e.registry.catalogs, e.catalogs)...)
		exporters := map[string]Exporter{}
		errs = append(errs, buildComponents(e, ns.Telemetry.Exporters, e.registry.exporters, exporters)...)
		for _, x := range ns.Telemetry.Exporters {
			if ex, ok := exporters[x.QName()]; ok {
				e.exporters = append(e.exporters, ex)
			}
		}
	}
	// Runtimes first, so that routes can refer to any binding.
	for _, ns := range cfg.Namespaces {
		for _, b := range ns.Bindings {
			rt := &bindingRuntime{qname: b.QName(), config: b, engine: e}
			e.bindings[rt.qname] = rt
			e.order = append(e.order, rt)
		}
	}
	// Exits before the bindings that route to them, so that a constructor
	// can look at its exit's runtime (Exit.Target).
	for _, rt := range e.startOrder() {
		errs = append(errs, e.buildBinding(rt)...)
	}
	errs = append(errs, e.registerMetrics()...)
	if len(errs) > 0 {
		e.closeBindings()
		return nil, errs.sorted()
	}
	return e, nil
}

func buildComponents[T any](e *Engine, list []*ComponentConfig, types map[string]*ComponentType[T], into map[string]T) ConfigErrors {
	var errs ConfigErrors
	for _, c := range list {
		t, ok := types[c.Type]
		if !ok {
			errs = append(errs, c.errorAt("type", fmt.Errorf("unknown type %q", c.Type)))
			continue
		}
		cc := &ComponentContext{Config: c, engine: e,
			Log: e.log.With("component", c.QName(), "type", c.Type)}
		v, err := t.New(cc)
		if err != nil {
			for _, fe := range fieldErrors(err) {
				errs = append(errs, c.errorAt(fe.Path, fmt.Errorf("%s %s: %w", c.Type, c.Name, fe.Err)))
			}
			continue
		}
		into[c.QName()] = v
	}
	return errs
}

func (e *Engine) buildBinding(rt *bindingRuntime) ConfigErrors {
	b := rt.config
	t, _ := e.registry.Binding(b.Type)
	spec, _ := t.Kind(b.Kind)
	bc := &BindingContext{Config: b, engine: e, rt: rt,
		Log: e.log.With("binding", rt.qname, "type", b.Type, "kind", string(b.Kind))}
	for _, rc := range b.Routes {
		r := &Route{Config: rc}
		if rc.Exit != "" {
			r.Exit = e.exit(rt, rc.Exit)
		}
		for g, roles := range rc.Guarded {
			r.guards = append(r.guards, routeGuard{guard: e.guards[g], roles: roles})
		}
		bc.Routes = append(bc.Routes, r)
	}
	binding, err := safeNew(t, bc)
	if err != nil {
		var errs ConfigErrors
		for _, fe := range fieldErrors(err) {
			errs = append(errs, b.errorAt(fe.Path, fmt.Errorf("%s %s binding: %w", b.Type, b.Kind, fe.Err)))
		}
		return errs
	}
	rt.binding = binding
	if a, ok := binding.(Acceptor); ok {
		rt.acceptor = a
	} else if spec.Accepts != "" {
		return ConfigErrors{b.errorAt("", fmt.Errorf("%s %s binding does not implement engine.Acceptor (a bug in the binding type)", b.Type, b.Kind))}
	}
	return nil
}

func safeNew(t *BindingType, bc *BindingContext) (b Binding, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("constructor panicked: %v", r)
		}
	}()
	return t.New(bc)
}

// Start starts exporters, then the bindings that acquire resources, exits
// before the bindings that route to them, so that nothing accepts a
// connection before its pipeline can serve it. If a binding fails to start
// (a port already in use), the ones started are closed and the error names
// the binding.
func (e *Engine) Start(ctx context.Context) error {
	for _, x := range e.exporters {
		if err := x.Start(ctx, e.metrics); err != nil {
			e.Close()
			return fmt.Errorf("exporter: %w", err)
		}
	}
	for _, rt := range e.startOrder() {
		s, ok := rt.binding.(Starter)
		if !ok {
			continue
		}
		if err := s.Start(ctx); err != nil {
			e.Close()
			return fmt.Errorf("binding %s (%s %s): %w", rt.qname, rt.config.Type, rt.config.Kind, err)
		}
		e.started = append(e.started, rt)
	}
	e.log.Info("engine started", "bindings", len(e.order), "namespaces", len(e.cfg.Namespaces))
	return nil
}

// startOrder lists bindings so that each comes after every binding its
// routes lead to. Exits form no cycle (checked at load).
func (e *Engine) startOrder() []*bindingRuntime {
	var out []*bindingRuntime
	seen := map[*bindingRuntime]bool{}
	var visit func(rt *bindingRuntime)
	visit = func(rt *bindingRuntime) {
		if seen[rt] {
			return
		}
		seen[rt] = true
		for _, r := range rt.config.Routes {
			if next, ok := e.bindings[r.Exit]; ok {
				visit(next)
			}
		}
		if rt.config.Entry != "" {
			if next, ok := e.bindings[rt.config.Entry]; ok {
				visit(next)
			}
		}
		out = append(out, rt)
	}
	for _, rt := range e.order {
		visit(rt)
	}
	return out
}

// Shutdown stops gracefully: bindings stop taking new work, and the streams
// they opened for it (client connections) get until ctx is done or the
// grace period passes to finish; then Close ends everything. Streams a
// binding keeps for itself, such as a cache's tail of a topic, do not hold
// the shutdown up.
func (e *Engine) Shutdown(ctx context.Context) error {
	drained := []*bindingRuntime{e.external} // streams opened with Engine.Open
	for _, rt := range e.order {
		if d, ok := rt.binding.(Drainer); ok {
			d.Drain()
			drained = append(drained, rt)
		}
	}
	open := func() int64 {
		var n int64
		for _, rt := range drained {
			n += rt.stats.originLive.Load()
		}
		return n
	}
	deadline := time.NewTimer(e.grace)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for open() > 0 {
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), e.Close())
		case <-deadline.C:
			e.log.Warn("grace period over; closing open streams", "streams", open())
			return e.Close()
		case <-tick.C:
		}
	}
	return e.Close()
}

// Close ends every open stream (both directions aborted) and closes the
// bindings, origins before the exits they route to, then the exporters.
func (e *Engine) Close() error {
	var err error
	e.closeOnce.Do(func() {
		for _, rt := range e.order {
			if d, ok := rt.binding.(Drainer); ok {
				d.Drain()
			}
		}
		e.streams.terminateAll()
		e.closed.Store(true)
		err = e.closeBindings()
		for _, x := range e.exporters {
			err = errors.Join(err, x.Close())
		}
	})
	return err
}

func (e *Engine) closeBindings() error {
	order := e.startOrder()
	slices.Reverse(order)
	var err error
	for _, rt := range order {
		if c, ok := rt.binding.(io.Closer); ok {
			if cerr := c.Close(); cerr != nil {
				err = errors.Join(err, fmt.Errorf("binding %s: %w", rt.qname, cerr))
			}
		}
	}
	return err
}

// Open opens a stream from outside the binding graph into the named binding
// (qualified, or unqualified in the first namespace): an embedding program
// or a test feeding a pipeline. See Exit.Open for the rules.
func (e *Engine) Open(binding string, exec *Executor, recv Receiver, begin Frame) (*Stream, error) {
	rt, ok := e.bindings[binding]
	if !ok && len(e.cfg.Namespaces) > 0 {
		rt, ok = e.bindings[qualify(e.cfg.Namespaces[0].Name, binding)]
	}
	if !ok {
		return nil, fmt.Errorf("engine: no binding %q", binding)
	}
	return e.open(e.external, rt, exec, recv, begin)
}

// Binding returns the runtime of a binding by qualified name, for tests
// and embedders that need to reach a binding's own API.
func (e *Engine) Binding(qname string) (Binding, bool) {
	rt, ok := e.bindings[qname]
	if !ok {
		return nil, false
	}
	return rt.binding, true
}

// LiveStreams returns the number of streams not yet closed in both
// directions.
func (e *Engine) LiveStreams() int { return e.streams.count() }

// Metrics returns the engine's metrics.
func (e *Engine) Metrics() *Metrics { return e.metrics }

// Config returns the configuration the engine runs.
func (e *Engine) Config() *Config { return e.cfg }

// streamTable tracks live streams, so that Close can end them and tests can
// count them.
type streamTable struct {
	mu   sync.Mutex
	head *streamPair
	n    int
}

func (t *streamTable) add(p *streamPair) {
	t.mu.Lock()
	p.next = t.head
	if t.head != nil {
		t.head.prev = p
	}
	t.head = p
	t.n++
	t.mu.Unlock()
}

func (t *streamTable) remove(p *streamPair) {
	t.mu.Lock()
	if p.prev != nil {
		p.prev.next = p.next
	} else if t.head == p {
		t.head = p.next
	}
	if p.next != nil {
		p.next.prev = p.prev
	}
	p.prev, p.next = nil, nil
	t.n--
	t.mu.Unlock()
}

func (t *streamTable) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

// terminateAll ends every live stream: each endpoint receives an Abort for
// its inbound direction and a Reset for its outbound one, as if its peer
// had sent them, so that both bindings release what they hold.
func (t *streamTable) terminateAll() {
	t.mu.Lock()
	var live []*streamPair
	for p := t.head; p != nil; p = p.next {
		live = append(live, p)
	}
	t.mu.Unlock()
	for _, p := range live {
		o, tg := &p.origin, &p.target
		o.Execute(o.closeByEngine)
		tg.Execute(tg.closeByEngine)
	}
}
