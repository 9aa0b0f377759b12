// Package proxy defines the proxy begin extension: the addresses of a
// connection and what was learned about it (TLS server name, ALPN
// protocol, whether it is secure). The tcp binding sets it on the streams
// it opens; tls adds its infos; clients such as tcp and tls client read the
// destination from it.
package proxy

import (
	"net/netip"
	"strconv"
)

// BeginEx is the begin extension of a stream that stands for a connection.
type BeginEx struct {
	// Address holds the connection's endpoints; zero when unknown.
	Address Address `json:"address"`
	// Infos holds what higher layers learned about the connection.
	Infos Infos `json:"infos"`
}

// Address is a pair of endpoints. For a server connection Source is the
// client and Destination the local address it connected to; for a client
// stream Destination is where to connect. Destination may be a host name.
type Address struct {
	Protocol        string `json:"protocol,omitempty"` // "stream" for TCP
	Source          string `json:"source,omitempty"`
	SourcePort      int    `json:"sourcePort,omitempty"`
	Destination     string `json:"destination,omitempty"`
	DestinationPort int    `json:"destinationPort,omitempty"`
}

// Infos is what a layer learned about a connection.
type Infos struct {
	// Authority is the TLS server name (SNI) or the requested host.
	Authority string `json:"authority,omitempty"`
	// ALPN is the negotiated (or requested) application protocol.
	ALPN string `json:"alpn,omitempty"`
	// Secure is set once the connection is encrypted.
	Secure bool `json:"secure,omitempty"`
	// Identity is the verified client certificate's subject, if any.
	Identity string `json:"identity,omitempty"`
}

// DestinationAddr returns host:port of the destination.
func (a Address) DestinationAddr() string {
	return joinHostPort(a.Destination, a.DestinationPort)
}

// SourceAddr returns host:port of the source.
func (a Address) SourceAddr() string { return joinHostPort(a.Source, a.SourcePort) }

func joinHostPort(host string, port int) string {
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() {
		return "[" + host + "]:" + strconv.Itoa(port)
	}
	return host + ":" + strconv.Itoa(port)
}

// Extensions names the proxy extension types for spec scripts
// (`proxy:begin {...}`).
var Extensions = map[string]func() any{
	"begin": func() any { return new(BeginEx) },
}
