package tls_test

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/enginetest"
)

const serverYAML = `
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
    options:
      keys: [localhost]
      sni: [localhost]
      alpn: [echo, h2]
      %MUTUAL%
    routes:
      - when: [{ alpn: h2 }]
        exit: h2probe
    exit: probe0
  probe0:
    type: probe
    kind: server
  h2probe:
    type: probe
    kind: server
`

func startServer(t *testing.T, mutual string) (string, *pki) {
	t.Helper()
	p := newPKI(t)
	e := start(t, strings.Replace(serverYAML, "%MUTUAL%", mutual, 1))
	return enginetest.Addr(t, e, "test:net0"), p
}

func dialTLS(t *testing.T, addr string, cfg *tls.Config) *tls.Conn {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestServerVersionsAndALPN(t *testing.T) {
	addr, p := startServer(t, "")
	for _, tc := range []struct {
		name    string
		version uint16
		alpn    []string
		want    string
	}{
		{"tls1.2 echo", tls.VersionTLS12, []string{"echo"}, "probe0 authority=localhost alpn=echo secure=true identity="},
		{"tls1.3 echo", tls.VersionTLS13, []string{"echo"}, "probe0 authority=localhost alpn=echo secure=true identity="},
		{"tls1.3 h2 routes by alpn", tls.VersionTLS13, []string{"h2", "echo"}, "h2probe authority=localhost alpn=h2 secure=true identity="},
		{"client order wins", tls.VersionTLS13, []string{"echo", "h2"}, "probe0 authority=localhost alpn=echo secure=true identity="},
		{"no alpn", tls.VersionTLS12, nil, "probe0 authority=localhost alpn= secure=true identity="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := p.clientConfig("localhost", tc.alpn...)
			cfg.MinVersion, cfg.MaxVersion = tc.version, tc.version
			c := dialTLS(t, addr, cfg)
			if got := readLine(t, c); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			if v := c.ConnectionState().Version; v != tc.version {
				t.Fatalf("version %x, want %x", v, tc.version)
			}
			echo(t, c, []byte("hello over tls"))
		})
	}
}

// echo writes msg and expects it back.
func echo(t *testing.T, c net.Conn, msg []byte) {
	t.Helper()
	go c.Write(msg)
	got := make([]byte, len(msg))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("echo: %v", err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("echo mismatch")
	}
}

func TestServerALPNMismatchFailsHandshake(t *testing.T) {
	addr, p := startServer(t, "")
	_, err := tls.Dial("tcp", addr, p.clientConfig("localhost", "imap"))
	if err == nil || !strings.Contains(err.Error(), "no application protocol") {
		t.Fatalf("want no_application_protocol alert, got %v", err)
	}
	// Others are unaffected.
	c := dialTLS(t, addr, p.clientConfig("localhost", "echo"))
	readLine(t, c)
}

func TestServerSNIOutsideListCompletes(t *testing.T) {
	addr, p := startServer(t, "")
	cfg := p.clientConfig("other.example", "echo")
	cfg.InsecureSkipVerify = true // the localhost key does not cover other.example
	c := dialTLS(t, addr, cfg)
	if got := readLine(t, c); !strings.Contains(got, "authority=other.example") {
		t.Fatalf("got %q", got)
	}
	if cn := c.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "localhost" {
		t.Fatalf("server presented %q", cn)
	}
}

func TestServerMutual(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mutual   string
		cert     string // "", "client" or "stranger"
		identity string // expected identity, or "fail"
	}{
		{"required with cert", "trust: [clientca]", "client", "CN=client"},
		{"required without cert", "trust: [clientca]", "", "fail"},
		{"required with untrusted cert", "{ trust: [clientca], mutual: required }", "stranger", "fail"},
		{"requested without cert", "{ trust: [clientca], mutual: requested }", "", ""},
		{"requested with cert", "{ trust: [clientca], mutual: requested }", "client", "CN=client"},
		{"none ignores trust", "{ trust: [clientca], mutual: none }", "client", ""},
		// the system's CAs join the vault's trust; they do not replace it
		{"trustcacerts with cert", "{ trust: [clientca], trustcacerts: true }", "client", "CN=client"},
		{"trustcacerts with untrusted cert", "{ trust: [clientca], trustcacerts: true }", "stranger", "fail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mutual := tc.mutual
			if strings.HasPrefix(mutual, "{") {
				mutual = strings.NewReplacer("{ ", "", " }", "", ", ", "\n      ").Replace(mutual)
			}
			addr, p := startServer(t, mutual)
			cfg := p.clientConfig("localhost", "echo")
			switch tc.cert {
			case "client":
				cfg.Certificates = []tls.Certificate{p.client}
			case "stranger":
				cfg.Certificates = []tls.Certificate{p.stranger}
			}
			c, err := tls.Dial("tcp", addr, cfg)
			if err == nil {
				defer c.Close()
				// TLS 1.3 reports a refused client certificate on the first read.
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				var line []byte
				buf := make([]byte, 256)
				for !bytes.Contains(line, []byte("\n")) && err == nil {
					var n int
					n, err = c.Read(buf)
					line = append(line, buf[:n]...)
				}
				if err == nil {
					got := strings.TrimSpace(string(line))
					if tc.identity == "fail" {
						t.Fatalf("handshake succeeded: %q", got)
					}
					if want := "identity=" + tc.identity; !strings.HasSuffix(got, want) {
						t.Fatalf("got %q, want suffix %q", got, want)
					}
					return
				}
			}
			if tc.identity != "fail" {
				t.Fatalf("connection failed: %v", err)
			}
		})
	}
}

func TestServerPlaintextClientClosedOthersUnaffected(t *testing.T) {
	addr, p := startServer(t, "")
	good := dialTLS(t, addr, p.clientConfig("localhost", "echo"))
	readLine(t, good)

	plain, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	plain.Write([]byte("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"))
	plain.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(plain); err != nil {
		t.Fatalf("plain-text connection was not closed: %v", err)
	}
	echo(t, good, []byte("still here"))
}

func TestServerHandshakeTimeout(t *testing.T) {
	p := newPKI(t)
	yaml := strings.Replace(serverYAML, "%MUTUAL%", "handshakeTimeout: 200ms", 1)
	e := start(t, yaml)
	addr := enginetest.Addr(t, e, "test:net0")
	stall, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stall.Close()
	stall.Write([]byte{22, 3, 1}) // the start of a record, then nothing
	began := time.Now()
	stall.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(stall); err != nil {
		t.Fatalf("stalled connection was not closed: %v", err)
	}
	if waited := time.Since(began); waited < 150*time.Millisecond {
		t.Fatalf("closed after %v, before the timeout", waited)
	}
	c := dialTLS(t, addr, p.clientConfig("localhost", "echo"))
	readLine(t, c)
}

func TestServerLargeTransferKeepsOrder(t *testing.T) {
	addr, p := startServer(t, "")
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cfg := p.clientConfig("localhost", "echo")
		cfg.MaxVersion = v
		c := dialTLS(t, addr, cfg)
		readLine(t, c)
		msg := make([]byte, 4<<20)
		rand.Read(msg)
		errc := make(chan error, 1)
		go func() {
			_, err := c.Write(msg)
			errc <- err
		}()
		got := make([]byte, len(msg))
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatalf("read: %v", err)
		}
		if err := <-errc; err != nil {
			t.Fatalf("write: %v", err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatal("payload corrupted")
		}
		// close_notify ends the plaintext stream; the probe ends its reply.
		c.CloseWrite()
		if rest, err := io.ReadAll(c); err != nil || len(rest) != 0 {
			t.Fatalf("after close: %q, %v", rest, err)
		}
	}
}

// sinkTotals reports how many bytes each sink stream received before its
// End; sinks read slowly, 4 KiB every millisecond.
var sinkTotals = make(chan int, 16)

var sinkType = engine.BindingType{
	Name:   "sink",
	Kinds:  []engine.KindSpec{{Kind: engine.KindServer, Accepts: engine.ProtocolAny}},
	Schema: []byte(`{"properties":{"options":false,"routes":false,"exit":false}}`),
	New:    func(*engine.BindingContext) (engine.Binding, error) { return sink{}, nil },
}

type sink struct{}

func (sink) Accept(*engine.Stream, *engine.Frame) (engine.Receiver, error) { return &sinkStream{}, nil }

type sinkStream struct{ total int }

func (ss *sinkStream) Receive(s *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.BeginFrame:
		s.Begin(nil)
		s.End(nil) // reply ended before the client's data is read
		ss.grant(s)
	case engine.DataFrame:
		ss.total += len(f.Payload)
	case engine.EndFrame:
		sinkTotals <- ss.total
	case engine.AbortFrame:
		sinkTotals <- -1
	}
}

func (ss *sinkStream) grant(s *engine.Stream) {
	time.AfterFunc(time.Millisecond, func() {
		s.Execute(func() {
			if !s.InClosed() {
				s.Window(4 << 10)
				ss.grant(s)
			}
		})
	})
}

// TestServerDeliversQueuedDataAfterNetworkEnds pins a bug where the records
// queued for a slow application were dropped once the network had ended
// both ways (the client's FIN after close_notify, the server's close_notify
// after the application ended first).
func TestServerDeliversQueuedDataAfterNetworkEnds(t *testing.T) {
	p := newPKI(t)
	reg := testRegistry(t)
	reg.RegisterBinding(sinkType)
	e := enginetest.Start(t, `
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
    exit: sink0
  sink0: { type: sink, kind: server }
`, enginetest.Options{Registry: reg})
	raw, err := net.Dial("tcp", enginetest.Addr(t, e, "test:net0"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	c := tls.Client(raw, p.clientConfig("localhost"))
	msg := make([]byte, 256<<10)
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	c.CloseWrite()                  // close_notify
	raw.(*net.TCPConn).CloseWrite() // FIN
	select {
	case got := <-sinkTotals:
		if got != len(msg) {
			t.Fatalf("application received %d bytes, want %d", got, len(msg))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("application stream did not end")
	}
}
