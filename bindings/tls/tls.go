package tls

import (
	"time"

	"github.com/sluicehq/sluice/engine"
	tlsspec "github.com/sluicehq/sluice/specs/tls"
)

func init() { engine.RegisterBinding(Type) }

// Protocol names the streams the tls binding accepts and opens: octets of
// a connection with a proxy.BeginEx, as the tcp binding's.
const Protocol = "tcp"

// DefaultHandshakeTimeout is how long a handshake may take unless
// options.handshakeTimeout says otherwise (Zilla's
// zilla.binding.tls.handshake.timeout default).
const DefaultHandshakeTimeout = 10 * time.Second

// Type registers the tls binding.
var Type = engine.BindingType{
	Name: "tls",
	Kinds: []engine.KindSpec{
		{Kind: engine.KindServer, Accepts: Protocol, Opens: Protocol},
		{Kind: engine.KindClient, Accepts: Protocol, Opens: Protocol},
		{Kind: engine.KindProxy, Accepts: Protocol, Opens: Protocol},
	},
	Schema:       tlsspec.Schema,
	NewOptions:   func() any { return new(Options) },
	NewCondition: func() any { return new(Condition) },
	New:          newBinding,
}

// Options are the tls binding's options.
type Options struct {
	// Version is the highest protocol version: "TLS" (TLS 1.2 or 1.3, the
	// default), "TLSv1.2" or "TLSv1.3".
	Version string `json:"version"`
	// Keys, Trust and Signers name entries of the binding's vault.
	Keys    []string `json:"keys"`
	Trust   []string `json:"trust"`
	Signers []string `json:"signers"`
	// TrustCACerts adds the system's CA certificates to the client's trust.
	TrustCACerts *bool `json:"trustcacerts"`
	// SNI lists server names: those a server expects, the one a client sends.
	SNI []string `json:"sni"`
	// ALPN lists application protocols a server accepts or a client offers.
	ALPN []string `json:"alpn"`
	// Mutual is "required", "requested" or "none".
	Mutual string `json:"mutual"`
	// HandshakeTimeout bounds a handshake; nil means the default, 0 none.
	HandshakeTimeout *engine.Duration `json:"handshakeTimeout"`
}

// Condition is one `when` item of a tls route.
type Condition struct {
	// Authority matches the server name (SNI), with * wildcards.
	Authority string `json:"authority"`
	// ALPN matches the application protocol.
	ALPN string `json:"alpn"`
	// Port matches the connection's local port (server, proxy) or the
	// destination port (client).
	Port Ports `json:"port"`
}

func (o *Options) handshakeTimeout() time.Duration {
	if o == nil || o.HandshakeTimeout == nil {
		return DefaultHandshakeTimeout
	}
	return time.Duration(*o.HandshakeTimeout)
}

func newBinding(bc *engine.BindingContext) (engine.Binding, error) {
	opts, _ := bc.Options().(*Options)
	if opts == nil {
		opts = &Options{}
	}
	routes, err := compileRoutes(bc.Routes)
	if err != nil {
		return nil, err
	}
	switch bc.Config.Kind {
	case engine.KindServer:
		return newServer(bc, opts, routes)
	case engine.KindClient:
		return newClient(bc, opts, routes)
	default:
		return newProxy(bc, opts, routes)
	}
}
