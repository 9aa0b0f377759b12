package httpkafka_test

import (
	"os/exec"
	"strings"
	"testing"

	_ "github.com/sluicehq/sluice/bindings/http"
	_ "github.com/sluicehq/sluice/bindings/tcp"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/enginetest"
	"github.com/sluicehq/sluice/internal/testtool"
	httpspec "github.com/sluicehq/sluice/specs/http"
)

// TestHTTPRefusalByResetAfterRequestEnd pins the "http" stream contract
// (specs/http: "A binding that refuses a request before replying resets the
// initial direction, optionally with a *ResetEx") for a request the http
// server has already ended (every GET): the engine lets one Reset travel
// after a clean End, and the client gets the refusal.
func TestHTTPRefusalByResetAfterRequestEnd(t *testing.T) {
	curl := testtool.Require(t, "curl")
	reg := engine.Global().Clone()
	reg.RegisterBinding(engine.BindingType{
		Name:   "refuser",
		Kinds:  []engine.KindSpec{{Kind: engine.KindServer, Accepts: "http"}},
		Schema: []byte(`{"properties": {"routes": false, "exit": false}}`),
		New: func(*engine.BindingContext) (engine.Binding, error) {
			return refuser{}, nil
		},
	})
	e := enginetest.Start(t, `
name: test
bindings:
  tcp0:
    type: tcp
    kind: server
    options: {host: 127.0.0.1, port: 0}
    exit: http0
  http0:
    type: http
    kind: server
    exit: app0
  app0:
    type: refuser
    kind: server
`, enginetest.Options{Registry: reg, AllowOpenStreams: true})
	out, _ := exec.Command(curl, "-sS", "-i", "--max-time", "3", "http://"+enginetest.Addr(t, e, "test:tcp0")+"/").CombinedOutput()
	if !strings.HasPrefix(string(out), "HTTP/1.1 403") {
		t.Errorf("GET refused with a ResetEx carrying 403: got\n%s", out)
	}
}

type refuser struct{}

func (refuser) Accept(*engine.Stream, *engine.Frame) (engine.Receiver, error) {
	return engine.ReceiverFunc(func(s *engine.Stream, f *engine.Frame) {
		if f.Type == engine.BeginFrame {
			s.Reset(&httpspec.ResetEx{Headers: httpspec.Headers{{Name: ":status", Value: "403"}}})
		}
	}), nil
}
