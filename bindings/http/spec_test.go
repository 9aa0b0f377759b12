package http_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/enginetest"
	"github.com/sluicehq/sluice/internal/testtool"
	httpspec "github.com/sluicehq/sluice/specs/http"
	"github.com/sluicehq/sluice/specs/proxy"
	"github.com/sluicehq/sluice/specs/spectest"
)

const specs = "../../specs/http/streams"

var extensions = spectest.Extensions{"proxy": proxy.Extensions, "http": httpspec.Extensions}

// serverOptions is the http server of the scenarios: cross-origin access
// control for example.com, an override for every request, and a route
// whose override uses a :path parameter.
const serverOptions = `
    options:
      access-control:
        policy: cross-origin
        allow:
          origins: [https://example.com]
          methods: [GET, PUT]
          headers: [x-custom]
          credentials: true
        max-age: 600
      overrides:
        x-forwarded-proto: http
`

// limitOptions is the http server of the limit scenarios.
const limitOptions = `
    options:
      limits:
        request-header-bytes: 1024
        request-body-bytes: 10
`

func serverConfig(options string) string {
	return `
name: test
bindings:
  net0:
    type: tcp
    kind: server
    options: { host: 127.0.0.1, port: 0 }
    exit: http0
  http0:
    type: http
    kind: server
` + options + `
    routes:
      - when:
          - headers: { ":path": "/items/{id}" }
        with:
          headers:
            overrides: { x-item: "${params.id}" }
        exit: app0
      - when:
          - headers: { ":path": "/items*" }
        exit: app0
  app0:
    type: test
    kind: server
`
}

// TestServer replays each scenario's network client against the http
// server, whose exit is played by the scenario's application server (none
// for the scenarios the server answers by itself).
func TestServer(t *testing.T) {
	for _, s := range serverScenarios {
		t.Run(s.name, func(t *testing.T) {
			e := enginetest.Start(t, serverConfig(s.options), enginetest.Options{Registry: spectest.Registry(engine.Global())})
			scripts := []string{filepath.Join(specs, "network", s.name, "client.rpt")}
			if s.app {
				scripts = append(scripts, filepath.Join(specs, "application", s.name, "server.rpt"))
			}
			spectest.Replay(t, e, spectest.Options{
				Extensions: extensions,
				Addresses:  map[string]string{"localhost:8080": enginetest.Addr(t, e, "test:net0")},
			}, scripts...)
		})
	}
}

// serverScenarios lists every network scenario with the options it runs
// under and whether an exit (the application server script) takes part.
var serverScenarios = []struct {
	name    string
	options string
	app     bool
}{
	{"request.with.headers", serverOptions, true},
	{"request.with.content.length", serverOptions, true},
	{"request.with.chunked.body", serverOptions, true},
	{"request.with.overrides", serverOptions, true},
	{"request.pipelined", serverOptions, true},
	{"request.expect.continue", serverOptions, true},
	{"request.reset", serverOptions, true},
	{"request.client.gone", serverOptions, true},
	{"response.complete.before.end", serverOptions, true},
	{"request.reset.with.headers", serverOptions, true},
	{"response.chunked", serverOptions, true},
	{"response.with.trailers", serverOptions, true},
	{"response.aborted.before.head", serverOptions, true},
	{"connection.close", serverOptions, true},
	{"h2.prior.knowledge", serverOptions, true},
	{"h2c.upgrade", serverOptions, true},
	{"cors.request.allowed", serverOptions, true},
	{"cors.preflight.allowed", serverOptions, false},
	{"cors.preflight.forbidden", serverOptions, false},
	{"request.no.route", serverOptions, false},
	{"request.missing.host", serverOptions, false},
	{"request.malformed", serverOptions, false},
	{"request.version.unsupported", serverOptions, false},
	{"request.header.too.large", limitOptions, false},
	{"request.body.too.large", limitOptions, false},
}

// TestClient replays each scenario's application client against the http
// client, whose tcp client exit connects to the network-level server
// script playing the origin.
func TestClient(t *testing.T) {
	for _, name := range []string{
		"request.with.headers",
		"request.with.content.length",
		"response.chunked",
		"response.with.trailers",
	} {
		t.Run(name, func(t *testing.T) {
			port := testtool.FreePort(t)
			e := enginetest.Start(t, fmt.Sprintf(`
name: test
bindings:
  app0:
    type: http
    kind: client
    options:
      versions: [http/1.1]
      timeouts: { keep-alive: 0.1 }
    exit: net0
  net0:
    type: tcp
    kind: client
    options: { host: 127.0.0.1, port: %d }
`, port))
			spectest.Replay(t, e, spectest.Options{
				Extensions: extensions,
				Addresses:  map[string]string{"localhost:8080": "127.0.0.1:" + strconv.Itoa(port)},
			},
				filepath.Join(specs, "application", name, "client.rpt"),
				filepath.Join(specs, "network", name, "server.rpt"))
		})
	}
}

// TestScenarioFolders fails when a scenario exists that no test replays,
// so that a new script cannot be forgotten.
func TestScenarioFolders(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join(specs, "network"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, s := range serverScenarios {
		listed[s.name] = true
	}
	for _, e := range entries {
		if !listed[e.Name()] {
			t.Errorf("network scenario %s is not replayed by TestServer: add it to serverScenarios", e.Name())
		}
	}
}
