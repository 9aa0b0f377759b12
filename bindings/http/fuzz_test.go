package http_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/specs/proxy"
)

// panicCatcher records error events (a panic inside a binding is logged
// as "stream failed" and contained, so the fuzz target looks for it).
type panicCatcher struct {
	mu     sync.Mutex
	failed []string
}

func (p *panicCatcher) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (p *panicCatcher) Handle(_ context.Context, r slog.Record) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool {
		msg += " " + a.String()
		return true
	})
	p.failed = append(p.failed, msg)
	return nil
}
func (p *panicCatcher) WithAttrs([]slog.Attr) slog.Handler { return p }
func (p *panicCatcher) WithGroup(string) slog.Handler      { return p }

// wire plays the tcp stream under the http server: it sends the fuzz
// input as the connection's bytes and collects what the server writes.
type wire struct {
	mu    sync.Mutex
	out   bytes.Buffer
	input [][]byte
	sent  bool
	done  chan struct{}
	once  sync.Once
}

func (w *wire) Receive(s *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.BeginFrame:
		s.Window(1 << 20)
	case engine.DataFrame:
		w.mu.Lock()
		w.out.Write(f.Payload)
		w.mu.Unlock()
		s.Window(len(f.Payload))
	case engine.WindowFrame:
		for len(w.input) > 0 && s.Credit() > 0 {
			p := w.input[0]
			n := min(len(p), s.Credit())
			s.Data(engine.FlagsComplete, p[:n], nil)
			if n == len(p) {
				w.input = w.input[1:]
			} else {
				w.input[0] = p[n:]
			}
		}
		if len(w.input) == 0 && !w.sent {
			w.sent = true
			s.End(nil)
		}
	case engine.EndFrame, engine.AbortFrame, engine.ResetFrame:
		s.Terminate(nil)
		w.once.Do(func() { close(w.done) })
	}
}

// FuzzServerRequest feeds arbitrary connection bytes to an http server
// whose exit is an echo, split in two writes, and checks that nothing
// panics and that the connection ends.
//
//	go test ./bindings/http -run '^$' -fuzz FuzzServerRequest -fuzztime 30s
func FuzzServerRequest(f *testing.F) {
	for _, seed := range []string{
		"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
		"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nA: b\r\n\r\n",
		"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n" +
			"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00" +
			"\x00\x00\x0d\x01\x05\x00\x00\x00\x01\x82\x86\x84\x41\x86\xa0\xe4\x1d\x13\x9d\x09",
		"GET / HTTP/1.0\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: x\r\nOrigin: http://o\r\nAccess-Control-Request-Method: PUT\r\n\r\n",
	} {
		f.Add([]byte(seed), uint16(len(seed)/2))
	}
	catcher := &panicCatcher{}
	cfg, err := engine.Global().Parse("zilla.yaml", []byte(`
name: test
bindings:
  http0:
    type: http
    kind: server
    options: { timeouts: { request-header: 1, request-body: 1, keep-alive: 1 } }
    routes:
      - when: [{ headers: { ":path": "/echo*" } }]
        exit: echo0
  echo0:
    type: echo
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
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		cut := int(split) % (len(data) + 1)
		w := &wire{done: make(chan struct{})}
		for _, p := range [][]byte{data[:cut], data[cut:]} {
			if len(p) > 0 {
				w.input = append(w.input, bytes.Clone(p))
			}
		}
		exec := engine.NewExecutor()
		exec.Execute(func() {
			if _, err := e.Open("http0", exec, w, engine.Frame{Ext: &proxy.BeginEx{}}); err != nil {
				t.Error(err)
				w.once.Do(func() { close(w.done) })
			}
		})
		select {
		case <-w.done:
		case <-time.After(5 * time.Second):
			t.Fatalf("connection did not end; the server wrote %q", w.out.String())
		}
		catcher.mu.Lock()
		defer catcher.mu.Unlock()
		if len(catcher.failed) > 0 {
			t.Fatalf("%s", catcher.failed[0])
		}
	})
}
