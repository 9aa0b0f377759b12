package tls_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/enginetest"
)

// The proxy routes on the ClientHello to tls servers, which terminate with
// different keys and answer through probes.
const proxyYAML = `
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
    exit: proxy0
  proxy0:
    type: tls
    kind: proxy
    options: { handshakeTimeout: 300ms }
    routes:
      - when: [{ authority: "*.example" }]
        exit: tlsB
      - when: [{ alpn: h2 }]
        exit: tlsH2
    exit: tlsA
  tlsA:
    type: tls
    kind: server
    vault: server
    options: { keys: [localhost] }
    exit: probeA
  tlsB:
    type: tls
    kind: server
    vault: server
    options: { keys: [b.example] }
    exit: probeB
  tlsH2:
    type: tls
    kind: server
    vault: server
    options: { keys: [localhost], alpn: [h2] }
    exit: probeH2
  probeA: { type: probe, kind: server }
  probeB: { type: probe, kind: server }
  probeH2: { type: probe, kind: server }
`

func TestProxyRoutesByClientHello(t *testing.T) {
	p := newPKI(t)
	e := start(t, proxyYAML)
	addr := enginetest.Addr(t, e, "test:net0")
	for _, tc := range []struct {
		name, sni string
		alpn      []string
		want      string
	}{
		{"default", "localhost", nil, "probeA authority=localhost alpn= secure=true"},
		{"by sni", "b.example", []string{"h2"}, "probeB authority=b.example alpn=h2 secure=true"},
		{"by alpn", "localhost", []string{"http/1.1", "h2"}, "probeH2 authority=localhost alpn=h2 secure=true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialTLS(t, addr, p.clientConfig(tc.sni, tc.alpn...))
			if got := readLine(t, c); !strings.HasPrefix(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			echo(t, c, []byte(strings.Repeat("through the proxy ", 5000)))
		})
	}
}

func TestProxyRefusesPlaintextAndStalls(t *testing.T) {
	p := newPKI(t)
	e := start(t, proxyYAML)
	addr := enginetest.Addr(t, e, "test:net0")
	good := dialTLS(t, addr, p.clientConfig("localhost"))
	readLine(t, good)

	plain, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	plain.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	plain.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := plain.Read(make([]byte, 1)); err == nil {
		t.Fatal("plain-text connection got bytes")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("plain-text connection was not closed")
	}

	stall, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stall.Close()
	stall.Write([]byte{22, 3, 1, 0, 200, 1}) // a record that never completes
	stall.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := stall.Read(make([]byte, 1)); err == nil {
		t.Fatal("stalled connection got bytes")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("stalled connection was not closed")
	}
	echo(t, good, []byte("unaffected"))
}
