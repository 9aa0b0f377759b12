package tcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/specs/proxy"
)

// dialTimeout bounds how long a connect may take before the stream is reset.
const dialTimeout = 10 * time.Second

// client connects a socket for each stream it accepts.
type client struct {
	bc     *engine.BindingContext
	opts   *Options
	routes []route
	dialer net.Dialer
}

func newClient(bc *engine.BindingContext, opts *Options, routes []route) (*client, error) {
	return &client{bc: bc, opts: opts, routes: routes,
		dialer: net.Dialer{Timeout: dialTimeout, KeepAlive: -1}}, nil
}

// destination picks where a stream goes, as Zilla does: without routes,
// configured options win (a tcp client with a host and port is a fixed
// upstream, whatever address the stream names) and otherwise the address in
// the stream's proxy.BeginEx is used; with routes, the stream's address must
// match one of them or equal the configured host and port.
func (c *client) destination(ext any, authorization uint64) (string, int, error) {
	reqHost, reqPort := "", 0
	if pb, ok := ext.(*proxy.BeginEx); ok {
		reqHost, reqPort = pb.Address.Destination, pb.Address.DestinationPort
	}
	optHost, optPort := "", 0
	if c.opts != nil && c.opts.Host != "*" {
		optHost = c.opts.Host
		if len(c.opts.Port) > 0 {
			optPort = c.opts.Port[0]
		}
	}
	switch {
	case reqHost == "" || (len(c.routes) == 0 && optHost != ""):
		if optHost == "" || optPort == 0 {
			return "", 0, errors.New("no destination: the stream names none and options set no host and port")
		}
		return optHost, optPort, nil
	case reqPort == 0:
		return "", 0, fmt.Errorf("no destination port for %s", reqHost)
	}
	return reqHost, reqPort, c.allowed(reqHost, reqPort, authorization)
}

// allowed applies routes (an allow-list, whose guarded routes only the
// authorization may take) or the configured host.
func (c *client) allowed(host string, port int, authorization uint64) error {
	if len(c.routes) > 0 {
		addr, err := netip.ParseAddr(host)
		if err != nil {
			addrs, lerr := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
			if lerr != nil || len(addrs) == 0 {
				return fmt.Errorf("cannot resolve %s: %v", host, lerr)
			}
			addr = addrs[0]
		}
		if resolve(c.routes, authorization, endpoint{addr: addr, port: port}) == nil {
			return fmt.Errorf("destination %s matches no route", net.JoinHostPort(host, strconv.Itoa(port)))
		}
		return nil
	}
	if c.opts != nil && c.opts.Host != "" && c.opts.Host != "*" {
		if host != c.opts.Host || (len(c.opts.Port) > 0 && !c.opts.Port.Contains(port)) {
			return fmt.Errorf("destination %s is not the configured %s", net.JoinHostPort(host, strconv.Itoa(port)), c.opts.Host)
		}
	}
	return nil
}

// Accept takes a stream whose destination is allowed and connects once
// its Begin arrives.
func (c *client) Accept(s *engine.Stream, begin *engine.Frame) (engine.Receiver, error) {
	host, port, err := c.destination(begin.Ext, begin.Authorization)
	if err != nil {
		return nil, err
	}
	return &dialing{client: c, conn: newConn(c.bc.Log), addr: net.JoinHostPort(host, strconv.Itoa(port))}, nil
}

// dialing is the receiver of a client stream: it connects on Begin, then
// hands frames to the conn.
type dialing struct {
	client *client
	*conn
	addr      string
	cancel    context.CancelFunc
	connected bool
	ended     bool
}

func (d *dialing) Receive(s *engine.Stream, f *engine.Frame) {
	if d.connected {
		d.conn.Receive(s, f)
		return
	}
	switch f.Type {
	case engine.BeginFrame:
		d.s = s
		ctx, cancel := context.WithCancel(context.Background())
		d.cancel = cancel
		go d.dial(ctx)
	case engine.EndFrame:
		d.ended = true
	case engine.AbortFrame, engine.ResetFrame:
		d.cancel()
		s.Terminate(nil)
	}
}

func (d *dialing) dial(ctx context.Context) {
	nc, err := d.client.dialer.DialContext(ctx, "tcp", d.addr)
	d.s.Execute(func() {
		defer d.cancel()
		if err != nil {
			if ctx.Err() == nil {
				d.client.bc.Log.Warn("connect failed", "address", d.addr, "error", err)
			}
			d.s.Terminate(nil)
			return
		}
		if d.s.Closed() {
			nc.Close()
			return
		}
		tc := nc.(*net.TCPConn)
		local := tc.LocalAddr().(*net.TCPAddr).AddrPort()
		remote := tc.RemoteAddr().(*net.TCPAddr).AddrPort()
		d.connected = true
		d.s.Begin(&proxy.BeginEx{Address: proxy.Address{Protocol: "stream",
			Source: local.Addr().Unmap().String(), SourcePort: int(local.Port()),
			Destination: remote.Addr().Unmap().String(), DestinationPort: int(remote.Port())}})
		d.attach(tc)
		if d.ended {
			d.endWriting()
		} else {
			d.s.Window(writeWindow)
		}
	})
}

// DialContext connects to address directly, applying the same allow-list
// as streams. Bindings that manage their own connections (the kafka client)
// use it, through Exit.Target, when their exit is a tcp client. Such a
// connection serves no one stream, so it carries no authorization: a
// guarded route takes it only if its guards verify session 0.
func (c *client) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("invalid port in %q", address)
	}
	if err := c.allowed(host, port, 0); err != nil {
		return nil, fmt.Errorf("%s: %w", c.bc.Name(), err)
	}
	return c.dialer.DialContext(ctx, network, address)
}

var _ engine.Acceptor = (*client)(nil)
