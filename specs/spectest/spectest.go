package spectest

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/sluicehq/sluice/engine"
)

// RunPair runs a client and a server script against each other in memory,
// without the engine: the check that a scenario's two sides agree.
func RunPair(ctx context.Context, opts Options, client, server *Script) error {
	return run(ctx, newMemTransport(), opts, client, server)
}

// RunEngine runs scripts against a started engine. Blocks that connect to
// app://name open streams into binding name; blocks that accept
// app://name play the `test` binding name (see Registry); tcp:// blocks use
// real sockets, with addresses mapped through opts.Addresses.
func RunEngine(ctx context.Context, e *engine.Engine, opts Options, scripts ...*Script) error {
	t := &engineTransport{e: e, opts: opts, listeners: map[string]*net.TCPListener{}, accepted: map[string]chan netConn{}}
	return run(ctx, t, opts, scripts...)
}

// Pair loads dir/client.rpt and dir/server.rpt and fails t unless they
// agree.
func Pair(t testing.TB, dir string, opts Options) {
	t.Helper()
	client := mustParse(t, filepath.Join(dir, "client.rpt"), opts)
	server := mustParse(t, filepath.Join(dir, "server.rpt"), opts)
	if err := RunPair(context.Background(), opts, client, server); err != nil {
		t.Fatal(err)
	}
}

// PairAll runs Pair as a subtest for every scenario under root: each
// folder holding client.rpt and server.rpt, named by its path below root
// (network/request.get, for example).
func PairAll(t *testing.T, root string, opts Options) {
	t.Helper()
	scenarios := Scenarios(t, root)
	if len(scenarios) == 0 {
		t.Fatalf("no scenarios under %s", root)
	}
	for _, name := range scenarios {
		t.Run(name, func(t *testing.T) { Pair(t, filepath.Join(root, name), opts) })
	}
}

// Scenarios lists the scenario folders under root, as slash-separated
// paths relative to it, sorted.
func Scenarios(t testing.TB, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if _, err := os.Stat(filepath.Join(path, "client.rpt")); err != nil {
			return nil
		}
		if _, err := os.Stat(filepath.Join(path, "server.rpt")); err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// Replay loads script files and runs them against e, failing t on the
// first mismatch.
func Replay(t testing.TB, e *engine.Engine, opts Options, scripts ...string) {
	t.Helper()
	parsed := make([]*Script, len(scripts))
	for i, path := range scripts {
		parsed[i] = mustParse(t, path, opts)
	}
	if err := RunEngine(context.Background(), e, opts, parsed...); err != nil {
		t.Fatal(err)
	}
}

func mustParse(t testing.TB, path string, opts Options) *Script {
	t.Helper()
	s, err := ParseFile(path, opts.Properties)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
