package engine_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
)

// probe is a binding whose streams are driven by the test through hooks.
type probe struct {
	bc     *engine.BindingContext
	accept func(s *engine.Stream, begin *engine.Frame) (engine.Receiver, error)
}

func (p *probe) Accept(s *engine.Stream, begin *engine.Frame) (engine.Receiver, error) {
	return p.accept(s, begin)
}

// probeEngine starts an engine with one probe binding named "p" and, when
// relay is set, a probe "r" routing to it.
func probeEngine(t *testing.T, relay bool) (e *engine.Engine, p, r *probe) {
	t.Helper()
	reg := engine.NewRegistry()
	probes := map[string]*probe{}
	reg.RegisterBinding(engine.BindingType{
		Name:   "probe",
		Kinds:  []engine.KindSpec{{Kind: engine.KindServer, Accepts: "x"}, {Kind: engine.KindProxy, Accepts: "x", Opens: "x"}},
		Schema: []byte(`{}`),
		New: func(bc *engine.BindingContext) (engine.Binding, error) {
			pr := &probe{bc: bc}
			probes[bc.Config.Name] = pr
			return pr, nil
		},
	})
	yaml := "name: t\nbindings:\n  p:\n    type: probe\n    kind: server\n"
	if relay {
		yaml += "  r:\n    type: probe\n    kind: proxy\n    exit: p\n"
	}
	cfg, err := reg.Parse("zilla.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	e, err = engine.New(cfg, engine.WithGracePeriod(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, probes["p"], probes["r"]
}

type recorder struct {
	mu     sync.Mutex
	frames []engine.FrameType
	on     func(s *engine.Stream, f *engine.Frame)
}

func (r *recorder) Receive(s *engine.Stream, f *engine.Frame) {
	r.mu.Lock()
	r.frames = append(r.frames, f.Type)
	r.mu.Unlock()
	if r.on != nil {
		r.on(s, f)
	}
}

func (r *recorder) types() []engine.FrameType {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]engine.FrameType(nil), r.frames...)
}

func open(t *testing.T, e *engine.Engine, to string, recv engine.Receiver) (*engine.Stream, *engine.Executor) {
	t.Helper()
	exec := engine.NewExecutor()
	var s *engine.Stream
	var err error
	exec.Execute(func() { s, err = e.Open(to, exec, recv, engine.Frame{}) })
	if err != nil {
		t.Fatal(err)
	}
	return s, exec
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// Frames submitted from many goroutines, through Execute or
// SendOnExecutor, reach the receiver one at a time, and each sender's
// frames in order.
func TestSerialInOrderDelivery(t *testing.T) {
	e, p, _ := probeEngine(t, false)
	var inFlight, maxInFlight atomic.Int32
	last := map[int]int{}
	var outOfOrder atomic.Int32
	var received atomic.Int32
	p.accept = func(s *engine.Stream, _ *engine.Frame) (engine.Receiver, error) {
		return engine.ReceiverFunc(func(s *engine.Stream, f *engine.Frame) {
			n := inFlight.Add(1)
			if n > maxInFlight.Load() {
				maxInFlight.Store(n)
			}
			if f.Type == engine.BeginFrame {
				s.Window(1 << 30)
			}
			if f.Type == engine.DataFrame {
				sender, seq := int(f.Payload[0]), int(f.Payload[1])<<8|int(f.Payload[2])
				if seq != last[sender] {
					outOfOrder.Add(1)
				}
				last[sender] = seq + 1
				received.Add(1)
			}
			time.Sleep(time.Microsecond)
			inFlight.Add(-1)
		}), nil
	}
	s, _ := open(t, e, "p", &recorder{})
	eventually(t, "window", func() bool {
		var c int
		done := make(chan struct{})
		s.Execute(func() { c = s.Credit(); close(done) })
		<-done
		return c > 0
	})
	const senders, each = 8, 500
	var wg sync.WaitGroup
	for g := 0; g < senders; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				payload := []byte{byte(g), byte(i >> 8), byte(i)}
				if g%2 == 0 {
					s.Execute(func() { s.Data(engine.FlagsComplete, payload, nil) })
				} else {
					// a socket reader's way: no function value per frame
					s.SendOnExecutor(engine.Frame{Type: engine.DataFrame, Flags: engine.FlagsComplete, Payload: payload})
				}
			}
		}()
	}
	wg.Wait()
	eventually(t, "all data", func() bool { return received.Load() == senders*each })
	if maxInFlight.Load() != 1 {
		t.Errorf("receiver ran %d times at once", maxInFlight.Load())
	}
	if outOfOrder.Load() != 0 {
		t.Errorf("%d frames out of order", outOfOrder.Load())
	}
}

// A panic while handling one stream's frame fails that stream only: both
// of its directions end, streams opened on its behalf end, others go on.
func TestPanicContainedToStream(t *testing.T) {
	e, p, _ := probeEngine(t, true)
	var child atomic.Pointer[recorder]
	p.accept = func(s *engine.Stream, begin *engine.Frame) (engine.Receiver, error) {
		if begin.Ext == "child" {
			rec := &recorder{}
			child.Store(rec)
			return rec, nil
		}
		var exitStream *engine.Stream
		return engine.ReceiverFunc(func(s *engine.Stream, f *engine.Frame) {
			switch {
			case f.Type == engine.BeginFrame && begin.Ext == "doomed":
				// open a child on behalf of this stream, then fail
				var err error
				exitStream, err = e.Open("p", s.Executor(), &recorder{}, engine.Frame{Ext: "child"})
				if err != nil {
					t.Error(err)
				}
				_ = exitStream
				s.Begin(nil)
			case f.Type == engine.BeginFrame:
				s.Begin(nil)
			case f.Type == engine.FlushFrame:
				panic("binding bug")
			}
		}), nil
	}
	doomedRec, healthyRec := &recorder{}, &recorder{}
	exec := engine.NewExecutor()
	var doomed, healthy *engine.Stream
	exec.Execute(func() {
		doomed, _ = e.Open("p", exec, doomedRec, engine.Frame{Ext: "doomed"})
		healthy, _ = e.Open("p", exec, healthyRec, engine.Frame{Ext: "healthy"})
	})
	eventually(t, "replies", func() bool { return len(doomedRec.types()) > 0 && len(healthyRec.types()) > 0 })
	doomed.Execute(func() { doomed.Flush(nil) })
	eventually(t, "doomed stream ended", func() bool {
		ts := doomedRec.types()
		return len(ts) >= 3 && ts[1] == engine.AbortFrame && ts[2] == engine.ResetFrame
	})
	eventually(t, "child stream ended", func() bool {
		c := child.Load()
		if c == nil {
			return false
		}
		ts := c.types()
		return len(ts) >= 3 && ts[len(ts)-2] == engine.AbortFrame
	})
	healthy.Execute(func() { healthy.End(nil) })
	eventually(t, "healthy stream untouched", func() bool {
		ts := healthyRec.types()
		return len(ts) == 1 && ts[0] == engine.BeginFrame
	})
	if e.LiveStreams() != 1 {
		t.Errorf("live streams %d, want only the healthy one", e.LiveStreams())
	}
}

// Sending beyond the window is a contract violation contained like a panic,
// whether the frame is sent in a task or with SendOnExecutor.
func TestDataBeyondWindowFailsStream(t *testing.T) {
	for _, way := range []string{"Execute", "SendOnExecutor"} {
		t.Run(way, func(t *testing.T) { dataBeyondWindow(t, way) })
	}
}

func dataBeyondWindow(t *testing.T, way string) {
	e, p, _ := probeEngine(t, false)
	got := make(chan engine.FrameType, 8)
	p.accept = func(s *engine.Stream, _ *engine.Frame) (engine.Receiver, error) {
		return engine.ReceiverFunc(func(s *engine.Stream, f *engine.Frame) {
			got <- f.Type
			if f.Type == engine.BeginFrame {
				s.Window(4)
			}
		}), nil
	}
	rec := &recorder{}
	s, _ := open(t, e, "p", rec)
	<-got // begin
	if way == "Execute" {
		s.Execute(func() { s.Data(engine.FlagsComplete, []byte("12345"), nil) })
	} else {
		s.SendOnExecutor(engine.Frame{Type: engine.DataFrame, Flags: engine.FlagsComplete, Payload: []byte("12345")})
	}
	if f := <-got; f != engine.AbortFrame {
		t.Fatalf("peer got %v, want abort", f)
	}
	eventually(t, "stream released", func() bool { return e.LiveStreams() == 0 })
}

// Every stream is counted until both directions close, and Close ends
// those still open.
func TestLiveStreamsAndClose(t *testing.T) {
	e, p, _ := probeEngine(t, false)
	peers := make(chan *engine.Stream, 2)
	p.accept = func(s *engine.Stream, _ *engine.Frame) (engine.Receiver, error) {
		peers <- s
		return engine.ReceiverFunc(func(s *engine.Stream, f *engine.Frame) {
			if f.Type == engine.BeginFrame {
				s.Begin(nil)
			}
			if f.Type == engine.EndFrame {
				s.End(nil)
			}
		}), nil
	}
	a, _ := open(t, e, "p", &recorder{})
	bRec := &recorder{}
	open(t, e, "p", bRec)
	if e.LiveStreams() != 2 {
		t.Fatalf("live %d", e.LiveStreams())
	}
	a.Execute(func() { a.End(nil) })
	eventually(t, "a released", func() bool { return e.LiveStreams() == 1 })
	e.Close()
	eventually(t, "b terminated", func() bool { return e.LiveStreams() == 0 })
	ts := bRec.types()
	if len(ts) < 3 || ts[len(ts)-2] != engine.AbortFrame || ts[len(ts)-1] != engine.ResetFrame {
		t.Fatalf("b got %v, want abort then reset", ts)
	}
	if _, err := e.Open("p", engine.NewExecutor(), &recorder{}, engine.Frame{}); err == nil {
		t.Fatal("open after close succeeded")
	}
}

// A rejected stream returns the acceptor's error and counts nothing.
func TestRejectedStream(t *testing.T) {
	e, p, _ := probeEngine(t, false)
	p.accept = func(*engine.Stream, *engine.Frame) (engine.Receiver, error) { return nil, context.Canceled }
	exec := engine.NewExecutor()
	var err error
	exec.Execute(func() { _, err = e.Open("p", exec, &recorder{}, engine.Frame{}) })
	if err != context.Canceled || e.LiveStreams() != 0 {
		t.Fatalf("err %v, live %d", err, e.LiveStreams())
	}
}

// Shutdown waits for open streams until the grace period, then closes them.
func TestShutdownGrace(t *testing.T) {
	e, p, _ := probeEngine(t, false)
	p.accept = func(*engine.Stream, *engine.Frame) (engine.Receiver, error) { return &recorder{}, nil }
	rec := &recorder{}
	open(t, e, "p", rec)
	start := time.Now()
	if err := e.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 150*time.Millisecond {
		t.Errorf("shutdown returned after %v, before the grace period", waited)
	}
	eventually(t, "terminated", func() bool { return e.LiveStreams() == 0 })
}

// A target may refuse what it fully received: one Reset after the request
// ended still reaches the origin, while the origin awaits the reply.
func TestResetAfterEndReachesPeer(t *testing.T) {
	e, p, _ := probeEngine(t, false)
	p.accept = func(*engine.Stream, *engine.Frame) (engine.Receiver, error) {
		return engine.ReceiverFunc(func(s *engine.Stream, f *engine.Frame) {
			if f.Type == engine.EndFrame {
				s.Reset("refused")
				s.Reset("twice") // only one Reset travels
				s.Abort(nil)
			}
		}), nil
	}
	got := make(chan *engine.Frame, 4)
	rec := engine.ReceiverFunc(func(s *engine.Stream, f *engine.Frame) {
		c := *f
		got <- &c
	})
	s, _ := open(t, e, "p", rec)
	s.Execute(func() { s.End(nil) })
	if f := <-got; f.Type != engine.ResetFrame || f.Ext != "refused" {
		t.Fatalf("origin got %v %v, want the reset", f.Type, f.Ext)
	}
	if f := <-got; f.Type != engine.AbortFrame {
		t.Fatalf("origin got %v, want abort", f.Type)
	}
	eventually(t, "released", func() bool { return e.LiveStreams() == 0 })
	select {
	case f := <-got:
		t.Fatalf("extra frame %v", f.Type)
	default:
	}
}

// Padding makes every Data frame cost more than its payload, so even empty
// frames are bounded by the window.
func TestWindowPadding(t *testing.T) {
	e, p, _ := probeEngine(t, false)
	p.accept = func(*engine.Stream, *engine.Frame) (engine.Receiver, error) {
		return engine.ReceiverFunc(func(s *engine.Stream, f *engine.Frame) {
			if f.Type == engine.BeginFrame {
				s.WindowPadded(100, 40)
			}
		}), nil
	}
	s, _ := open(t, e, "p", &recorder{})
	results := make(chan [3]int, 1)
	s.Execute(func() {
		s.Data(engine.FlagsComplete, nil, nil)                   // costs 40
		s.Data(engine.FlagsComplete, make([]byte, 20), nil)      // costs 60
		results <- [3]int{s.Credit(), s.Padding(), s.Sendable()} // 0 left
	})
	if r := <-results; r != [3]int{0, 40, -40} {
		t.Fatalf("credit, padding, sendable = %v, want [0 40 -40]", r)
	}
	// beyond the window: the engine contains the violation to this stream
	s.Execute(func() { s.Data(engine.FlagsComplete, nil, nil) })
	eventually(t, "stream failed and released", func() bool { return e.LiveStreams() == 0 })
}

// Streams a binding opens for itself (not for outside work) do not hold a
// graceful shutdown up.
func TestShutdownIgnoresInternalStreams(t *testing.T) {
	e, p, r := probeEngine(t, true)
	p.accept = func(*engine.Stream, *engine.Frame) (engine.Receiver, error) { return &recorder{}, nil }
	opened := make(chan error, 1)
	r.accept = func(*engine.Stream, *engine.Frame) (engine.Receiver, error) {
		return engine.ReceiverFunc(func(s *engine.Stream, f *engine.Frame) {
			switch f.Type {
			case engine.BeginFrame:
				// a long-lived stream of r's own, like a cache's topic tail
				_, err := r.bc.Routes[0].Exit.Open(s.Executor(), &recorder{}, engine.Frame{})
				opened <- err
				s.Begin(nil)
			case engine.EndFrame:
				s.End(nil)
			}
		}), nil
	}
	outside, _ := open(t, e, "r", &recorder{})
	if err := <-opened; err != nil {
		t.Fatal(err)
	}
	outside.Execute(func() { outside.End(nil) })
	eventually(t, "outside stream done", func() bool { return e.LiveStreams() == 1 })
	start := time.Now()
	if err := e.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited >= 200*time.Millisecond {
		t.Errorf("shutdown waited %v, the grace period, for an internal stream", waited)
	}
	eventually(t, "terminated", func() bool { return e.LiveStreams() == 0 })
}
