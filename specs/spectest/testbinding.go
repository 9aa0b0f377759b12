package spectest

import (
	"github.com/sluicehq/sluice/engine"
)

// TestType is the `test` binding type: a binding whose streams are played
// by scripts. A script's `accept "app://name"` block takes the next stream
// routed to the test binding `name`. It accepts streams of any protocol.
var TestType = engine.BindingType{
	Name: "test",
	Kinds: []engine.KindSpec{
		{Kind: engine.KindServer, Accepts: engine.ProtocolAny},
		{Kind: engine.KindClient, Accepts: engine.ProtocolAny},
		{Kind: engine.KindProxy, Accepts: engine.ProtocolAny},
		{Kind: engine.KindCacheClient, Accepts: engine.ProtocolAny},
		{Kind: engine.KindCacheServer, Accepts: engine.ProtocolAny},
	},
	Schema: []byte(`{"title": "test binding", "properties": {"exit": false, "routes": false}}`),
	New: func(*engine.BindingContext) (engine.Binding, error) {
		return &testBinding{streams: make(chan *engineStream, 1024)}, nil
	},
}

// Registry returns a copy of base with the test binding type added, for
// configurations whose exits scripts play.
func Registry(base *engine.Registry) *engine.Registry {
	r := base.Clone()
	r.RegisterBinding(TestType)
	return r
}

type testBinding struct {
	streams chan *engineStream
}

// Accept queues the stream for the next accept block; its window is
// granted when a block takes it.
func (b *testBinding) Accept(s *engine.Stream, begin *engine.Frame) (engine.Receiver, error) {
	es := &engineStream{inbox: newInbox(), s: s}
	select {
	case b.streams <- es:
	default:
		return nil, errTooManyStreams
	}
	return es, nil
}

var errTooManyStreams = errorString("test binding: more than 1024 streams waiting for an accept block")

type errorString string

func (e errorString) Error() string { return string(e) }
