package echo

import (
	"github.com/sluicehq/sluice/engine"
	echospec "github.com/sluicehq/sluice/specs/echo"
)

func init() { engine.RegisterBinding(Type) }

// Type registers the echo binding.
var Type = engine.BindingType{
	Name:   "echo",
	Kinds:  []engine.KindSpec{{Kind: engine.KindServer, Accepts: engine.ProtocolAny}},
	Schema: echospec.Schema,
	New:    func(*engine.BindingContext) (engine.Binding, error) { return server{}, nil },
}

// server is stateless: one mirror serves every stream.
type server struct{}

// Accept takes every stream.
func (server) Accept(*engine.Stream, *engine.Frame) (engine.Receiver, error) { return mirror{}, nil }

type mirror struct{}

// Receive sends each frame back the way it came.
func (mirror) Receive(s *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.BeginFrame:
		s.Send(engine.Frame{Type: engine.BeginFrame, Ext: f.Ext, Affinity: f.Affinity, Authorization: f.Authorization})
	case engine.WindowFrame:
		s.Window(f.Credit)
	default:
		s.Send(*f)
	}
}

var (
	_ engine.Acceptor = server{}
	_ engine.Receiver = mirror{}
)
