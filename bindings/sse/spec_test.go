package sse_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/sluicehq/sluice/bindings/sse"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/enginetest"
	httpspec "github.com/sluicehq/sluice/specs/http"
	"github.com/sluicehq/sluice/specs/spectest"
	ssespec "github.com/sluicehq/sluice/specs/sse"
)

const streams = "../../specs/sse/streams"

var extensions = spectest.Extensions{"http": httpspec.Extensions, "sse": ssespec.Extensions}

// specConfig is an sse server between the http side a network script plays
// (sse0 is opened into directly) and the application app0 plays.
func specConfig(options string) string {
	return `
name: test
bindings:
  sse0:
    type: sse
    kind: server
    options: {` + options + `}
    routes:
      - when:
          - path: /events*
        exit: app0
  app0:
    type: test
    kind: server
`
}

// scenarioOptions are the sse options a scenario needs beyond the
// defaults (keep-alive off, so that no comment interleaves).
var scenarioOptions = map[string]string{
	"keep.alive": "keep-alive: 0.1",
}

// TestScenarios replays every scenario: the network client plays the http
// server's side of the request, the application server plays the exit. A
// scenario without an application level is one the sse server answers by
// itself.
func TestScenarios(t *testing.T) {
	for _, name := range spectest.Scenarios(t, filepath.Join(streams, "network")) {
		t.Run(name, func(t *testing.T) {
			options := "keep-alive: 0"
			if o, ok := scenarioOptions[name]; ok {
				options = o
			}
			e := enginetest.Start(t, specConfig(options), enginetest.Options{Registry: spectest.Registry(engine.Global())})
			scripts := []string{filepath.Join(streams, "network", name, "client.rpt")}
			app := filepath.Join(streams, "application", name, "server.rpt")
			if _, err := os.Stat(app); err == nil {
				scripts = append(scripts, app)
			} else if !strings.HasPrefix(name, "request.") && !strings.HasPrefix(name, "route.") && !strings.HasPrefix(name, "last.event.id.too") {
				t.Fatalf("scenario %s has no application level", name)
			}
			spectest.Replay(t, e, spectest.Options{Extensions: extensions}, scripts...)
		})
	}
}
