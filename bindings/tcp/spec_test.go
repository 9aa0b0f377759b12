package tcp_test

import (
	"fmt"
	"path/filepath"
	"strconv"
	"testing"

	_ "github.com/sluicehq/sluice/bindings/tcp"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/enginetest"
	"github.com/sluicehq/sluice/internal/testtool"
	"github.com/sluicehq/sluice/specs/proxy"
	"github.com/sluicehq/sluice/specs/spectest"
)

const specs = "../../specs/tcp/streams"

var scenarios = []string{
	"connection.established",
	"client.sent.data",
	"server.sent.data",
	"client.close",
	"server.close",
	"concurrent.connections",
}

var extensions = spectest.Extensions{"proxy": proxy.Extensions}

// TestServer replays each scenario's network client against a tcp server
// whose exit is played by the application-level server script.
func TestServer(t *testing.T) {
	for _, name := range scenarios {
		t.Run(name, func(t *testing.T) {
			e := enginetest.Start(t, `
name: test
bindings:
  net0:
    type: tcp
    kind: server
    options: { host: 127.0.0.1, port: 0 }
    exit: app0
  app0:
    type: test
    kind: server
`, enginetest.Options{Registry: spectest.Registry(engine.Global())})
			spectest.Replay(t, e, spectest.Options{
				Extensions: extensions,
				Addresses:  map[string]string{"localhost:8080": enginetest.Addr(t, e, "test:net0")},
			},
				filepath.Join(specs, "network", name, "client.rpt"),
				filepath.Join(specs, "application", name, "server.rpt"))
		})
	}
}

// TestClient replays each scenario's application client against a tcp
// client that connects to the network-level server script.
func TestClient(t *testing.T) {
	for _, name := range scenarios {
		t.Run(name, func(t *testing.T) {
			port := testtool.FreePort(t)
			e := enginetest.Start(t, fmt.Sprintf(`
name: test
bindings:
  app0:
    type: tcp
    kind: client
    options: { host: 127.0.0.1, port: %d }
`, port))
			spectest.Replay(t, e, spectest.Options{
				Extensions: extensions,
				Properties: map[string]string{"port": strconv.Itoa(port)},
				Addresses:  map[string]string{"localhost:8080": "127.0.0.1:" + strconv.Itoa(port)},
			},
				filepath.Join(specs, "application", name, "client.rpt"),
				filepath.Join(specs, "network", name, "server.rpt"))
		})
	}
}
