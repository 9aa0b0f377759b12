package http_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
	"github.com/sluicehq/sluice/specs/proxy"
)

// originBytes is what the fake origin of FuzzClientResponse answers.
var originBytes atomic.Pointer[[]byte]

// fakeOrigin plays a connection to an origin: it answers whatever comes
// with originBytes, then ends.
type fakeOrigin struct{}

func (fakeOrigin) Accept(*engine.Stream, *engine.Frame) (engine.Receiver, error) {
	b := *originBytes.Load()
	return &originPlayer{left: bytes.Clone(b)}, nil
}

type originPlayer struct {
	left  []byte
	ended bool
}

func (o *originPlayer) Receive(s *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.BeginFrame:
		s.Begin(&proxy.BeginEx{})
		s.Window(1 << 20)
	case engine.WindowFrame:
		for len(o.left) > 0 && s.Credit() > 0 {
			n := min(len(o.left), s.Credit(), 7)
			s.Data(engine.FlagsComplete, o.left[:n], nil)
			o.left = o.left[n:]
		}
		if len(o.left) == 0 && !o.ended {
			o.ended = true
			s.End(nil)
		}
	case engine.DataFrame:
		s.Window(len(f.Payload))
	case engine.EndFrame, engine.AbortFrame, engine.ResetFrame:
		s.Terminate(nil)
	}
}

// requester is the stream into the http client: it collects the response.
type requester struct {
	done chan struct{}
	once sync.Once
}

func (r *requester) Receive(s *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.BeginFrame:
		s.Window(1 << 20)
	case engine.DataFrame:
		s.Window(len(f.Payload))
	case engine.EndFrame, engine.AbortFrame, engine.ResetFrame:
		s.Terminate(nil)
		r.once.Do(func() { close(r.done) })
	}
}

// FuzzClientResponse feeds arbitrary bytes as an origin's answer to the
// http client and checks that nothing panics and that the request ends.
//
//	go test ./bindings/http -run '^$' -fuzz FuzzClientResponse -fuzztime 30s
func FuzzClientResponse(f *testing.F) {
	for _, seed := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: y\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nuntil close",
		"HTTP/1.1 301 Moved\r\nLocation: /x\r\nConnection: close\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	reg := engine.Global().Clone()
	reg.RegisterBinding(engine.BindingType{
		Name:   "fakeorigin",
		Kinds:  []engine.KindSpec{{Kind: engine.KindServer, Accepts: "tcp"}},
		Schema: []byte(`{"properties": {"options": false}}`),
		New:    func(*engine.BindingContext) (engine.Binding, error) { return fakeOrigin{}, nil },
	})
	catcher := &panicCatcher{}
	cfg, err := reg.Parse("zilla.yaml", []byte(`
name: test
bindings:
  client0:
    type: http
    kind: client
    options: { versions: [http/1.1] }
    exit: origin0
  origin0:
    type: fakeorigin
    kind: server
`))
	if err != nil {
		f.Fatal(err)
	}
	e, err := engine.New(cfg, engine.WithLogger(slog.New(catcher)))
	if err != nil {
		f.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { e.Close() })
	f.Fuzz(func(t *testing.T, data []byte) {
		originBytes.Store(&data)
		r := &requester{done: make(chan struct{})}
		exec := engine.NewExecutor()
		go exec.Execute(func() {
			st, err := e.Open("client0", exec, r, engine.Frame{Ext: &httpspec.BeginEx{Headers: httpspec.Headers{
				{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "http"},
				{Name: ":authority", Value: "origin"}, {Name: ":path", Value: "/"}}}})
			if err != nil {
				t.Error(err)
				r.once.Do(func() { close(r.done) })
				return
			}
			st.End(nil)
		})
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
			buf := make([]byte, 1<<20)
			os.WriteFile(filepath.Join(os.TempDir(), "sluice-fuzz-stacks.txt"), buf[:runtime.Stack(buf, true)], 0o644)
			t.Fatalf("request did not end for response %q", data)
		}
		catcher.mu.Lock()
		defer catcher.mu.Unlock()
		if len(catcher.failed) > 0 {
			t.Fatalf("%s", catcher.failed[0])
		}
	})
}
