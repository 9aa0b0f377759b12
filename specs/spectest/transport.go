package spectest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/sluicehq/sluice/engine"
)

// memTransport wires the blocks of two scripts to each other in memory:
// the pair check, run without the engine.
type memTransport struct {
	mu       sync.Mutex
	net      map[string]chan netConn
	app      map[string]chan *memStream
	netOrder ordering[netConn]
	appOrder ordering[*memStream]
}

func newMemTransport() *memTransport {
	return &memTransport{net: map[string]chan netConn{}, app: map[string]chan *memStream{}}
}

func (t *memTransport) netQueue(uri string) chan netConn {
	t.mu.Lock()
	defer t.mu.Unlock()
	q, ok := t.net[uri]
	if !ok {
		q = make(chan netConn, 64)
		t.net[uri] = q
	}
	return q
}

func (t *memTransport) appQueue(uri string) chan *memStream {
	t.mu.Lock()
	defer t.mu.Unlock()
	q, ok := t.app[uri]
	if !ok {
		q = make(chan *memStream, 64)
		t.app[uri] = q
	}
	return q
}

func (t *memTransport) prepare(b *Block) error { return nil }

func (t *memTransport) dialNet(ctx context.Context, b *Block) (netConn, error) {
	local, remote := newPipe()
	t.netQueue(b.URI) <- remote
	return local, nil
}

func (t *memTransport) acceptNet(ctx context.Context, b *Block, k int) (netConn, error) {
	c, err := t.netOrder.of(b.URI).take(ctx, k, t.netQueue(b.URI))
	if err != nil {
		return nil, fmt.Errorf("no connection to %s", b.URI)
	}
	return c, nil
}

func (t *memTransport) openApp(ctx context.Context, b *Block, begin engine.Frame) (appConn, error) {
	local, remote := newMemStreams(b.Window, b.Padding)
	if err := local.send(ctx, begin); err != nil {
		return nil, err
	}
	t.appQueue(b.URI) <- remote
	return local, nil
}

func (t *memTransport) acceptApp(ctx context.Context, b *Block, k int) (appConn, error) {
	s, err := t.appOrder.of(b.URI).take(ctx, k, t.appQueue(b.URI))
	if err != nil {
		return nil, fmt.Errorf("no stream to %s", b.URI)
	}
	s.accepted(b.Window, b.Padding)
	return s, nil
}

func (t *memTransport) close() {}

// engineTransport connects scripts to an engine: app:// connects open
// streams into bindings, app:// accepts play `test` bindings, and tcp://
// blocks use real sockets.
type engineTransport struct {
	e    *engine.Engine
	opts Options

	mu        sync.Mutex
	listeners map[string]*net.TCPListener
	accepted  map[string]chan netConn // per listener, in arrival order
	conns     []netConn
	netOrder  ordering[netConn]
	appOrder  ordering[*engineStream]
}

func (t *engineTransport) address(uri string) string {
	authority := strings.TrimPrefix(uri, "tcp://")
	if a, ok := t.opts.Addresses[authority]; ok {
		return a
	}
	return authority
}

func (t *engineTransport) prepare(b *Block) error {
	if b.Level() != "network" || !b.Accept {
		return nil
	}
	addr := t.address(b.URI)
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.listeners[addr]; ok {
		return nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	tl := l.(*net.TCPListener)
	t.listeners[addr] = tl
	q := make(chan netConn, 64)
	t.accepted[addr] = q
	go func() {
		for {
			c, err := tl.AcceptTCP()
			if err != nil {
				return
			}
			sc := socket{c}
			t.track(sc)
			q <- sc
		}
	}()
	return nil
}

func (t *engineTransport) dialNet(ctx context.Context, b *Block) (netConn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", t.address(b.URI))
	if err != nil {
		return nil, err
	}
	sc := socket{c.(*net.TCPConn)}
	t.track(sc)
	return sc, nil
}

func (t *engineTransport) acceptNet(ctx context.Context, b *Block, k int) (netConn, error) {
	addr := t.address(b.URI)
	t.mu.Lock()
	q := t.accepted[addr]
	t.mu.Unlock()
	c, err := t.netOrder.of(addr).take(ctx, k, q)
	if err != nil {
		return nil, fmt.Errorf("no connection to %s", b.URI)
	}
	return c, nil
}

func (t *engineTransport) track(c netConn) {
	t.mu.Lock()
	t.conns = append(t.conns, c)
	t.mu.Unlock()
}

func (t *engineTransport) openApp(ctx context.Context, b *Block, begin engine.Frame) (appConn, error) {
	name := strings.TrimPrefix(b.URI, "app://")
	es := &engineStream{inbox: newInbox(), window: b.Window, padding: b.Padding}
	exec := engine.NewExecutor()
	var err error
	exec.Execute(func() {
		es.s, err = t.e.Open(name, exec, es, begin)
	})
	if err != nil {
		return nil, err
	}
	return es, nil
}

func (t *engineTransport) acceptApp(ctx context.Context, b *Block, k int) (appConn, error) {
	name := strings.TrimPrefix(b.URI, "app://")
	tb, err := findTestBinding(t.e, name)
	if err != nil {
		return nil, err
	}
	es, err := t.appOrder.of(name).take(ctx, k, tb.streams)
	if err != nil {
		return nil, fmt.Errorf("binding %s received no stream", name)
	}
	es.s.Execute(func() {
		es.padding = b.Padding // read by Receive, on this executor
		es.s.WindowPadded(b.Window, b.Padding)
	})
	return es, nil
}

func (t *engineTransport) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range t.listeners {
		l.Close()
	}
	for _, c := range t.conns {
		c.Close()
	}
}

func findTestBinding(e *engine.Engine, name string) (*testBinding, error) {
	qname := name
	if !strings.Contains(name, ":") && len(e.Config().Namespaces) > 0 {
		qname = e.Config().Namespaces[0].Name + ":" + name
	}
	b, ok := e.Binding(qname)
	if !ok {
		return nil, fmt.Errorf("no binding %q in the configuration", name)
	}
	tb, ok := b.(*testBinding)
	if !ok {
		return nil, fmt.Errorf("binding %q is not of type test: a script can only accept streams as a test binding", name)
	}
	return tb, nil
}
