package sse_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/specs/spectest"
)

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name, binding, want string
	}{
		{"models", "options: { requests: [{ path: /events, content: json }] }\n    exit: app0", "not supported yet"},
		{"keep-alive too short", "options: { keep-alive: 1ms }\n    exit: app0", "too short"},
		{"unknown option", "options: { retries: 3 }\n    exit: app0", "retries"},
		{"with", "routes:\n      - when: [{ path: /a }]\n        exit: app0\n        with: { topic: t }", "with"},
		{"no exit", "routes:\n      - when: [{ path: /a }]", "exit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			yaml := "name: test\nbindings:\n  sse0:\n    type: sse\n    kind: server\n    " + c.binding + "\n  app0:\n    type: test\n    kind: server\n"
			cfg, err := spectest.Registry(engine.Global()).Parse("zilla.yaml", []byte(yaml))
			if err == nil {
				_, err = engine.New(cfg)
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "zilla.yaml") {
				t.Fatalf("error %v, want one naming the file and mentioning %q", err, c.want)
			}
		})
	}
}
