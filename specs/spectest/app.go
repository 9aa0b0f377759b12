package spectest

import (
	"context"
	"errors"
	"sync"

	"github.com/sluicehq/sluice/engine"
)

// inbox queues the frames a script has yet to read, and tracks the credit
// the peer granted it.
type inbox struct {
	mu      sync.Mutex
	frames  []engine.Frame
	granted int
	padding int           // per Data frame, as the peer's latest Window stated
	changed chan struct{} // signalled on every arrival
}

func newInbox() *inbox { return &inbox{changed: make(chan struct{}, 1)} }

func (in *inbox) signal() {
	select {
	case in.changed <- struct{}{}:
	default:
	}
}

func (in *inbox) push(f engine.Frame) {
	in.mu.Lock()
	if f.Type == engine.WindowFrame {
		in.granted += f.Credit
		if f.Padding != 0 {
			in.padding = max(f.Padding, 0)
		}
	} else {
		in.frames = append(in.frames, f)
	}
	in.mu.Unlock()
	in.signal()
}

func (in *inbox) next(ctx context.Context) (engine.Frame, error) {
	for {
		in.mu.Lock()
		if len(in.frames) > 0 {
			f := in.frames[0]
			in.frames = in.frames[1:]
			in.mu.Unlock()
			return f, nil
		}
		in.mu.Unlock()
		select {
		case <-in.changed:
		case <-ctx.Done():
			return engine.Frame{}, ctx.Err()
		}
	}
}

// credit returns the largest payload a Data frame may carry now (the
// credit less the padding), possibly negative.
func (in *inbox) credit() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.granted - in.padding
}

// spend takes a Data frame of n payload bytes from the credit.
func (in *inbox) spend(n int) {
	in.mu.Lock()
	in.granted -= n + in.padding
	in.mu.Unlock()
}

// awaitCredit waits until a frame with at least one byte (or, for an empty
// payload, any frame) fits.
func (in *inbox) awaitCredit(ctx context.Context, empty bool) error {
	for in.credit() < 1 && !(empty && in.credit() >= 0) {
		select {
		case <-in.changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// engineStream plays one side of an engine stream for a script. Frames the
// engine delivers are queued for the script; Windows it grants are
// credited; Data it delivers is credited straight back, so the script's
// window stays at the block's `window`.
type engineStream struct {
	*inbox
	s       *engine.Stream
	window  int
	padding int // what this script charges per Data frame it receives
}

// Receive runs on the stream's Executor.
func (es *engineStream) Receive(s *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.BeginFrame:
		if es.window > 0 {
			s.WindowPadded(es.window, es.padding)
		}
	case engine.DataFrame:
		s.Window(len(f.Payload) + es.padding)
	}
	es.push(*f)
}

func (es *engineStream) send(ctx context.Context, f engine.Frame) error {
	if f.Type == engine.DataFrame {
		if len(f.Payload) > es.inbox.credit() {
			return errors.New("data exceeds the window the binding granted")
		}
		es.spend(len(f.Payload))
	}
	es.s.Execute(func() { es.s.Send(f) })
	return nil
}

// memStream is one end of an in-memory stream between two scripts, with
// the same window and direction rules as an engine stream: frames on a
// direction already closed are dropped.
type memStream struct {
	*inbox
	peer    *memStream
	window  int
	padding int // what this script charges per Data frame it receives
	state   *memState

	mu sync.Mutex
}

// memState holds both ends' direction states, under one lock.
type memState struct {
	mu                  sync.Mutex
	outClosed, inClosed map[*memStream]bool
	ended, resetSent    map[*memStream]bool // sent End; sent Reset
}

func newMemStreams(window, padding int) (*memStream, *memStream) {
	st := &memState{outClosed: map[*memStream]bool{}, inClosed: map[*memStream]bool{},
		ended: map[*memStream]bool{}, resetSent: map[*memStream]bool{}}
	a := &memStream{inbox: newInbox(), window: window, padding: padding, state: st}
	b := &memStream{inbox: newInbox(), state: st}
	a.peer, b.peer = b, a
	return a, b
}

// deliverable applies the engine's rules for a frame sent by m.
func (m *memStream) deliverable(t engine.FrameType) bool {
	st := m.state
	st.mu.Lock()
	defer st.mu.Unlock()
	p := m.peer
	switch t {
	case engine.BeginFrame, engine.DataFrame, engine.FlushFrame:
		return !st.outClosed[m] && !st.inClosed[p]
	case engine.EndFrame, engine.AbortFrame:
		ok := !st.outClosed[m] && !st.inClosed[p]
		if ok && t == engine.EndFrame {
			st.ended[m] = true
		}
		st.outClosed[m], st.inClosed[p] = true, true
		return ok
	case engine.ResetFrame:
		// one Reset, also after the direction ended cleanly (engine rule)
		ok := !st.resetSent[m] && (!st.inClosed[m] || st.ended[p])
		st.resetSent[m], st.inClosed[m], st.outClosed[p] = true, true, true
		return ok
	default: // Window, Challenge
		return !st.inClosed[m] && !st.outClosed[p]
	}
}

func (m *memStream) send(ctx context.Context, f engine.Frame) error {
	if f.Type == engine.DataFrame {
		if len(f.Payload) > m.inbox.credit() {
			return errors.New("data exceeds the window the peer granted")
		}
		m.spend(len(f.Payload))
	}
	if !m.deliverable(f.Type) {
		return nil
	}
	m.peer.push(f)
	// The receiving script grants credit as an engine stream would.
	switch f.Type {
	case engine.BeginFrame:
		m.peer.mu.Lock()
		w, pad := m.peer.window, m.peer.padding
		m.peer.mu.Unlock()
		if w > 0 {
			m.push(engine.Frame{Type: engine.WindowFrame, Credit: w, Padding: padOnWire(pad)})
		}
	case engine.DataFrame:
		m.peer.mu.Lock()
		pad := m.peer.padding
		m.peer.mu.Unlock()
		m.push(engine.Frame{Type: engine.WindowFrame, Credit: len(f.Payload) + pad})
	}
	return nil
}

// accepted sets the accepting side's window once its block takes the
// stream, granting it if the Begin already arrived.
func (m *memStream) accepted(window, padding int) {
	m.mu.Lock()
	m.window, m.padding = window, padding
	m.mu.Unlock()
	m.peer.push(engine.Frame{Type: engine.WindowFrame, Credit: window, Padding: padOnWire(padding)})
}

// padOnWire turns "no padding" into the Window value that says so.
func padOnWire(p int) int {
	if p == 0 {
		return -1
	}
	return p
}
