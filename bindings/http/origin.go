package http

import (
	"time"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
	"github.com/sluicehq/sluice/specs/proxy"
)

// originConn is one client connection to an origin: the tcp (or tls)
// stream opened to the route's exit, on an Executor of its own that the
// request streams assigned to it move to.
type originConn struct {
	cl   *client
	pool *pool
	exec *engine.Executor
	net  *engine.Stream

	// guarded by cl.mu
	reserved   int  // requests assigned and not finished
	maxStreams int  // HTTP/2 concurrency the origin allows
	goaway     bool // HTTP/2: no new streams
	dead       bool

	// on exec
	expectH2    bool
	h2          *h2Client
	h1          *h1Client
	connected   bool
	closed      bool
	in          []byte
	inCredit    int
	out         outQueue
	flushQueued bool
	flushTask   func()
	waiting     []*originReq // requests waiting for the connection
	timer       *time.Timer
	idleSince   time.Time
	idle        bool
}

func newOriginConn(cl *client, p *pool) *originConn {
	c := &originConn{cl: cl, pool: p, exec: engine.NewExecutor(), maxStreams: 100}
	c.flushTask = c.runFlush
	return c
}

// reserve takes an HTTP/2 stream slot (under cl.mu).
func (c *originConn) reserve() bool {
	if c.dead || c.goaway || c.reserved >= c.maxStreams {
		return false
	}
	c.reserved++
	return true
}

// reserveIdle takes an idle HTTP/1.1 connection (under cl.mu).
func (c *originConn) reserveIdle() bool {
	if c.dead {
		return false
	}
	c.reserved = 1
	return true
}

// connect opens the stream to the exit, asking for the ALPN protocol the
// configured versions call for.
func (c *originConn) connect() {
	key := c.pool.key
	// The exit decides where the connection goes (a tcp client's host and
	// port); the authority is offered as the TLS server name.
	ext := &proxy.BeginEx{Address: proxy.Address{Protocol: "stream"}}
	host, _ := splitAuthority(key.authority, key.scheme)
	ext.Infos.Authority = host
	switch cfg := c.cl.cfg; {
	case cfg.h2 && !cfg.h1:
		ext.Infos.ALPN = "h2"
	case cfg.h1 && !cfg.h2:
		ext.Infos.ALPN = "http/1.1"
	}
	st, err := c.pool.route.Exit.Open(c.exec, c, engine.Frame{Ext: ext})
	if err != nil {
		c.cl.bc.Log.Warn("exit refused connection", "exit", key.exit, "authority", key.authority, "error", err)
		c.fail()
		return
	}
	c.net = st
}

// Receive handles the frames of the connection's stream.
func (c *originConn) Receive(s *engine.Stream, f *engine.Frame) {
	if s != c.net {
		return // the stream of a connection replaced by retry
	}
	switch f.Type {
	case engine.BeginFrame:
		c.connected = true
		alpn := ""
		if pb, ok := f.Ext.(*proxy.BeginEx); ok {
			alpn = pb.Infos.ALPN
		}
		c.grantInput()
		if alpn == "h2" || (c.expectH2 && alpn == "") || (c.cl.cfg.h2 && !c.cl.cfg.h1) {
			c.h2 = newH2Client(c)
			c.cl.becameH2(c)
		} else {
			c.h1 = &h1Client{c: c}
		}
		waiting := c.waiting
		c.waiting = nil
		for _, r := range waiting {
			c.start(r)
		}
		switch {
		case c.h1 != nil && c.h1.active == nil && !c.cl.reservedH1(c):
			// Its request went away while connecting: keep it for the next.
			c.goIdle()
		case c.h2 != nil && len(c.h2.streams) == 0 && len(c.h2.pending) == 0:
			c.idleH2()
		}
	case engine.DataFrame:
		c.inCredit -= len(f.Payload)
		if c.closed {
			return
		}
		if len(c.in) == 0 {
			c.in = f.Payload
		} else {
			c.in = append(c.in[:len(c.in):len(c.in)], f.Payload...)
		}
		c.received()
		c.grantInput()
	case engine.WindowFrame:
		c.out.flush(s)
		c.wrote()
	case engine.EndFrame:
		c.inputEnded()
	case engine.AbortFrame, engine.ResetFrame:
		c.fail()
	}
}

func (c *originConn) received() {
	switch {
	case c.h2 != nil:
		c.h2.received()
	case c.h1 != nil:
		c.h1.received()
	}
}

func (c *originConn) wrote() {
	switch {
	case c.h2 != nil:
		c.h2.wrote()
	case c.h1 != nil:
		c.h1.wrote()
	}
}

func (c *originConn) inputEnded() {
	switch {
	case c.h2 != nil:
		c.h2.closed()
	case c.h1 != nil:
		if c.h1.closed() {
			return // its request is sent again on a new connection
		}
	}
	c.close()
}

// start sends a request on the connection, or queues it until connected.
func (c *originConn) start(r *originReq) {
	if r.done {
		return // the requester went away while the request waited
	}
	switch {
	case c.closed:
		r.failed(502)
	case c.h2 != nil:
		c.h2.start(r)
	case c.h1 != nil:
		c.h1.start(r)
	default:
		c.waiting = append(c.waiting, r)
	}
}

func (c *originConn) grantInput() {
	if c.closed || c.net == nil {
		return
	}
	want := minInWindow - len(c.in) - c.inCredit
	if want > 0 && (want >= minInWindow/4 || c.inCredit == 0) {
		c.inCredit += want
		c.net.Window(want)
	}
}

func (c *originConn) consume(n int) {
	c.in = c.in[n:]
	if len(c.in) == 0 {
		c.in = nil
	}
}

func (c *originConn) scheduleFlush() {
	if c.flushQueued || c.closed {
		return
	}
	c.flushQueued = true
	c.exec.Execute(c.flushTask)
}

func (c *originConn) runFlush() {
	c.flushQueued = false
	if c.closed {
		return
	}
	if c.h1 != nil {
		c.h1.commit()
	}
	if c.h2 != nil {
		c.h2.commit()
	}
	c.out.flush(c.net)
	c.wrote()
}

// fail ends the connection and every request on it: those without a
// response yet are answered 502.
func (c *originConn) fail() {
	if c.closed {
		return
	}
	waiting := c.waiting
	c.waiting = nil
	for _, r := range waiting {
		r.failed(502)
	}
	switch {
	case c.h2 != nil:
		c.h2.closed()
	case c.h1 != nil:
		if c.h1.closed() {
			return // its request is sent again on a new connection
		}
	}
	c.close()
}

// close releases the connection.
func (c *originConn) close() {
	if c.closed {
		return
	}
	c.closed = true
	for _, r := range c.waiting {
		r.failed(502)
	}
	c.waiting = nil
	if c.net != nil {
		c.net.Terminate(nil)
	}
	if c.timer != nil {
		c.timer.Stop()
	}
	c.in, c.out = nil, outQueue{}
	c.cl.forget(c)
}

// closeGracefully ends the connection once its output is written.
func (c *originConn) closeGracefully() {
	c.cl.forget(c)
	c.out.flush(c.net)
	c.net.End(nil)
	c.close()
}

// goIdle returns an HTTP/1.1 connection to the pool, closing it after the
// keep-alive timeout if nobody takes it.
func (c *originConn) goIdle() {
	if !c.cl.release(c) {
		c.closeGracefully()
		return
	}
	c.idle = true
	c.idleSince = time.Now()
	d := c.cl.cfg.keepAlive
	if c.timer == nil {
		c.timer = time.AfterFunc(d, func() { c.net.Execute(c.idleTimeout) })
	} else {
		c.timer.Reset(d)
	}
}

func (c *originConn) idleTimeout() {
	if c.closed || !c.idle || time.Since(c.idleSince) < c.cl.cfg.keepAlive {
		return
	}
	c.cl.mu.Lock()
	taken := c.reserved > 0
	if !taken {
		c.dead = true
	}
	c.cl.mu.Unlock()
	if !taken {
		c.closeGracefully()
	}
}

// splitAuthority returns the host and port an authority names, with the
// scheme's default port.
func splitAuthority(authority, scheme string) (string, int) {
	port := 80
	if scheme == "https" {
		port = 443
	}
	host := authority
	if i := lastColon(authority); i >= 0 && !(authority[0] == '[' && authority[len(authority)-1] == ']') {
		p := 0
		for _, ch := range authority[i+1:] {
			if ch < '0' || ch > '9' {
				p = -1
				break
			}
			p = p*10 + int(ch-'0')
		}
		if p > 0 && p < 65536 {
			host, port = authority[:i], p
		}
	}
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	return host, port
}

func lastColon(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ':' {
			return i
		}
		if s[i] == ']' {
			return -1
		}
	}
	return -1
}

// requestTarget is the :path of a request head, "/" when missing.
func requestTarget(h httpspec.Headers) string {
	if p := h.Value(httpspec.Path); p != "" {
		return p
	}
	return "/"
}

// abandon forgets a request that went away before the connection took it.
func (c *originConn) abandon(r *originReq) {
	for i, w := range c.waiting {
		if w == r {
			c.waiting = append(c.waiting[:i], c.waiting[i+1:]...)
			if c.expectH2 {
				c.cl.unreserve(c)
			} else {
				c.cl.unreserveH1(c)
			}
			return
		}
	}
	if c.h2 != nil {
		for i, p := range c.h2.pending {
			if p == r {
				c.h2.pending = append(c.h2.pending[:i], c.h2.pending[i+1:]...)
				c.cl.unreserve(c)
				return
			}
		}
	}
}

// retry sends r again on a fresh connection (same Executor), after a
// reused connection turned out to be closed by the origin.
func (c *originConn) retry(r *originReq) {
	r.retried = true
	if c.net != nil {
		c.net.Terminate(nil)
	}
	c.net, c.h1, c.h2, c.connected = nil, nil, nil, false
	c.in, c.inCredit, c.out = nil, 0, outQueue{}
	c.waiting = append([]*originReq{r}, c.waiting...)
	c.connect()
}

// idleH2 closes an HTTP/2 connection that carried no stream for the
// keep-alive timeout.
func (c *originConn) idleH2() {
	c.idle = true
	c.idleSince = time.Now()
	d := c.cl.cfg.keepAlive
	if c.timer == nil {
		c.timer = time.AfterFunc(d, func() { c.net.Execute(c.idleH2Timeout) })
	} else {
		c.timer.Reset(d)
	}
}

func (c *originConn) idleH2Timeout() {
	if c.closed || !c.idle || time.Since(c.idleSince) < c.cl.cfg.keepAlive {
		return
	}
	c.cl.mu.Lock()
	taken := c.reserved > 0
	if !taken {
		c.dead = true
	}
	c.cl.mu.Unlock()
	if !taken && c.h2 != nil {
		c.h2.goAway()
		c.closeGracefully()
	}
}
