package tls_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/sluicehq/sluice/engine/enginetest"
	"github.com/sluicehq/sluice/internal/testtool"
	"github.com/sluicehq/sluice/specs/proxy"
	"github.com/sluicehq/sluice/specs/spectest"
)

const specs = "../../specs/tls/streams"

var scenarios = []string{
	"connection.established",
	"client.sent.data",
	"server.sent.data",
	"client.close",
	"server.close",
}

var extensions = spectest.Extensions{"proxy": proxy.Extensions}

// Network-level tls scripts hold the octets inside TLS. The replays put a
// Go TLS endpoint between the script's socket and the binding, configured
// from the script's tls.authority and tls.alpn properties; it checks what
// was negotiated and relays the plaintext, half-closes included.

// tlsParams reads the TLS properties of a network-level script.
func tlsParams(t *testing.T, path string) (authority, alpn string) {
	t.Helper()
	s, err := spectest.ParseFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.Properties["tls.authority"], s.Properties["tls.alpn"]
}

// relay copies both ways between a and b, passing each half-close on, and
// closes both when done.
func relay(a, b net.Conn) {
	done := make(chan struct{}, 2)
	pass := func(dst, src net.Conn) {
		io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
		done <- struct{}{}
	}
	go pass(a, b)
	go pass(b, a)
	<-done
	<-done
	a.Close()
	b.Close()
}

// tlsClientRelay listens for the script's plain connections and carries
// each to addr over TLS; failures go to errs.
func tlsClientRelay(t *testing.T, addr string, cfg *tls.Config, alpn string, errs chan<- error) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			plain, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				c, err := tls.Dial("tcp", addr, cfg)
				if err != nil {
					errs <- fmt.Errorf("relay handshake: %w", err)
					plain.Close()
					return
				}
				if got := c.ConnectionState().NegotiatedProtocol; got != alpn {
					errs <- fmt.Errorf("negotiated %q, want %q", got, alpn)
				}
				relay(plain, c)
			}()
		}
	}()
	return l.Addr().String()
}

// TestSpecServer replays each scenario's network client, through a TLS
// client, against a tls server whose exit the application server plays.
func TestSpecServer(t *testing.T) {
	p := newPKI(t)
	for _, name := range scenarios {
		t.Run(name, func(t *testing.T) {
			e := start(t, `
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
      alpn: [echo]
    exit: app0
  app0:
    type: test
    kind: server
`)
			client := filepath.Join(specs, "network", name, "client.rpt")
			authority, alpn := tlsParams(t, client)
			errs := make(chan error, 16)
			front := tlsClientRelay(t, enginetest.Addr(t, e, "test:net0"), p.clientConfig(authority, alpn), alpn, errs)
			spectest.Replay(t, e, spectest.Options{
				Extensions: extensions,
				Addresses:  map[string]string{"localhost:8443": front},
			}, client, filepath.Join(specs, "application", name, "server.rpt"))
			select {
			case err := <-errs:
				t.Fatal(err)
			default:
			}
		})
	}
}

// TestSpecClient replays each scenario's application client against a tls
// client whose connections a TLS server terminates before the network
// server script.
func TestSpecClient(t *testing.T) {
	p := newPKI(t)
	for _, name := range scenarios {
		t.Run(name, func(t *testing.T) {
			server := filepath.Join(specs, "network", name, "server.rpt")
			authority, alpn := tlsParams(t, server)
			scriptAddr := "127.0.0.1:" + strconv.Itoa(testtool.FreePort(t))
			errs := make(chan error, 16)
			l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
				Certificates: []tls.Certificate{p.server},
				NextProtos:   []string{alpn},
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
						if err := c.Handshake(); err != nil {
							errs <- fmt.Errorf("relay handshake: %w", err)
							c.Close()
							return
						}
						st := c.ConnectionState()
						if st.ServerName != authority || st.NegotiatedProtocol != alpn {
							errs <- fmt.Errorf("saw server name %q and protocol %q, want %q and %q",
								st.ServerName, st.NegotiatedProtocol, authority, alpn)
						}
						plain, err := net.Dial("tcp", scriptAddr)
						if err != nil {
							errs <- err
							c.Close()
							return
						}
						relay(c, plain)
					}(c.(*tls.Conn))
				}
			}()
			port := l.Addr().(*net.TCPAddr).Port
			e := start(t, fmt.Sprintf(`
name: test
vaults:
  client:
    type: fake
    options: { name: client }
bindings:
  app0:
    type: tls
    kind: client
    vault: client
    options:
      trust: [serverca]
    exit: net0
  net0:
    type: tcp
    kind: client
    options: { host: 127.0.0.1, port: %d }
`, port))
			spectest.Replay(t, e, spectest.Options{
				Extensions: extensions,
				Properties: map[string]string{"port": strconv.Itoa(port)},
				Addresses:  map[string]string{"localhost:8443": scriptAddr},
			}, filepath.Join(specs, "application", name, "client.rpt"), server)
			select {
			case err := <-errs:
				t.Fatal(err)
			default:
			}
		})
	}
}
