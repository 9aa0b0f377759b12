package tcp_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/sluicehq/sluice/bindings/echo"
	"github.com/sluicehq/sluice/engine/enginetest"
	_ "github.com/sluicehq/sluice/guards/inline"
)

const echoConfig = `
name: test
bindings:
  net0:
    type: tcp
    kind: server
    options: { host: 127.0.0.1, port: 0 }
    exit: echo0
  echo0:
    type: echo
    kind: server
`

func echoOnce(t *testing.T, addr, msg string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte(msg))
	c.(*net.TCPConn).CloseWrite()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Clients that connect and vanish, cleanly or with a reset, leak neither
// streams nor goroutines.
func TestVanishingClientsLeakNothing(t *testing.T) {
	e := enginetest.Start(t, echoConfig)
	addr := enginetest.Addr(t, e, "test:net0")
	echoOnce(t, addr, "warm up")
	enginetest.WaitNoStreams(t, e, 5*time.Second)
	runtime.GC()
	baseline := runtime.NumGoroutine()

	const total, workers = 10000, 32
	var wg sync.WaitGroup
	next := make(chan int, total)
	for i := 0; i < total; i++ {
		next <- i
	}
	close(next)
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					errs <- err
					return
				}
				tc := c.(*net.TCPConn)
				switch i % 3 {
				case 0: // vanish with a reset
					tc.SetLinger(0)
				case 1: // send something first
					tc.Write([]byte("partial request"))
				}
				tc.Close()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	enginetest.WaitNoStreams(t, e, 20*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= baseline+5 {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after %d connections, %d before:\n%s", n, total, baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := echoOnce(t, addr, "still serving"); got != "still serving" {
		t.Fatalf("echo %q", got)
	}
}

func TestPortInUseNamesTheBinding(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	e := enginetest.New(t, strings.Replace(echoConfig, "port: 0", fmt.Sprintf("port: [0, %d]", port), 1), enginetest.Options{})
	err = e.Start(context.Background())
	if err == nil {
		e.Close()
		t.Fatal("started on a port in use")
	}
	for _, want := range []string{"binding test:net0 (tcp server)", fmt.Sprintf("127.0.0.1:%d", port), "address already in use"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// A connection from an address no route accepts is closed at once.
func TestNoRouteClosesConnection(t *testing.T) {
	e := enginetest.Start(t, `
name: test
bindings:
  net0:
    type: tcp
    kind: server
    options: { host: 127.0.0.1, port: 0 }
    routes:
      - when: [{ cidr: 10.0.0.0/8 }]
        exit: echo0
  echo0:
    type: echo
    kind: server
`)
	expectRefused(t, enginetest.Addr(t, e, "test:net0"), "connection with no route stayed open")
}

// expectRefused connects to addr, sends a few bytes and fails the test
// unless the server closes the connection without answering.
func expectRefused(t *testing.T, addr, failure string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return // reset before the handshake completed: refused, as required
	}
	defer c.Close()
	c.Write([]byte("kept out"))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 16)); err == nil || strings.Contains(err.Error(), "timeout") {
		t.Fatalf("%s: read %d bytes, %v", failure, n, err)
	}
}

// A route's guarded is honoured: a connection has no credentials, so a
// guard requiring roles never lets it through, and one requiring none does.
func TestGuardedRoutes(t *testing.T) {
	config := func(roles string) string {
		return `
name: test
guards:
  g0:
    type: inline
    options: { identity: ops }
bindings:
  net0:
    type: tcp
    kind: server
    options: { host: 127.0.0.1, port: 0 }
    routes:
      - guarded: { g0: ` + roles + ` }
        exit: echo0
  echo0:
    type: echo
    kind: server
`
	}
	open := enginetest.Start(t, config("[]"))
	if got := echoOnce(t, enginetest.Addr(t, open, "test:net0"), "let in"); got != "let in" {
		t.Fatalf("echo %q through a guard requiring no roles", got)
	}
	shut := enginetest.Start(t, config("[admin]"))
	expectRefused(t, enginetest.Addr(t, shut, "test:net0"), "a route requiring a role was taken")
}

// Routes pick the exit by the port the connection arrived on and the
// client's address.
func TestRouteByPort(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	enginetest.Start(t, fmt.Sprintf(`
name: test
bindings:
  net0:
    type: tcp
    kind: server
    options: { host: 127.0.0.1, port: %d, backlog: 16 }
    routes:
      - when: [{ port: %d, cidr: 127.0.0.1/32 }]
        exit: echo0
  echo0:
    type: echo
    kind: server
`, port, port))
	if got := echoOnce(t, fmt.Sprintf("127.0.0.1:%d", port), "routed"); got != "routed" {
		t.Fatalf("echo %q", got)
	}
}

// A large transfer through echo arrives whole and in order: flow control
// between the socket reader, the stream and the socket writer.
func TestLargeTransfer(t *testing.T) {
	e := enginetest.Start(t, echoConfig)
	c, err := net.Dial("tcp", enginetest.Addr(t, e, "test:net0"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	payload := make([]byte, 16<<20)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	go func() {
		c.Write(payload)
		c.(*net.TCPConn).CloseWrite()
	}()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(payload) || string(got) != string(payload) {
		t.Fatalf("got %d bytes, want %d identical", len(got), len(payload))
	}
}

// Drain (graceful shutdown) stops accepting while open connections finish.
func TestDrainKeepsOpenConnections(t *testing.T) {
	e := enginetest.New(t, echoConfig, enginetest.Options{})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	addr := enginetest.Addr(t, e, "test:net0")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	// wait until the server has taken the connection
	for deadline := time.Now().Add(5 * time.Second); e.LiveStreams() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("connection not accepted")
		}
		time.Sleep(time.Millisecond)
	}
	done := make(chan error)
	go func() { done <- e.Shutdown(context.Background()) }()
	time.Sleep(100 * time.Millisecond)
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("new connection accepted while draining")
	}
	c.Write([]byte("last words"))
	c.(*net.TCPConn).CloseWrite()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, _ := io.ReadAll(c)
	if string(got) != "last words" {
		t.Errorf("open connection got %q while draining", got)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A tcp client with a configured host and port and no routes connects
// there, whatever address the stream's proxy extension names: the tls
// offload pipeline (tcp server -> tls server -> tcp client) depends on it.
func TestClientOptionsWinWithoutRoutes(t *testing.T) {
	upstream, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer upstream.Close()
	go func() {
		c, err := upstream.Accept()
		if err != nil {
			return
		}
		c.Write([]byte("upstream"))
		c.Close()
	}()
	e := enginetest.Start(t, fmt.Sprintf(`
name: test
bindings:
  net0:
    type: tcp
    kind: server
    options: { host: 127.0.0.1, port: 0 }
    exit: out0
  out0:
    type: tcp
    kind: client
    options: { host: 127.0.0.1, port: %d }
`, upstream.Addr().(*net.TCPAddr).Port))
	c, err := net.Dial("tcp", enginetest.Addr(t, e, "test:net0"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, _ := io.ReadAll(c)
	if string(got) != "upstream" {
		t.Fatalf("got %q, want the configured upstream's greeting", got)
	}
}

// Many connections echoing distinct bytes at once each get exactly their
// own bytes back: pooled read buffers are never shared or reused early.
func TestConcurrentTransfersStayApart(t *testing.T) {
	e := enginetest.Start(t, echoConfig)
	addr := enginetest.Addr(t, e, "test:net0")
	const conns, size = 32, 2 << 20
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			payload := make([]byte, size)
			for j := range payload {
				payload[j] = byte(i*31 + j*7 + j/997)
			}
			go func() {
				for off := 0; off < size; off += 7919 {
					c.Write(payload[off:min(off+7919, size)])
				}
				c.(*net.TCPConn).CloseWrite()
			}()
			c.SetReadDeadline(time.Now().Add(60 * time.Second))
			got, err := io.ReadAll(c)
			if err != nil {
				errs <- err
				return
			}
			if len(got) != size {
				errs <- fmt.Errorf("connection %d: got %d bytes, want %d", i, len(got), size)
				return
			}
			for j := range got {
				if got[j] != payload[j] {
					errs <- fmt.Errorf("connection %d: byte %d is %d, want %d", i, j, got[j], payload[j])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
