package inline_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/guards/inline"
)

func TestInlineGuard(t *testing.T) {
	cfg, err := engine.Global().Parse("zilla.yaml", []byte(`
name: test
guards:
  creds:
    type: inline
    options:
      identity: alice
      credentials: ${{env.SECRET}}
`), engine.WithEnv(func(string) (string, bool) { return "s3cret", true }))
	if err != nil {
		t.Fatal(err)
	}
	opts := cfg.Namespaces[0].Guards[0].Options.(*inline.Options)
	if opts.Identity != "alice" || opts.Credentials != "s3cret" {
		t.Fatalf("options %+v", opts)
	}
	g, err := inline.Type.New(&engine.ComponentContext{Config: cfg.Namespaces[0].Guards[0]})
	if err != nil {
		t.Fatal(err)
	}
	if id := g.(engine.GuardIdentity).Identity(0); id != "alice" {
		t.Errorf("identity %q", id)
	}
	if c := g.(engine.GuardCredentials).Credentials(0); c != "s3cret" {
		t.Errorf("credentials %q", c)
	}
	if !g.Verify(0, nil) || g.Verify(0, []string{"admin"}) {
		t.Error("an inline session holds no roles")
	}
}

func TestInlineGuardRejectsUnknownOption(t *testing.T) {
	_, err := engine.Global().Parse("zilla.yaml", []byte(`
name: test
guards:
  creds:
    type: inline
    options:
      identiy: alice
`))
	if err == nil || !strings.Contains(err.Error(), `unknown key "identiy" (did you mean "identity"?)`) {
		t.Fatalf("error %v", err)
	}
}
