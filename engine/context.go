package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
)

// BindingContext is what a binding's constructor and runtime get from the
// engine: its configuration, its resolved routes and exits, its vault,
// guards and catalogs, and a logger that names it.
type BindingContext struct {
	// Config is the binding's configuration.
	Config *BindingConfig
	// Routes holds the binding's routes in order, the binding-level exit
	// last, with exits and guards resolved.
	Routes []*Route
	// Log names the binding and its type on every event.
	Log *slog.Logger

	engine *Engine
	rt     *bindingRuntime
}

// Name returns the binding's qualified name, namespace:name.
func (bc *BindingContext) Name() string { return bc.rt.qname }

// Options returns the decoded options (the pointer from NewOptions), or nil.
func (bc *BindingContext) Options() any { return bc.Config.Options }

// Vault returns the binding's vault, or nil when it names none.
func (bc *BindingContext) Vault() Vault {
	if bc.Config.Vault == "" {
		return nil
	}
	return bc.engine.vaults[bc.Config.Vault]
}

// Guard returns the guard with a name as written in this binding's
// namespace (or qualified), or nil.
func (bc *BindingContext) Guard(name string) Guard {
	return bc.engine.guards[qualify(bc.Config.Namespace, name)]
}

// Catalog returns the catalog with a name as written in this binding's
// namespace (or qualified), or nil.
func (bc *BindingContext) Catalog(name string) Catalog {
	return bc.engine.catalogs[qualify(bc.Config.Namespace, name)]
}

// Entry returns the binding named by `entry`, as an exit to open streams
// into, or nil.
func (bc *BindingContext) Entry() *Exit {
	if bc.Config.Entry == "" {
		return nil
	}
	return bc.engine.exit(bc.rt, bc.Config.Entry)
}

// ResolvePath resolves a file reference against the configuration folder.
func (bc *BindingContext) ResolvePath(p string) string { return bc.engine.cfg.ResolvePath(p) }

// Metrics returns the engine's metrics, where a binding registers its own.
func (bc *BindingContext) Metrics() *Metrics { return bc.engine.metrics }

// ComponentContext is what a guard, vault, catalog or exporter constructor
// gets: its configuration, a logger, and the vaults already built.
type ComponentContext struct {
	Config *ComponentConfig
	Log    *slog.Logger
	engine *Engine
}

// Options returns the decoded options, or nil.
func (cc *ComponentContext) Options() any { return cc.Config.Options }

// Vault returns the component's vault, or nil.
func (cc *ComponentContext) Vault() Vault {
	if cc.Config.Vault == "" {
		return nil
	}
	return cc.engine.vaults[cc.Config.Vault]
}

// ResolvePath resolves a file reference against the configuration folder.
func (cc *ComponentContext) ResolvePath(p string) string { return cc.engine.cfg.ResolvePath(p) }

// Route is one resolved route of a binding.
type Route struct {
	// Config is the route as configured: When, With, Guarded.
	Config *RouteConfig
	// Exit opens streams to the route's exit binding; nil for a route
	// without an exit.
	Exit   *Exit
	guards []routeGuard
}

type routeGuard struct {
	guard Guard
	roles []string
}

// When returns the route's decoded conditions.
func (r *Route) When() []any { return r.Config.When }

// With returns the route's decoded `with` block, or nil.
func (r *Route) With() any { return r.Config.With }

// Authorized reports whether a stream with this authorization session may
// take the route: every guard listed under `guarded` must verify its roles.
func (r *Route) Authorized(session uint64) bool {
	for _, g := range r.guards {
		if g.guard == nil || !g.guard.Verify(session, g.roles) {
			return false
		}
	}
	return true
}

// Resolve returns the first route, in order, that the authorization may
// take and whose conditions match: a route matches when it has no
// conditions or when match accepts any of them. Conditions are the decoded
// `when` items of the binding type, of type C. It returns nil when no route
// matches.
func Resolve[C any](routes []*Route, authorization uint64, match func(C) bool) *Route {
	for _, r := range routes {
		if !r.Authorized(authorization) {
			continue
		}
		if len(r.Config.When) == 0 {
			return r
		}
		for _, w := range r.Config.When {
			if c, ok := w.(C); ok && match(c) {
				return r
			}
		}
	}
	return nil
}

// Exit opens streams from one binding to another.
type Exit struct {
	name string
	from *bindingRuntime
	to   *bindingRuntime
}

// Name returns the qualified name of the exit binding.
func (x *Exit) Name() string { return x.name }

// Target returns the exit's binding runtime, for the rare binding that
// looks for an optional capability on it (such as a dialer) rather than
// exchanging frames.
func (x *Exit) Target() Binding { return x.to.binding }

// Open opens a stream to the exit binding. It must be called on exec (from
// Receive or a task), or on a goroutine that owns exec while it is not yet
// shared. recv gets the frames the exit sends back. begin is the Begin frame
// (its Type is set by Open). An error means the exit refused the stream.
func (x *Exit) Open(exec *Executor, recv Receiver, begin Frame) (*Stream, error) {
	return x.from.engine.open(x.from, x.to, exec, recv, begin)
}

// bindingRuntime is the engine's record of one running binding.
type bindingRuntime struct {
	qname    string
	config   *BindingConfig
	engine   *Engine
	binding  Binding
	acceptor Acceptor
	stats    bindingStats
}

// bindingStats counts stream events per binding, for telemetry, by
// direction as Zilla counts them: "sent" is what the binding's endpoints
// send (the Begin of a stream it opens, or of its reply to one it
// accepted), "received" what is delivered to them. See engine/metrics.go.
type bindingStats struct {
	opensSent, opensReceived   atomic.Int64 // Begin frames
	closesSent, closesReceived atomic.Int64 // End frames
	errorsSent, errorsReceived atomic.Int64 // Abort and Reset frames; refused and failed streams
	activeSent, activeReceived atomic.Int64 // directions begun and not yet closed
	dataSent, dataReceived     atomic.Int64 // Data payload bytes
	originLive                 atomic.Int64 // streams it opened, not yet released
}

func (e *Engine) exit(from *bindingRuntime, to string) *Exit {
	rt, ok := e.bindings[to]
	if !ok {
		return nil
	}
	return &Exit{name: to, from: from, to: rt}
}

func (e *Engine) open(from, to *bindingRuntime, exec *Executor, recv Receiver, begin Frame) (s *Stream, err error) {
	if to.acceptor == nil {
		return nil, fmt.Errorf("binding %s accepts no streams", to.qname)
	}
	if e.closed.Load() {
		return nil, ErrClosed
	}
	p := &streamPair{engine: e}
	p.pending.Store(2)
	o, t := &p.origin, &p.target
	id := e.nextStreamID.Add(1)
	o.id, t.id = id, id
	o.pair, t.pair = p, p
	o.peer, t.peer = t, o
	o.exec, t.exec = exec, exec
	o.recv, o.binding, t.binding = recv, from, to
	o.out = dirOpen
	begin.Type = BeginFrame

	defer func() {
		if r := recover(); r != nil {
			to.stats.errorsReceived.Add(1)
			e.log.Error("panic accepting stream", "binding", to.qname, "panic", fmt.Sprint(r))
			s, err = nil, fmt.Errorf("binding %s failed to accept the stream", to.qname)
		}
	}()
	rcv, err := to.acceptor.Accept(t, &begin)
	if err != nil {
		from.stats.errorsSent.Add(1)
		return nil, err
	}
	if rcv == nil {
		return nil, fmt.Errorf("binding %s accepted a stream without a receiver", to.qname)
	}
	t.recv = rcv
	if cur := exec.current; cur != nil {
		cur.linkChild(o)
	}
	e.streams.add(p)
	from.stats.opensSent.Add(1)
	from.stats.activeSent.Add(1)
	from.stats.originLive.Add(1)
	if e.log.Enabled(context.Background(), slog.LevelDebug) {
		e.log.Debug("stream opened", "stream", id, "origin", from.qname, "target", to.qname, "begin", begin.String())
	}
	t.exec.submit(item{to: t, frame: begin})
	return o, nil
}
