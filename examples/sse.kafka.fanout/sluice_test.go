// Package fanout_test runs the sse.kafka.fanout example with real clients:
// curl and kcat as in the README, and headless Chromium's EventSource
// through two sluice processes behind a load balancer, on the embedded
// broker or on real Kafka when KAFKA_BOOTSTRAP_SERVERS is set.
package fanout_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/sluicehq/sluice/bindings/http"
	_ "github.com/sluicehq/sluice/bindings/kafka"
	"github.com/sluicehq/sluice/bindings/kafka/embedded"
	_ "github.com/sluicehq/sluice/bindings/sse"
	_ "github.com/sluicehq/sluice/bindings/ssekafka"
	_ "github.com/sluicehq/sluice/bindings/tcp"
	"github.com/sluicehq/sluice/cmd/sluice/cli"
	"github.com/sluicehq/sluice/internal/testtool"
)

// childEnv makes the test binary run as sluice: the tests start sluice
// processes by running themselves, so that a process can be killed and
// restarted like a deployed one, with the bindings this example needs.
const childEnv = "SLUICE_FANOUT_RUN_SLUICE"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

var (
	brokerOnce sync.Once
	brokerAddr string
	brokerErr  error
)

// broker returns real Kafka when KAFKA_BOOTSTRAP_SERVERS is set, else an
// embedded broker in the test process, which the sluice processes reach
// over loopback like any other.
func broker(t *testing.T) string {
	t.Helper()
	brokerOnce.Do(func() {
		if addr, ok := testtool.KafkaBootstrap(); ok {
			brokerAddr = addr
			return
		}
		brokerAddr, _, brokerErr = embedded.Start("", embedded.Partitions(3))
	})
	if brokerErr != nil {
		t.Fatal(brokerErr)
	}
	return brokerAddr
}

// example is the example's zilla.yaml with its topic renamed for this run.
type example struct {
	file  string
	topic string
	kafka string
}

func newExample(t *testing.T) *example {
	t.Helper()
	yaml, err := os.ReadFile("zilla.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var b [4]byte
	rand.Read(b[:])
	topic := "events-" + hex.EncodeToString(b[:])
	text := strings.NewReplacer(" events\n", " "+topic+"\n").Replace(string(yaml))
	text = strings.ReplaceAll(text, "host: 0.0.0.0", "host: 127.0.0.1")
	file := filepath.Join(t.TempDir(), "zilla.yaml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	x := &example{file: file, topic: topic, kafka: broker(t)}
	// Three partitions, so that event ids carry several offsets.
	createTopic(t, x.kafka, x.topic, 3)
	return x
}

// sluice is one sluice process running the example.
type sluice struct {
	t    *testing.T
	x    *example
	port int
	cmd  *exec.Cmd
	log  *bytes.Buffer
	done chan struct{}
}

// startSluice starts a sluice process on port and waits until it listens.
func (x *example) startSluice(t *testing.T, port int) *sluice {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s := &sluice{t: t, x: x, port: port, log: &bytes.Buffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(self, "start", "-c", x.file, "--grace", "1s")
	s.cmd.Env = append(os.Environ(), childEnv+"=1", "HTTP_PORT="+strconv.Itoa(port), "KAFKA_BOOTSTRAP_SERVERS="+x.kafka)
	s.cmd.Stdout, s.cmd.Stderr = &lockedWriter{w: s.log}, &lockedWriter{w: s.log}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.stop(syscall.SIGKILL)
		if t.Failed() {
			t.Logf("sluice on port %d logged:\n%s", port, s.logs())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			c.Close()
			return s
		}
		select {
		case <-s.done:
			t.Fatalf("sluice exited at start:\n%s", s.logs())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sluice does not listen on %d:\n%s", port, s.logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends sig (SIGTERM: a graceful restart; SIGKILL: a crash) and waits
// for the process to end.
func (s *sluice) stop(sig syscall.Signal) {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(sig)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

func (s *sluice) logs() string {
	lw := s.cmd.Stdout.(*lockedWriter)
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return s.log.String()
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// kcat produces records "key:value" with kcat, as the README does; an empty
// value is a tombstone (-Z).
func (x *example) kcat(t *testing.T, lines ...string) {
	t.Helper()
	kcat := testtool.Require(t, "kcat")
	cmd := exec.Command(kcat, "-b", x.kafka, "-t", x.topic, "-P", "-K", ":", "-Z")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat: %v\n%s", err, out)
	}
}

// balancer is a TCP load balancer in front of the sluice processes: each
// connection goes to the current target. It keeps the head of every
// request it forwards, to show what the browser sent.
type balancer struct {
	ln     net.Listener
	target atomic.Value // string

	mu       sync.Mutex
	requests []string
	conns    []net.Conn
}

func newBalancer(t *testing.T, target string) *balancer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &balancer{ln: ln}
	b.target.Store(target)
	go b.serve()
	t.Cleanup(func() {
		ln.Close()
		b.mu.Lock()
		for _, c := range b.conns {
			c.Close()
		}
		b.mu.Unlock()
	})
	return b
}

func (b *balancer) addr() string { return b.ln.Addr().String() }

func (b *balancer) serve() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		go b.forward(c)
	}
}

func (b *balancer) forward(c net.Conn) {
	up, err := net.Dial("tcp", b.target.Load().(string))
	if err != nil {
		c.Close()
		return
	}
	b.mu.Lock()
	b.conns = append(b.conns, c, up)
	b.mu.Unlock()
	go func() {
		io.Copy(c, up)
		c.Close()
		up.Close()
	}()
	buf := make([]byte, 32<<10)
	first := true
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if first {
				b.mu.Lock()
				b.requests = append(b.requests, string(buf[:n]))
				b.mu.Unlock()
				first = false
			}
			if _, werr := up.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	c.Close()
	up.Close()
}

// gets returns the heads of the GET requests forwarded so far.
func (b *balancer) gets() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, r := range b.requests {
		if strings.HasPrefix(r, "GET ") {
			out = append(out, r)
		}
	}
	return out
}
