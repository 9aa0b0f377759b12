package kafka

import (
	"log/slog"

	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// relay passes a stream through to an exit unchanged, frame for frame in
// both directions: what the cache kinds do with streams the cache does
// not serve (produce, consumer groups). Window frames pass through too, so
// the opener sends exactly what the exit grants.
type relay struct {
	exit *engine.Exit
	log  *slog.Logger
	in   *engine.Stream // the stream accepted
	out  *engine.Stream // the stream opened to the exit
}

// Receive takes the frames of the accepted stream.
func (r *relay) Receive(s *engine.Stream, f *engine.Frame) {
	if f.Type == engine.BeginFrame {
		r.in = s
		out, err := r.exit.Open(s.Executor(), (*relayReply)(r),
			engine.Frame{Ext: f.Ext, Affinity: f.Affinity, Authorization: f.Authorization})
		if err != nil {
			r.log.Warn("kafka stream refused by exit", "exit", r.exit.Name(), "error", err)
			ex := &kafkaspec.ErrorEx{Code: kafkaspec.CodeBrokerNotAvailable, Retriable: true, Message: err.Error()}
			s.Terminate(ex)
			return
		}
		r.out = out
		return
	}
	if r.out != nil {
		r.out.Send(*f)
	}
}

// relayReply receives the exit's frames for a relay, without a closure
// per stream.
type relayReply relay

// Receive takes the frames the exit sends back.
func (rr *relayReply) Receive(_ *engine.Stream, f *engine.Frame) {
	r := (*relay)(rr)
	if f.Type == engine.BeginFrame {
		r.in.Send(engine.Frame{Type: engine.BeginFrame, Ext: f.Ext, Affinity: f.Affinity, Authorization: f.Authorization})
		return
	}
	r.in.Send(*f)
}

var (
	_ engine.Receiver = (*relay)(nil)
	_ engine.Receiver = (*relayReply)(nil)
)
