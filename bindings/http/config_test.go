package http_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/engine"
)

func parseHTTP(t *testing.T, binding string) error {
	t.Helper()
	cfg, err := engine.Global().Parse("zilla.yaml", []byte(`
name: test
bindings:
  http0:
    type: http
`+binding+`
  echo0:
    type: echo
    kind: server
`))
	if err != nil {
		return err
	}
	_, err = engine.New(cfg)
	return err
}

func TestConfig(t *testing.T) {
	valid := map[string]string{
		"zilla server": `
    kind: server
    options:
      versions: [http/1.1, h2]
      access-control:
        policy: cross-origin
        allow:
          origins: [https://example.com]
          methods: [GET]
          headers: [content-type]
          credentials: true
        max-age: 3600
        expose:
          headers: [x-trace]
      overrides:
        x-forwarded-proto: https
    routes:
      - when:
          - headers:
              :scheme: http
              :authority: localhost:8080
              :path: /items/{id}
        with:
          headers:
            overrides:
              x-id: ${params.id}
        exit: echo0
    exit: echo0`,
		"same-origin": `
    kind: server
    options:
      access-control:
        policy: same-origin
    exit: echo0`,
		"sluice limits and timeouts": `
    kind: server
    options:
      limits: { request-header-bytes: 8192, request-body-bytes: 1048576, concurrent-streams: 10 }
      timeouts: { request-header: 5, request-body: "1m", keep-alive: 0.5 }
    exit: echo0`,
		"client": `
    kind: client
    options:
      versions: [h2]
      overrides:
        :authority: example.com
    routes:
      - when:
          - headers: { ":scheme": https }
        exit: echo0`,
	}
	for name, c := range valid {
		t.Run(name, func(t *testing.T) {
			if err := parseHTTP(t, c); err != nil {
				t.Fatal(err)
			}
		})
	}
	invalid := map[string]struct{ yaml, want string }{
		"unknown version": {`
    kind: server
    options: { versions: [http/3] }
    exit: echo0`, "options.versions"},
		"unknown option": {`
    kind: server
    options: { version: [h2] }
    exit: echo0`, "options"},
		"allow under same-origin": {`
    kind: server
    options:
      access-control:
        policy: same-origin
        allow: { origins: [x] }
    exit: echo0`, "access-control"},
		"two guards": {`
    kind: server
    options:
      authorization:
        a: { credentials: { headers: { authorization: "Bearer {credentials}" } } }
        b: { credentials: { headers: { authorization: "Bearer {credentials}" } } }
    exit: echo0`, "authorization"},
		"bad pattern": {`
    kind: server
    routes:
      - when:
          - headers: { ":path": "/items/{id" }
        exit: echo0`, "routes[0].when[0].headers.:path"},
		"unknown expression": {`
    kind: server
    routes:
      - when:
          - headers: { ":path": "/items/{id}" }
        with:
          headers:
            overrides: { x-id: "${guarded.id}" }
        exit: echo0`, "routes[0].with.headers.overrides.x-id"},
		"access-control on a client": {`
    kind: client
    options:
      access-control: { policy: cross-origin }
    exit: echo0`, "access-control"},
		"request timeouts on a client": {`
    kind: client
    options:
      timeouts: { request-header: 5s }
    exit: echo0`, "timeouts.request-header"},
		"with on a client": {`
    kind: client
    routes:
      - with: { headers: { overrides: { a: b } } }
        exit: echo0`, "with"},
		"request without checks": {`
    kind: server
    options:
      requests:
        - path: /items
    exit: echo0`, "requests"},
		// Both pass the schema and are refused until they are enforced.
		"authorization not enforced yet": {`
    kind: server
    options:
      authorization:
        jwt0:
          credentials:
            headers:
              authorization: Bearer {credentials}
            query:
              access_token: "{credentials}"
    exit: echo0`, "not enforced by this build"},
		"requests not enforced yet": {`
    kind: server
    options:
      requests:
        - path: /items/{id}
          method: GET
          params:
            path:
              id: string
    exit: echo0`, "request validation with models is not supported yet"},
		"small header limit": {`
    kind: server
    options:
      limits: { request-header-bytes: 10 }
    exit: echo0`, "options.limits.request-header-bytes"},
		"bad duration": {`
    kind: server
    options:
      timeouts: { keep-alive: soon }
    exit: echo0`, "timeouts"},
	}
	for name, c := range invalid {
		t.Run(name, func(t *testing.T) {
			err := parseHTTP(t, c.yaml)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not name %q", err, c.want)
			}
		})
	}
}
