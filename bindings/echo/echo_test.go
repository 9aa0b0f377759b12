package echo_test

import (
	"path/filepath"
	"testing"

	_ "github.com/sluicehq/sluice/bindings/echo"
	"github.com/sluicehq/sluice/engine/enginetest"
	"github.com/sluicehq/sluice/specs/proxy"
	"github.com/sluicehq/sluice/specs/spectest"
)

// TestScenarios replays each echo scenario's client script against the
// echo binding, which must answer as the server script does.
func TestScenarios(t *testing.T) {
	const root = "../../specs/echo/streams"
	for _, name := range spectest.Scenarios(t, root) {
		t.Run(name, func(t *testing.T) {
			e := enginetest.Start(t, `
name: test
bindings:
  app0:
    type: echo
    kind: server
`)
			spectest.Replay(t, e, spectest.Options{Extensions: spectest.Extensions{"proxy": proxy.Extensions}},
				filepath.Join(root, name, "client.rpt"))
		})
	}
}
