package kafka

import (
	"context"
	"strings"
	"testing"

	_ "github.com/sluicehq/sluice/bindings/echo"
	"github.com/sluicehq/sluice/engine"
)

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"server without port", `
  k:
    type: kafka
    kind: client
    options: {servers: ["localhost"]}`, "servers"},
		{"no servers", `
  k:
    type: kafka
    kind: client
    options: {servers: []}`, "servers"},
		{"sasl and authorization", `
  k:
    type: kafka
    kind: client
    options:
      servers: ["localhost:9092"]
      sasl: {mechanism: plain, username: u, password: p}
      authorization: {g: {credentials: {mechanism: plain, username: u, password: p}}}`, "options"},
		{"unknown mechanism", `
  k:
    type: kafka
    kind: client
    options:
      servers: ["localhost:9092"]
      sasl: {mechanism: gssapi, username: u, password: p}`, "mechanism"},
		{"oauthbearer without token", `
  k:
    type: kafka
    kind: client
    options:
      servers: ["localhost:9092"]
      sasl: {mechanism: oauthbearer}`, "token"},
		{"scram-sha-1", `
  k:
    type: kafka
    kind: client
    options:
      servers: ["localhost:9092"]
      sasl: {mechanism: scram-sha-1, username: u, password: p}`, "scram-sha-256"},
		{"undefined guard", `
  k:
    type: kafka
    kind: client
    options:
      servers: ["localhost:9092"]
      authorization: {nope: {credentials: {mechanism: plain, username: u, password: p}}}`, "guard \"nope\" is not defined"},
		{"topic condition on a client (Zilla 2.x)", `
  k:
    type: kafka
    kind: client
    options: {servers: ["localhost:9092"]}
    routes:
      - when: [{topic: items}]
        exit: e
  e:
    type: echo
    kind: server`, "when"},
		{"unknown cache option", `
  k:
    type: kafka
    kind: cache_server
    options: {size: 1}
    exit: c
  c:
    type: kafka
    kind: client
    options: {servers: ["localhost:9092"]}`, "size"},
		{"retention too small", `
  k:
    type: kafka
    kind: cache_server
    options: {retention: {bytes: 10}}
    exit: c
  c:
    type: kafka
    kind: client
    options: {servers: ["localhost:9092"]}`, "retention"},
		{"models not supported yet", `
  k:
    type: kafka
    kind: cache_server
    options: {topics: [{name: items, value: json}]}
    exit: c
  c:
    type: kafka
    kind: client
    options: {servers: ["localhost:9092"]}`, "not supported yet"},
		{"guarded client route", `
  k:
    type: kafka
    kind: client
    options: {servers: ["localhost:9092"]}
    routes:
      - guarded: {g: [producer]}
        exit: t
  t:
    type: tcp
    kind: client
guards:
  g:
    type: inline
    options: {identity: alice}`, "a kafka client route cannot be guarded"},
		{"cache server without exit", `
  k:
    type: kafka
    kind: cache_server`, "needs an exit"},
		{"cache exit that is not kafka", `
  k:
    type: kafka
    kind: cache_client
    exit: t
  t:
    type: tcp
    kind: client`, "accepts tcp streams"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := "name: test\nbindings:" + tc.yaml + "\n"
			cfg, err := engine.Global().Parse("zilla.yaml", []byte(yaml))
			if err == nil {
				var e *engine.Engine
				if e, err = engine.New(cfg); err == nil {
					e.Close()
				}
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestClientExitMustDial(t *testing.T) {
	yaml := "name: test\nbindings:\n  k:\n    type: kafka\n    kind: client\n    options: {servers: [\"localhost:9092\"]}\n    exit: e\n  e:\n    type: echo\n    kind: server\n"
	cfg, err := engine.Global().Parse("zilla.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "tcp or tls client") {
		t.Errorf("start error %v", err)
	}
}

func TestConfigAccepted(t *testing.T) {
	yaml := `
name: test
bindings:
  cache0:
    type: kafka
    kind: cache_client
    options:
      topics: [{name: items}]
    routes:
      - when: [{topic: "items*"}]
        exit: server0
  server0:
    type: kafka
    kind: cache_server
    options:
      bootstrap: [items]
      retention: {bytes: 1048576, ms: 60000}
      topics:
        - name: items
          defaultOffset: live
          retention: {bytes: 2097152}
        - name: "user-{id}"
    exit: kafka0
  kafka0:
    type: kafka
    kind: client
    options:
      servers: ["${{env.KAFKA_ONE}},localhost:9093"]
      sasl: {mechanism: scram-sha-512, username: u, password: p}
    exit: tcp0
  tcp0:
    type: tcp
    kind: client
`
	cfg, err := engine.Global().Parse("zilla.yaml", []byte(yaml), engine.WithEnv(func(string) (string, bool) { return "localhost:9092", true }))
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
}

func TestTopicPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern, topic string
		match          bool
	}{
		{"items", "items", true},
		{"items", "items2", false},
		{"user-{id}", "user-42", true},
		{"user-{id}", "user-", false},
		{"a.b", "axb", true}, // a regular expression: dots are not escaped (Zilla)
	} {
		re, err := topicPattern(tc.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if re.MatchString(tc.topic) != tc.match {
			t.Errorf("%q matching %q: %v", tc.pattern, tc.topic, !tc.match)
		}
	}
}
