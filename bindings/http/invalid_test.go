package http_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/enginetest"
	httpspec "github.com/sluicehq/sluice/specs/http"
	"golang.org/x/net/http2"
)

// replier answers each request with a head chosen by its path: a broken
// one for /bad-status and /bad-value, a fine one otherwise.
type replier struct{}

func (replier) Accept(*engine.Stream, *engine.Frame) (engine.Receiver, error) {
	return engine.ReceiverFunc(func(s *engine.Stream, f *engine.Frame) {
		switch f.Type {
		case engine.BeginFrame:
			path := f.Ext.(*httpspec.BeginEx).Headers.Value(httpspec.Path)
			head := httpspec.Headers{{Name: httpspec.Status, Value: "200"}}
			switch path {
			case "/bad-status":
				head[0].Value = "abc"
			case "/bad-value":
				head = append(head, httpspec.Header{Name: "x-bad", Value: "a\r\nb"})
			}
			s.Begin(&httpspec.BeginEx{Headers: head})
			s.End(nil)
		case engine.EndFrame, engine.AbortFrame, engine.ResetFrame:
			s.Terminate(nil)
		}
	}), nil
}

// TestInvalidResponse: a head the wire cannot carry is answered 502, over
// both versions, and the connection goes on.
func TestInvalidResponse(t *testing.T) {
	reg := engine.Global().Clone()
	reg.RegisterBinding(engine.BindingType{
		Name:   "replier",
		Kinds:  []engine.KindSpec{{Kind: engine.KindServer, Accepts: "http"}},
		Schema: []byte(`{"properties": {"options": false}}`),
		New:    func(*engine.BindingContext) (engine.Binding, error) { return replier{}, nil },
	})
	e := enginetest.Start(t, `
name: test
bindings:
  tcp0:
    type: tcp
    kind: server
    options: { host: 127.0.0.1, port: 0 }
    exit: http0
  http0:
    type: http
    kind: server
    exit: app0
  app0:
    type: replier
    kind: server
`, enginetest.Options{Registry: reg})
	addr := enginetest.Addr(t, e, "test:tcp0")
	for _, path := range []string{"/bad-status", "/bad-value"} {
		got := rawExchange(t, addr, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\nGET /fine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if !strings.HasPrefix(got, "HTTP/1.1 502 Bad Gateway\r\n") || !strings.Contains(got, "HTTP/1.1 200 OK\r\n") {
			t.Fatalf("%s over HTTP/1.1: %q", path, got)
		}
		c := dialH2(t, addr)
		c.headers(1, true, get(path)...)
		mh := c.next(isType[*http2.MetaHeadersFrame]).(*http2.MetaHeadersFrame)
		if mh.PseudoValue("status") != "502" {
			t.Fatalf("%s over HTTP/2: %s", path, mh.PseudoValue("status"))
		}
	}
}
