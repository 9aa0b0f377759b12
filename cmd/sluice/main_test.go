package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/testtool"
)

var sluice string // the built binary

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sluice-bin")
	if err != nil {
		panic(err)
	}
	sluice = filepath.Join(dir, "sluice")
	build := exec.Command("go", "build", "-o", sluice, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(sluice, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

// syncBuffer collects a process's output while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startSluice starts `sluice start` and waits until it logs that the
// engine started.
func startSluice(t *testing.T, env []string, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(sluice, append([]string{"start"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	r, w, _ := os.Pipe()
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	logs := &syncBuffer{}
	started := make(chan bool, 1)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			logs.Write(buf[:n])
			if strings.Contains(logs.String(), "engine started") {
				select {
				case started <- true:
				default:
				}
			}
			if err != nil {
				started <- false
				return
			}
		}
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	select {
	case ok := <-started:
		if !ok {
			cmd.Wait()
			t.Fatalf("sluice exited before starting:\n%s", logs)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("sluice did not start:\n%s", logs)
	}
	return cmd, logs
}

// The built binary runs examples/tcp.echo and echoes through a real nc.
func TestTCPEchoExampleWithNetcat(t *testing.T) {
	nc := testtool.Require(t, "nc")
	port := testtool.FreePort(t)
	env := []string{"TCP_ECHO_PORT=" + strconv.Itoa(port)}
	cmd, logs := startSluice(t, env, "-c", "../../examples/tcp.echo/zilla.yaml")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := exec.CommandContext(ctx, nc, "-N", "127.0.0.1", strconv.Itoa(port))
	client.Stdin = strings.NewReader("hello from nc\nsecond line\n")
	out, err := client.Output()
	if err != nil {
		t.Fatalf("nc: %v\n%s", err, logs)
	}
	if string(out) != "hello from nc\nsecond line\n" {
		t.Fatalf("nc got %q", out)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logs)
	}
	if !strings.Contains(logs.String(), "stopped") {
		t.Errorf("no shutdown log:\n%s", logs)
	}
}

// SIGTERM lets an open connection finish within the grace period.
func TestGracefulShutdownLetsStreamsFinish(t *testing.T) {
	port := testtool.FreePort(t)
	cmd, logs := startSluice(t, []string{"TCP_ECHO_PORT=" + strconv.Itoa(port)},
		"-c", "../../examples/tcp.echo/zilla.yaml", "--grace", "5s")
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("before"))
	buf := make([]byte, 6)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := readFull(c, buf); err != nil || string(buf) != "before" {
		t.Fatalf("echo %q %v", buf, err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond)
	c.Write([]byte("after"))
	buf = make([]byte, 5)
	if _, err := readFull(c, buf); err != nil || string(buf) != "after" {
		t.Fatalf("open connection stopped during grace: %q %v\n%s", buf, err, logs)
	}
	c.(*net.TCPConn).CloseWrite()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, logs)
	}
}

func readFull(c net.Conn, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := c.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func TestPortInUseExitsWithFailure(t *testing.T) {
	l, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, stderr, code := run(t, []string{"TCP_ECHO_PORT=" + strconv.Itoa(port)}, "start", "-c", "../../examples/tcp.echo/zilla.yaml")
	if code != 1 || !strings.Contains(stderr, "example:north_tcp_server") || !strings.Contains(stderr, "address already in use") {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "zilla.yaml")
	os.WriteFile(bad, []byte("name: test\nbindings:\n  a:\n    type: tcp\n    kind: server\n    options: { host: 0.0.0.0, prot: 8080 }\n    exit: nowhere\n"), 0o644)
	_, stderr, code := run(t, nil, "validate", "-c", bad)
	if code != 3 {
		t.Fatalf("exit %d, want 3:\n%s", code, stderr)
	}
	for _, want := range []string{"invalid configuration (2 problems)", bad + `:6: bindings.a.options.prot: unknown key "prot" (did you mean "port"?)`, `missing required key "port"`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	out, stderr, code := run(t, []string{"TCP_ECHO_PORT=7"}, "validate", "-c", "../../examples/tcp.echo/zilla.yaml")
	if code != 0 || !strings.Contains(out, "valid") {
		t.Fatalf("exit %d: %s %s", code, out, stderr)
	}
	_, stderr, code = run(t, nil, "validate", "-c", filepath.Join(dir, "missing.yaml"))
	if code != 3 || !strings.Contains(stderr, "no such file") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

func TestSchemaListVersionUsage(t *testing.T) {
	out, _, code := run(t, nil, "schema")
	var doc map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || doc["$id"] == nil {
		t.Fatalf("schema exit %d: %.200s", code, out)
	}
	out, _, code = run(t, nil, "list")
	if code != 0 || !strings.Contains(out, "tcp") || !strings.Contains(out, "server, client") {
		t.Fatalf("list exit %d: %s", code, out)
	}
	out, _, code = run(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "sluice ") {
		t.Fatalf("version exit %d: %s", code, out)
	}
	_, stderr, code := run(t, nil, "frobnicate")
	if code != 2 || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Fatalf("unknown command exit %d: %s", code, stderr)
	}
	_, _, code = run(t, nil, "start", "--no-such-flag")
	if code != 2 {
		t.Fatalf("bad flag exit %d", code)
	}
}
