package engine_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	_ "github.com/sluicehq/sluice/bindings/echo"
	_ "github.com/sluicehq/sluice/bindings/tcp"
	"github.com/sluicehq/sluice/engine"
)

// testRegistry is the global registry plus two fake types that open and
// accept other protocols, for kind and cycle checks.
func testRegistry() *engine.Registry {
	r := engine.Global().Clone()
	accept := func(*engine.Stream, *engine.Frame) (engine.Receiver, error) { return nil, errors.New("unused") }
	r.RegisterBinding(engine.BindingType{
		Name: "relay",
		Kinds: []engine.KindSpec{
			{Kind: engine.KindProxy, Accepts: "tcp", Opens: "tcp"},
			{Kind: engine.KindServer, Accepts: "tcp", Opens: "web"},
		},
		Schema: []byte(`{}`),
		New:    func(*engine.BindingContext) (engine.Binding, error) { return acceptFunc(accept), nil },
	})
	r.RegisterVault(engine.VaultType{
		Name:   "none",
		Schema: []byte(`{}`),
		New:    func(*engine.ComponentContext) (engine.Vault, error) { return nil, nil },
	})
	r.RegisterBinding(engine.BindingType{
		Name:   "web",
		Kinds:  []engine.KindSpec{{Kind: engine.KindServer, Accepts: "web"}},
		Schema: []byte(`{}`),
		New:    func(*engine.BindingContext) (engine.Binding, error) { return acceptFunc(accept), nil },
	})
	return r
}

type acceptFunc func(*engine.Stream, *engine.Frame) (engine.Receiver, error)

func (f acceptFunc) Accept(s *engine.Stream, b *engine.Frame) (engine.Receiver, error) {
	return f(s, b)
}

func load(yaml string, env map[string]string) (*engine.Config, *engine.Engine, error) {
	cfg, err := testRegistry().Parse("zilla.yaml", []byte(yaml), engine.WithEnv(func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}))
	if err != nil {
		return nil, nil, err
	}
	e, err := engine.New(cfg)
	return cfg, e, err
}

const header = "name: test\nbindings:\n"

// TestConfigErrors is the table of broken configurations: each must be
// rejected with every listed message, positioned at file:line: path.
func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		env  map[string]string
		want []string
	}{
		{"yaml syntax", "name: test\nbindings: [\n", nil,
			[]string{"zilla.yaml:2: invalid YAML"}},
		{"no name", "bindings: {}\n", nil,
			[]string{`zilla.yaml:1: missing required key "name"`}},
		{"empty file", "", nil, []string{"no namespace"}},
		{"misspelt top-level key", "name: test\nbindingz: {}\n", nil,
			[]string{`zilla.yaml:2: bindingz: unknown key "bindingz" (did you mean "bindings"?)`}},
		{"unknown type", header + "  tcp0:\n    type: tpc\n    kind: server\n", nil,
			[]string{`zilla.yaml:4: bindings.tcp0.type: unknown type "tpc": expected one of echo, relay, tcp, web`}},
		{"component type this build lacks", "name: test\ncatalogs:\n  c0:\n    type: schema-registry\n", nil,
			[]string{`zilla.yaml:4: catalogs.c0.type: unknown type "schema-registry": this build has no catalog type`}},
		{"wrong kind for type", header + "  echo0:\n    type: echo\n    kind: client\n", nil,
			[]string{`zilla.yaml:5: bindings.echo0.kind: unknown value "client": expected one of server`}},
		{"misspelt option", header + "  tcp0:\n    type: tcp\n    kind: server\n    options:\n      host: 0.0.0.0\n      prot: 8080\n    exit: echo0\n  echo0:\n    type: echo\n    kind: server\n", nil,
			[]string{`zilla.yaml:8: bindings.tcp0.options.prot: unknown key "prot" (did you mean "port"?)`,
				`zilla.yaml:6: bindings.tcp0.options: missing required key "port"`}},
		{"wrong value type", header + "  tcp0:\n    type: tcp\n    kind: server\n    options: { host: 0.0.0.0, port: true }\n    exit: echo0\n  echo0:\n    type: echo\n    kind: server\n", nil,
			[]string{"zilla.yaml:6: bindings.tcp0.options.port:"}},
		{"invalid port range", header + "  tcp0:\n    type: tcp\n    kind: server\n    options: { host: 0.0.0.0, port: \"9000-8000\" }\n    exit: echo0\n  echo0:\n    type: echo\n    kind: server\n", nil,
			[]string{"bindings.tcp0.options", "invalid port range 9000-8000"}},
		{"server option on a client", header + "  tcp0:\n    type: tcp\n    kind: client\n    options: { host: 127.0.0.1, port: 8080, backlog: 16 }\n", nil,
			[]string{`zilla.yaml:6: bindings.tcp0.options.backlog: not allowed here`}},
		{"dangling exit", header + "  tcp0:\n    type: tcp\n    kind: server\n    options: { host: 0.0.0.0, port: 8080 }\n    exit: nowhere\n", nil,
			[]string{`zilla.yaml:7: bindings.tcp0.exit: binding "test:nowhere" is not defined`}},
		{"dangling route exit", header + "  tcp0:\n    type: tcp\n    kind: server\n    options: { host: 0.0.0.0, port: 8080 }\n    routes:\n      - when: [{ port: 8080 }]\n        exit: nowhere\n", nil,
			[]string{`zilla.yaml:9: bindings.tcp0.routes[0].exit: binding "test:nowhere" is not defined`}},
		{"exit is not a binding", "name: test\nvaults:\n  keys:\n    type: none\nbindings:\n  tcp0:\n    type: tcp\n    kind: server\n    options: { host: 0.0.0.0, port: 8080 }\n    exit: keys\n", nil,
			[]string{`bindings.tcp0.exit: "test:keys" is a vault, not a binding`}},
		{"vault is a binding", header + "  tcp0:\n    type: tcp\n    kind: client\n  relay0:\n    type: relay\n    kind: proxy\n    vault: tcp0\n    exit: tcp0\n", nil,
			[]string{`bindings.relay0.vault: "test:tcp0" is a binding, not a vault`}},
		{"exit accepts no streams", header + "  a:\n    type: tcp\n    kind: server\n    options: { host: 0.0.0.0, port: 8080 }\n    exit: b\n  b:\n    type: tcp\n    kind: server\n    options: { host: 0.0.0.0, port: 8081 }\n    exit: c\n  c:\n    type: echo\n    kind: server\n", nil,
			[]string{`zilla.yaml:7: bindings.a.exit: exit "test:b" is a tcp server binding, which accepts no streams`}},
		{"exit accepts another protocol", header + "  a:\n    type: tcp\n    kind: server\n    options: { host: 0.0.0.0, port: 8080 }\n    exit: w\n  w:\n    type: web\n    kind: server\n", nil,
			[]string{`exit "test:w" is a web server binding, which accepts web streams, but a tcp server binding opens tcp streams`}},
		{"cycle", header + "  a:\n    type: relay\n    kind: proxy\n    exit: b\n  b:\n    type: relay\n    kind: proxy\n    exit: a\n", nil,
			[]string{"exits form a cycle with no terminal binding: test:a -> test:b -> test:a"}},
		{"terminal with exit", header + "  e:\n    type: echo\n    kind: server\n    exit: e\n", nil,
			[]string{"zilla.yaml:6: bindings.e.exit: not allowed here"}},
		{"no exit", header + "  a:\n    type: tcp\n    kind: server\n    options: { host: 0.0.0.0, port: 8080 }\n", nil,
			[]string{"zilla.yaml:3: bindings.a: a tcp server binding needs an exit"}},
		{"duplicate key", header + "  a:\n    type: echo\n    kind: server\n  a:\n    type: echo\n    kind: server\n", nil,
			[]string{`zilla.yaml:6: bindings.a: key "a" appears twice`}},
		{"invalid name", header + "  \"9lives\":\n    type: echo\n    kind: server\n", nil,
			[]string{`zilla.yaml:3: bindings.9lives: invalid name "9lives"`}},
		{"env value validated after substitution", header + "  a:\n    type: tcp\n    kind: server\n    options: { host: 0.0.0.0, port: \"${{env.PORT}}\" }\n    exit: e\n  e:\n    type: echo\n    kind: server\n",
			map[string]string{"PORT": "eighty"}, []string{"zilla.yaml:6: bindings.a.options.port:"}},
		{"unknown expression context", header + "  a:\n    type: echo\n    kind: ${{ vars.KIND }}\n", nil,
			[]string{`zilla.yaml:5: unknown expression context "vars"`}},
		{"invalid cidr found by the binding", header + "  a:\n    type: tcp\n    kind: server\n    options: { host: 0.0.0.0, port: 8080 }\n    routes:\n      - when:\n          - cidr: 10.0.0.0/33\n        exit: e\n  e:\n    type: echo\n    kind: server\n", nil,
			[]string{`zilla.yaml:9: bindings.a.routes[0].when[0].cidr: tcp server binding: invalid cidr "10.0.0.0/33"`}},
		{"undefined namespace", header + "  a:\n    type: tcp\n    kind: server\n    options: { host: 0.0.0.0, port: 8080 }\n    exit: other:e\n", nil,
			[]string{`binding "other:e" is not defined`}},
		{"every problem at once", header + "  a:\n    type: tcp\n    kind: server\n    options: { host: 0.0.0.0, port: 8080, colour: blue }\n    exit: e\n  b:\n    type: echo\n    kind: proxy\n", nil,
			[]string{`zilla.yaml:6: bindings.a.options.colour: unknown key "colour"`, `zilla.yaml:10: bindings.b.kind`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, e, err := load(c.yaml, c.env)
			if err == nil {
				e.Close()
				t.Fatalf("configuration accepted:\n%s", c.yaml)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestConfigAccepted(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		env  map[string]string
	}{
		{"env number", header + "  a:\n    type: tcp\n    kind: server\n    options: { host: 0.0.0.0, port: ${{ env.PORT }} }\n    exit: e\n  e:\n    type: echo\n    kind: server\n",
			map[string]string{"PORT": "8080"}},
		{"ports list and range", header + "  a:\n    type: tcp\n    kind: server\n    options: { host: 0.0.0.0, port: [8080, \"9000-9002\"] }\n    routes:\n      - when: [{ port: 8080 }, { cidr: 10.0.0.0/8 }]\n        exit: e\n    exit: e\n  e:\n    type: echo\n    kind: server\n", nil},
		{"two namespaces", "name: front\nbindings:\n  a:\n    type: tcp\n    kind: server\n    options: { host: 0.0.0.0, port: 8080 }\n    exit: back:e\n---\nname: back\nbindings:\n  e:\n    type: echo\n    kind: server\n", nil},
		{"anchors and merge keys", "name: test\nbindings:\n  a: &srv\n    type: echo\n    kind: server\n  b:\n    <<: *srv\n", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, e, err := load(c.yaml, c.env)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if len(cfg.Namespaces) == 0 {
				t.Fatal("no namespace")
			}
		})
	}
}

func TestUnsetEnvIsAWarning(t *testing.T) {
	cfg, err := testRegistry().Parse("zilla.yaml", []byte(header+"  e:\n    type: echo\n    kind: server${{env.NOPE}}\n"),
		engine.WithEnv(func(string) (string, bool) { return "", false }))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "zilla.yaml:5: environment variable NOPE is not set") {
		t.Fatalf("warnings %q", cfg.Warnings)
	}
}

// Telemetry attributes, and metric names no binding records, pass the
// schema for Zilla's sake and are reported rather than silently dropped.
func TestTelemetryWarnings(t *testing.T) {
	yaml := "name: test\ntelemetry:\n  metrics: [stream.opens.sent, http.duration]\nbindings:\n  e:\n    type: echo\n    kind: server\n" +
		"    telemetry:\n      metrics: [stream.*]\n      attributes: { service: e }\n"
	cfg, err := testRegistry().Parse("zilla.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`zilla.yaml:3: telemetry.metrics[1]: "http.duration" is not recorded by this build`,
		"zilla.yaml:10: bindings.e.telemetry.attributes: accepted but not applied",
	}
	if len(cfg.Warnings) != len(want) {
		t.Fatalf("warnings %q", cfg.Warnings)
	}
	for i, w := range want {
		if !strings.Contains(cfg.Warnings[i], w) {
			t.Errorf("warning %q, want %q", cfg.Warnings[i], w)
		}
	}
}

// A namespace that lists telemetry.metrics selects, with each binding's
// patterns, what the binding records, as in Zilla; one that lists none
// records everything; a pattern that does not compile is an error.
func TestMetricSelection(t *testing.T) {
	registered := func(yaml string) (map[string][]string, error) {
		cfg, err := testRegistry().Parse("zilla.yaml", []byte(yaml))
		if err != nil {
			return nil, err
		}
		e, err := engine.New(cfg)
		if err != nil {
			return nil, err
		}
		defer e.Close()
		out := map[string][]string{}
		for _, m := range e.Metrics().Each() {
			out[m.Binding] = append(out[m.Binding], m.Name)
		}
		return out, nil
	}
	bindings := "bindings:\n  a:\n    type: echo\n    kind: server\n    telemetry:\n      metrics: [\"stream.opens.*\"]\n" +
		"  b:\n    type: echo\n    kind: server\n"

	got, err := registered("name: test\ntelemetry:\n  metrics: [stream.opens.sent, stream.opens.received, stream.data.sent]\n" + bindings)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"stream.opens.received", "stream.opens.sent"}; !slices.Equal(got["test:a"], want) {
		t.Errorf("a records %v, want %v", got["test:a"], want)
	}
	if len(got["test:b"]) != 0 {
		t.Errorf("b, with no patterns, records %v", got["test:b"])
	}

	got, err = registered("name: test\n" + bindings)
	if err != nil {
		t.Fatal(err)
	}
	if len(got["test:a"]) != 10 || len(got["test:b"]) != 10 {
		t.Errorf("with nothing listed, a records %v and b %v; want the whole stream group", got["test:a"], got["test:b"])
	}

	_, err = registered("name: test\ntelemetry:\n  metrics: [stream.opens.sent]\n" +
		"bindings:\n  a:\n    type: echo\n    kind: server\n    telemetry:\n      metrics: [\"stream.(\"]\n")
	if err == nil || !strings.Contains(err.Error(), `zilla.yaml:9: bindings.a.telemetry.metrics[0]: invalid pattern "stream.("`) {
		t.Errorf("error %v", err)
	}
}

func TestRoutesResolved(t *testing.T) {
	cfg, e, err := load(header+"  a:\n    type: tcp\n    kind: server\n    options: { host: 0.0.0.0, port: 8080 }\n    routes:\n      - when: [{ port: 8080 }]\n        exit: e\n    exit: f\n  e:\n    type: echo\n    kind: server\n  f:\n    type: echo\n    kind: server\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	b := cfg.Binding("test:a")
	if len(b.Routes) != 2 || b.Routes[0].Exit != "test:e" || b.Routes[1].Exit != "test:f" || len(b.Routes[1].When) != 0 {
		t.Fatalf("routes %+v", b.Routes)
	}
}

func TestSchemaComposed(t *testing.T) {
	s, err := testRegistry().Schema()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"https://sluice.dev/schema/binding/tcp.json"`, `"const": "tcp"`, `"additionalProperties": false`} {
		if !strings.Contains(string(s), want) {
			t.Errorf("schema lacks %s", want)
		}
	}
}
