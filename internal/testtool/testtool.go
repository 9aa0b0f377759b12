// Copyright The Sluice Authors
// SPDX-License-Identifier: Apache-2.0

// Package testtool holds small helpers for tests that depend on things
// outside the Go toolchain: external programs (nc, kcat, h2load, chromium,
// ...), environment variables, free ports and a running Kafka broker.
//
// The rule it enforces: a test that needs an external tool skips with a clear
// message when a developer runs it by hand without the tool, and fails when
// it runs in CI (CI=true), where scripts/deps.sh must have installed
// everything, so that a missing install step cannot hide behind a skip.
package testtool

import (
	"net"
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run in continuous integration, that is
// whether the environment variable CI is "true".
func InCI() bool {
	return os.Getenv("CI") == "true"
}

// missing skips the test, or fails it when InCI, with the message msg.
func missing(t testing.TB, msg string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s (CI=true: required)", msg)
	}
	t.Skipf("%s; skipping", msg)
}

// Require returns the path of the executable name, looked up in PATH with
// exec.LookPath. When it is missing, the test is skipped, or fails when
// InCI, with a message that names the tool and says that scripts/deps.sh
// installs it.
func Require(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		missing(t, "required tool "+name+" not found in PATH: scripts/deps.sh installs it")
		return ""
	}
	return path
}

// RequireEnv returns the value of the environment variable name. When it is
// unset or empty, the test is skipped, or fails when InCI, with a message
// that names the variable.
func RequireEnv(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		hint := ""
		if name == "KAFKA_BOOTSTRAP_SERVERS" {
			hint = ` (start a broker with scripts/kafka.sh start, then eval "$(scripts/kafka.sh env)")`
		}
		missing(t, "required environment variable "+name+" is not set"+hint)
		return ""
	}
	return v
}

// FreePort returns a TCP port on 127.0.0.1 that was free when it was
// chosen. Another process may take it before the caller binds it, so prefer
// listening on port 0 directly where the code under test allows it.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testtool: no free port on 127.0.0.1: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// KafkaBootstrap returns the value of KAFKA_BOOTSTRAP_SERVERS (as printed by
// scripts/kafka.sh start) and whether it is set and non-empty.
func KafkaBootstrap() (string, bool) {
	v := os.Getenv("KAFKA_BOOTSTRAP_SERVERS")
	return v, v != ""
}
