package tcp

import (
	"github.com/sluicehq/sluice/engine"
	tcpspec "github.com/sluicehq/sluice/specs/tcp"
)

func init() { engine.RegisterBinding(Type) }

// Protocol names the streams the tcp binding opens and accepts: octets of a
// connection, with a proxy.BeginEx.
const Protocol = "tcp"

// Type registers the tcp binding.
var Type = engine.BindingType{
	Name: "tcp",
	Kinds: []engine.KindSpec{
		{Kind: engine.KindServer, Opens: Protocol},
		{Kind: engine.KindClient, Accepts: Protocol},
	},
	Schema:       tcpspec.Schema,
	NewOptions:   func() any { return new(Options) },
	NewCondition: func() any { return new(Condition) },
	New:          newBinding,
}

// Options are the tcp binding's options.
type Options struct {
	Host    string `json:"host"`
	Port    Ports  `json:"port"`
	Backlog int    `json:"backlog"`
}

// Condition is one `when` item of a tcp route.
type Condition struct {
	CIDR      string `json:"cidr"`
	Authority string `json:"authority"`
	Port      Ports  `json:"port"`
}

func newBinding(bc *engine.BindingContext) (engine.Binding, error) {
	opts, _ := bc.Options().(*Options)
	routes, err := compileRoutes(bc.Routes)
	if err != nil {
		return nil, err
	}
	switch bc.Config.Kind {
	case engine.KindServer:
		return newServer(bc, opts, routes)
	default:
		return newClient(bc, opts, routes)
	}
}
