package tls

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// dialer is the optional capability of a binding that connects by itself
// (the tcp client; a tls client whose exit is one).
type dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// DialContext connects to address through the exit of the route that
// matches it, which must itself be a dialer (a tcp client), and runs the
// TLS handshake over that connection with the binding's keys, trust, sni
// and alpn. Bindings that manage their own connections (the kafka client)
// use it, through Exit.Target, when their exit is a tls client.
//
// The route is chosen as for a stream whose authority is address's host,
// whose port is its port and whose protocol is the first of options.alpn.
// The handshake is bounded by ctx and by the handshake timeout.
func (c *client) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.bc.Name(), err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("%s: invalid port in %q", c.bc.Name(), address)
	}
	serverName := host
	if len(c.opts.SNI) > 0 {
		serverName = c.opts.SNI[0]
	}
	serverName = strings.TrimSuffix(serverName, ".")
	h := hello{authority: serverName, port: port}
	if len(c.opts.ALPN) > 0 {
		h.alpn = c.opts.ALPN[0]
	}
	r := resolve(c.routes, 0, h)
	if r == nil || r.Exit == nil {
		return nil, fmt.Errorf("%s: no route for %s", c.bc.Name(), address)
	}
	d, ok := r.Exit.Target().(dialer)
	if !ok {
		return nil, fmt.Errorf("%s: exit %s cannot dial connections", c.bc.Name(), r.Exit.Name())
	}
	if timeout := c.opts.handshakeTimeout(); timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	raw, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	tc := tls.Client(raw, c.configFor(serverName, c.opts.ALPN))
	if err := tc.HandshakeContext(ctx); err != nil {
		raw.Close()
		c.bc.Log.Warn("tls handshake failed", "server", address, "sni", serverName, "reason", reason(err))
		return nil, fmt.Errorf("%s: tls handshake with %s: %w", c.bc.Name(), address, err)
	}
	return tc, nil
}

var _ dialer = (*client)(nil)
