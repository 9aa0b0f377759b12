package casing

import (
	"bytes"
	_ "embed"

	"github.com/sluicehq/sluice/engine"
)

//go:embed schema.json
var schema []byte

func init() { engine.RegisterBinding(Type) }

// Type registers the casing binding.
var Type = engine.BindingType{
	Name:       "casing",
	Kinds:      []engine.KindSpec{{Kind: engine.KindProxy, Accepts: "tcp", Opens: "tcp"}},
	Schema:     schema,
	NewOptions: func() any { return new(Options) },
	New:        newProxy,
}

// Options are the casing binding's options.
type Options struct {
	// To is "upper" (the default) or "lower".
	To string `json:"to"`
}

type proxy struct {
	exit  *engine.Exit
	apply func([]byte) []byte
	log   func(msg string, args ...any)
}

func newProxy(bc *engine.BindingContext) (engine.Binding, error) {
	p := &proxy{apply: bytes.ToUpper, log: bc.Log.Warn}
	if o, ok := bc.Options().(*Options); ok && o.To == "lower" {
		p.apply = bytes.ToLower
	}
	p.exit = bc.Routes[len(bc.Routes)-1].Exit
	return p, nil
}

// Accept opens the matching stream to the exit and relays between the two.
func (p *proxy) Accept(origin *engine.Stream, begin *engine.Frame) (engine.Receiver, error) {
	r := &relay{proxy: p, origin: origin}
	exit, err := p.exit.Open(origin.Executor(), (*replySide)(r), engine.Frame{Ext: begin.Ext, Authorization: begin.Authorization})
	if err != nil {
		p.log("exit refused stream", "exit", p.exit.Name(), "error", err)
		return nil, err
	}
	r.exit = exit
	return r, nil
}

// relay receives the origin's frames; replySide receives the exit's.
type relay struct {
	*proxy
	origin, exit *engine.Stream
}

// Receive handles frames from the origin: data toward the exit is
// rewritten, everything else passes through.
func (r *relay) Receive(_ *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.BeginFrame:
		// already sent by Open
	case engine.DataFrame:
		// The rewritten bytes are a new buffer: the pooled original, if
		// any, is no longer needed, and the flag must not travel with the
		// copy (engine/doc.go, rule 7).
		out := r.apply(f.Payload)
		if f.Flags&engine.FlagPooled != 0 {
			engine.Recycle(f.Payload)
		}
		r.exit.Data(f.Flags&^engine.FlagPooled, out, f.Ext)
	case engine.WindowFrame:
		r.exit.Window(f.Credit)
	default:
		r.exit.Send(*f)
	}
}

type replySide relay

// Receive handles frames from the exit: all pass back to the origin.
func (r *replySide) Receive(_ *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.WindowFrame:
		r.origin.Window(f.Credit)
	default:
		r.origin.Send(*f)
	}
}

var (
	_ engine.Acceptor = (*proxy)(nil)
	_ engine.Receiver = (*relay)(nil)
	_ engine.Receiver = (*replySide)(nil)
)
