package tls_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/specs/proxy"
)

// tlsEchoServer is a Go TLS server: it answers each connection with a line
// naming the server name, protocol and client certificate it saw, then
// echoes until the client ends.
func tlsEchoServer(t *testing.T, cert tls.Certificate, clientCA *x509.Certificate, protocols ...string) (port int) {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(clientCA)
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    pool,
		NextProtos:   protocols,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func(c *tls.Conn) {
				defer c.Close()
				if err := c.Handshake(); err != nil {
					return
				}
				st := c.ConnectionState()
				client := ""
				if len(st.PeerCertificates) > 0 {
					client = st.PeerCertificates[0].Subject.CommonName
				}
				fmt.Fprintf(c, "sni=%s alpn=%s client=%s\n", st.ServerName, st.NegotiatedProtocol, client)
				io.Copy(c, c)
				c.CloseWrite()
			}(c.(*tls.Conn))
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// appClient opens a stream into a binding from outside the graph, as an
// http client would, and records what comes back.
type appClient struct {
	s      *engine.Stream
	exec   *engine.Executor
	begin  chan *proxy.BeginEx
	data   chan []byte
	ended  chan struct{}
	failed chan struct{}
	credit chan struct{}
	once   sync.Once
}

func openApp(t *testing.T, e *engine.Engine, binding string, ext *proxy.BeginEx) *appClient {
	t.Helper()
	a := &appClient{exec: engine.NewExecutor(), begin: make(chan *proxy.BeginEx, 1), data: make(chan []byte, 1024),
		ended: make(chan struct{}), failed: make(chan struct{}), credit: make(chan struct{}, 1)}
	errc := make(chan error, 1)
	a.exec.Execute(func() {
		var err error
		a.s, err = e.Open(binding, a.exec, a, engine.Frame{Ext: ext})
		errc <- err
	})
	if err := <-errc; err != nil {
		t.Fatalf("open: %v", err)
	}
	return a
}

func (a *appClient) Receive(s *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.BeginFrame:
		ext, _ := f.Ext.(*proxy.BeginEx)
		a.begin <- ext
		s.Window(64 << 10)
	case engine.DataFrame:
		a.data <- f.Payload
		s.Window(len(f.Payload))
	case engine.EndFrame:
		close(a.ended)
	case engine.AbortFrame, engine.ResetFrame:
		a.once.Do(func() { close(a.failed) })
		s.Terminate(nil)
	case engine.WindowFrame:
		select {
		case a.credit <- struct{}{}:
		default:
		}
	}
}

func (a *appClient) write(t *testing.T, p []byte) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		sent := make(chan bool, 1)
		a.exec.Execute(func() {
			ok := a.s.Credit() >= len(p)
			if ok {
				a.s.Data(engine.FlagsComplete, p, nil)
			}
			sent <- ok
		})
		if <-sent {
			return
		}
		select {
		case <-a.credit:
		case <-deadline:
			t.Fatal("no credit to write")
		}
	}
}

func (a *appClient) end() { a.exec.Execute(func() { a.s.End(nil) }) }

func (a *appClient) readBegin(t *testing.T) *proxy.BeginEx {
	t.Helper()
	select {
	case ext := <-a.begin:
		return ext
	case <-a.failed:
		t.Fatal("stream failed before its reply began")
	case <-time.After(5 * time.Second):
		t.Fatal("no reply begin")
	}
	return nil
}

func (a *appClient) read(t *testing.T, n int) string {
	t.Helper()
	var b []byte
	for len(b) < n {
		select {
		case d := <-a.data:
			b = append(b, d...)
		case <-time.After(5 * time.Second):
			t.Fatalf("read %q, want %d bytes", b, n)
		}
	}
	return string(b)
}

func (a *appClient) readLine(t *testing.T) string {
	t.Helper()
	var b []byte
	for !strings.Contains(string(b), "\n") {
		select {
		case d := <-a.data:
			b = append(b, d...)
		case <-time.After(5 * time.Second):
			t.Fatalf("read %q, want a line", b)
		}
	}
	return strings.TrimSuffix(string(b), "\n")
}

const clientYAML = `
name: test
vaults:
  client:
    type: fake
    options: { name: client }
bindings:
  tls0:
    type: tls
    kind: client
    vault: client
    options:
      %OPTIONS%
    exit: net0
  net0:
    type: tcp
    kind: client
    options: { host: 127.0.0.1, port: %PORT% }
`

func startClient(t *testing.T, port int, options string) *engine.Engine {
	t.Helper()
	return start(t, strings.NewReplacer("%PORT%", strconv.Itoa(port), "%OPTIONS%", options).Replace(clientYAML))
}

func destination(port int, authority, alpn string) *proxy.BeginEx {
	return &proxy.BeginEx{
		Address: proxy.Address{Protocol: "stream", Destination: "127.0.0.1", DestinationPort: port},
		Infos:   proxy.Infos{Authority: authority, ALPN: alpn},
	}
}

func TestClientHandshakeAndEcho(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct {
		name, options, authority, alpn string
		want                           string
		wantALPN                       string
	}{
		{"options", "{ trust: [serverca], keys: [client], sni: [localhost], alpn: [echo] }", "", "",
			"sni=localhost alpn=echo client=client", "echo"},
		{"stream infos", "{ trust: [serverca] }", "localhost", "echo",
			"sni=localhost alpn=echo client=", "echo"},
		{"no alpn", "{ trust: [serverca], sni: [localhost] }", "", "",
			"sni=localhost alpn= client=", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := tlsEchoServer(t, p.server, p.ca, "echo")
			opts := strings.NewReplacer("{ ", "", " }", "", ", ", "\n      ").Replace(tc.options)
			e := startClient(t, port, opts)
			a := openApp(t, e, "tls0", destination(port, tc.authority, tc.alpn))
			ext := a.readBegin(t)
			if ext == nil || !ext.Infos.Secure || ext.Infos.ALPN != tc.wantALPN || ext.Infos.Authority != "localhost" {
				t.Fatalf("reply begin %+v", ext)
			}
			if got := a.readLine(t); got != tc.want {
				t.Fatalf("server saw %q, want %q", got, tc.want)
			}
			a.write(t, []byte("ping"))
			if got := a.read(t, 4); got != "ping" {
				t.Fatalf("echo %q", got)
			}
			a.end()
			select {
			case <-a.ended:
			case <-a.failed:
				t.Fatal("stream failed instead of ending")
			case <-time.After(5 * time.Second):
				t.Fatal("reply did not end")
			}
		})
	}
}

func TestClientHandshakeFailures(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct{ name, options, authority string }{
		{"untrusted server", "trust: [otherca]\n      sni: [localhost]", ""},
		{"wrong server name", "trust: [serverca]", "wrong.example"},
		{"no common protocol", "trust: [serverca]\n      alpn: [imap]", "localhost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := tlsEchoServer(t, p.server, p.ca, "echo")
			e := startClient(t, port, tc.options)
			a := openApp(t, e, "tls0", destination(port, tc.authority, ""))
			select {
			case <-a.failed:
			case <-a.begin:
				t.Fatal("handshake succeeded")
			case <-time.After(5 * time.Second):
				t.Fatal("stream neither failed nor began")
			}
		})
	}
}

func TestClientDialContext(t *testing.T) {
	p := newPKI(t)
	port := tlsEchoServer(t, p.server, p.ca, "echo")
	e := startClient(t, port, "trust: [serverca]\n      keys: [client]\n      alpn: [echo]")
	b, _ := e.Binding("test:tls0")
	d, ok := b.(interface {
		DialContext(ctx context.Context, network, address string) (net.Conn, error)
	})
	if !ok {
		t.Fatal("tls client is not a dialer")
	}
	// The tcp client allows only its configured host, 127.0.0.1, which the
	// server's certificate covers.
	c, err := d.DialContext(context.Background(), "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(line, "alpn=echo client=client") {
		t.Fatalf("server saw %q", line)
	}
}
