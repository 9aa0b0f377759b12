package casing_test

import (
	"path/filepath"
	"testing"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/enginetest"
	_ "github.com/sluicehq/sluice/examples/custom-binding/casing"
	"github.com/sluicehq/sluice/specs/spectest"
)

const scenario = "streams/application/upper.data"

// TestBinding replays the client script into a casing binding whose exit is
// played by the server script.
func TestBinding(t *testing.T) {
	e := enginetest.Start(t, `
name: test
bindings:
  casing0:
    type: casing
    kind: proxy
    exit: app0
  app0:
    type: test
    kind: server
`, enginetest.Options{Registry: spectest.Registry(engine.Global())})
	spectest.Replay(t, e, spectest.Options{},
		filepath.Join(scenario, "client.rpt"), filepath.Join(scenario, "server.rpt"))
}

// TestSchemaRejectsUnknownCase shows the binding's schema fragment at work.
func TestSchemaRejectsUnknownCase(t *testing.T) {
	_, err := engine.Global().Parse("zilla.yaml", []byte(`
name: test
bindings:
  casing0:
    type: casing
    kind: proxy
    options: { to: title }
    exit: echo0
  echo0:
    type: test
    kind: server
`))
	if err == nil {
		t.Fatal("accepted to: title")
	}
}
