// Copyright The Sluice Authors
// SPDX-License-Identifier: Apache-2.0

package testtool

import (
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// fakeTB records how a helper ended a test instead of ending the real one.
type fakeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls fn with a fakeTB on its own goroutine, as Skipf and Fatalf end
// the goroutine they run on, and returns the fake and fn's result.
func run(t *testing.T, fn func(testing.TB) string) (*fakeTB, string) {
	f := &fakeTB{TB: t}
	var got string
	done := make(chan struct{})
	go func() {
		defer close(done)
		got = fn(f)
	}()
	<-done
	return f, got
}

const noSuchTool = "sluice-testtool-no-such-tool"

func TestRequireFound(t *testing.T) {
	t.Setenv("CI", "true")
	f, path := run(t, func(tb testing.TB) string { return Require(tb, "sh") })
	if f.skipped || f.failed || path == "" {
		t.Fatalf("Require(sh) = %q, skipped=%v failed=%v msg=%q", path, f.skipped, f.failed, f.msg)
	}
}

func TestRequireMissing(t *testing.T) {
	for _, ci := range []string{"", "false", "true"} {
		t.Run("CI="+ci, func(t *testing.T) {
			t.Setenv("CI", ci)
			f, path := run(t, func(tb testing.TB) string { return Require(tb, noSuchTool) })
			if path != "" {
				t.Errorf("path = %q, want empty", path)
			}
			if f.failed != (ci == "true") || f.skipped == (ci == "true") {
				t.Errorf("skipped=%v failed=%v, want failure only when CI=true", f.skipped, f.failed)
			}
			for _, want := range []string{noSuchTool, "scripts/deps.sh"} {
				if !strings.Contains(f.msg, want) {
					t.Errorf("message %q does not mention %q", f.msg, want)
				}
			}
		})
	}
}

func TestRequireEnv(t *testing.T) {
	const name = "SLUICE_TESTTOOL_VAR"
	t.Setenv("CI", "true")
	t.Setenv(name, "value")
	if f, v := run(t, func(tb testing.TB) string { return RequireEnv(tb, name) }); v != "value" || f.failed || f.skipped {
		t.Fatalf("RequireEnv = %q, skipped=%v failed=%v", v, f.skipped, f.failed)
	}

	t.Setenv(name, "")
	f, _ := run(t, func(tb testing.TB) string { return RequireEnv(tb, name) })
	if !f.failed || !strings.Contains(f.msg, name) {
		t.Errorf("with CI=true: failed=%v msg=%q, want a failure naming %s", f.failed, f.msg, name)
	}

	t.Setenv("CI", "")
	f, _ = run(t, func(tb testing.TB) string { return RequireEnv(tb, name) })
	if !f.skipped || f.failed || !strings.Contains(f.msg, name) {
		t.Errorf("without CI: skipped=%v failed=%v msg=%q, want a skip naming %s", f.skipped, f.failed, f.msg, name)
	}
}

func TestInCI(t *testing.T) {
	for ci, want := range map[string]bool{"true": true, "": false, "1": false, "false": false} {
		t.Setenv("CI", ci)
		if got := InCI(); got != want {
			t.Errorf("CI=%q: InCI() = %v, want %v", ci, got, want)
		}
	}
}

func TestFreePort(t *testing.T) {
	port := FreePort(t)
	if port <= 0 || port > 65535 {
		t.Fatalf("FreePort() = %d", port)
	}
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("port %d from FreePort is not free: %v", port, err)
	}
	l.Close()
}

func TestKafkaBootstrap(t *testing.T) {
	t.Setenv("KAFKA_BOOTSTRAP_SERVERS", "")
	if v, ok := KafkaBootstrap(); ok || v != "" {
		t.Errorf("unset: KafkaBootstrap() = %q, %v", v, ok)
	}
	t.Setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
	if v, ok := KafkaBootstrap(); !ok || v != "127.0.0.1:9092" {
		t.Errorf("set: KafkaBootstrap() = %q, %v", v, ok)
	}
}
