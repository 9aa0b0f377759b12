package tls_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/enginetest"
)

// idleConnections is how many connections the memory test holds open.
const idleConnections = 1000

// TestMemoryPerIdleConnection measures what an idle TLS connection costs
// the server process: connections made by a child process (so that the
// clients' memory is not counted) each complete a handshake and one small
// echo, then stay idle. The same is measured for plain tcp -> echo in the
// same run; the difference is what the tls server adds. It fails if that
// exceeds a generous bound, which catches per-connection buffers or
// goroutines that outlive the handshake.
func TestMemoryPerIdleConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("opens thousands of connections")
	}
	p := newPKI(t)
	plain := measureIdle(t, `
name: test
bindings:
  net0:
    type: tcp
    kind: server
    options: { host: 127.0.0.1, port: 0 }
    exit: echo0
  echo0: { type: echo, kind: server }
`, "", 1)
	secure := measureIdle(t, `
name: test
vaults:
  server:
    type: fake
    options: { name: server }
bindings:
  net0:
    type: tcp
    kind: server
    options: { host: 127.0.0.1, port: 0 }
    exit: tls0
  tls0:
    type: tls
    kind: server
    vault: server
    options: { keys: [localhost] }
    exit: echo0
  echo0: { type: echo, kind: server }
`, p.caFile, 2)
	perTLS := secure.bytes - plain.bytes
	t.Logf("idle connection, tcp -> echo:       %6d bytes, %.2f goroutines", plain.bytes, plain.goroutines)
	t.Logf("idle connection, tcp -> tls -> echo: %6d bytes, %.2f goroutines", secure.bytes, secure.goroutines)
	t.Logf("the tls server adds %d bytes and %.2f goroutines per idle connection (TLS 1.3, ECDSA P-256)",
		perTLS, secure.goroutines-plain.goroutines)
	if perTLS > 48<<10 {
		t.Errorf("an idle TLS connection costs %d bytes more than a plain one", perTLS)
	}
	if g := secure.goroutines - plain.goroutines; g > 0.05 {
		t.Errorf("an idle TLS connection holds %.2f goroutines", g)
	}
}

type idleCost struct {
	bytes      int64
	goroutines float64
}

// measureIdle runs yaml, holds idleConnections open against it and
// returns the cost of each; streams is how many streams a connection opens.
func measureIdle(t *testing.T, yaml, caFile string, streams int) idleCost {
	t.Helper()
	e := start(t, yaml)
	addr := enginetest.Addr(t, e, "test:net0")
	before, goroutines := heapInUse(), runtime.NumGoroutine()

	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleClientsHelper$")
	cmd.Env = append(os.Environ(), "SLUICE_IDLE_ADDR="+addr, "SLUICE_IDLE_CA="+caFile,
		"SLUICE_IDLE_N="+strconv.Itoa(idleConnections))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
		enginetest.WaitNoStreams(t, e, 10*time.Second)
	}()
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
		io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-ready:
		if line != "ready\n" {
			t.Fatalf("client process: %q", line)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("client process not ready")
	}
	waitStreams(t, e, streams*idleConnections)
	after := heapInUse()
	return idleCost{
		bytes:      (after - before) / idleConnections,
		goroutines: float64(runtime.NumGoroutine()-goroutines) / idleConnections,
	}
}

func waitStreams(t *testing.T, e *engine.Engine, n int) {
	deadline := time.Now().Add(30 * time.Second)
	for e.LiveStreams() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d streams open, want %d", e.LiveStreams(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // let the last handshake goroutines exit
}

// heapInUse is the live heap plus goroutine stacks, after collecting.
func heapInUse() int64 {
	var m runtime.MemStats
	for range 3 {
		runtime.GC()
	}
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc + m.StackInuse)
}

// TestIdleClientsHelper is the child process of the memory test: it opens
// SLUICE_IDLE_N connections (TLS when SLUICE_IDLE_CA names a CA file),
// echoes one small message on each, prints "ready" and waits for its
// standard input to close.
func TestIdleClientsHelper(t *testing.T) {
	addr := os.Getenv("SLUICE_IDLE_ADDR")
	if addr == "" {
		t.Skip("helper process for TestMemoryPerIdleConnection")
	}
	n, _ := strconv.Atoi(os.Getenv("SLUICE_IDLE_N"))
	var cfg *tls.Config
	if caFile := os.Getenv("SLUICE_IDLE_CA"); caFile != "" {
		data, err := os.ReadFile(caFile)
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(data)
		ca, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AddCert(ca)
		cfg = &tls.Config{RootCAs: pool, ServerName: "localhost"}
	}
	var conns []io.ReadWriteCloser
	for i := range n {
		var c io.ReadWriteCloser
		var err error
		if cfg != nil {
			c, err = tls.Dial("tcp", addr, cfg)
		} else {
			c, err = dialPlain(addr)
		}
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, make([]byte, 4)); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
}

func dialPlain(addr string) (io.ReadWriteCloser, error) { return net.Dial("tcp", addr) }
