package tls_test

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/enginetest"
)

const configHead = `
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
  probe0: { type: probe, kind: server }
  tls0:
`

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, binding, want string
	}{
		{"server without vault", `
    type: tls
    kind: server
    options: { keys: [localhost] }
    exit: probe0`, "vault"},
		{"keys and signers", `
    type: tls
    kind: server
    vault: server
    options: { keys: [localhost], signers: [ca] }
    exit: probe0`, "bindings.tls0.options.signers: tls server binding: a tls server takes keys or signers, not both"},
		{"unknown key", `
    type: tls
    kind: server
    vault: server
    options: { keys: [nosuch] }
    exit: probe0`, `bindings.tls0.options.keys[0]: tls server binding: vault test:server has no usable key "nosuch"`},
		{"unknown trust", `
    type: tls
    kind: server
    vault: server
    options: { keys: [localhost], trust: [nosuch] }
    exit: probe0`, `vault test:server has no trusted certificate "nosuch"`},
		{"signer that signed nothing", `
    type: tls
    kind: server
    vault: server
    options: { signers: [nosuch] }
    exit: probe0`, `vault test:server signer "nosuch"`},
		{"old version", `
    type: tls
    kind: server
    vault: server
    options: { keys: [localhost], version: TLSv1.1 }
    exit: probe0`, "bindings.tls0.options.version"},
		{"mutual on a client", `
    type: tls
    kind: client
    options: { mutual: required }
    exit: probe0`, "bindings.tls0.options.mutual: not allowed here"},
		{"proxy with keys", `
    type: tls
    kind: proxy
    options: { keys: [localhost] }
    exit: probe0`, "bindings.tls0.options.keys"},
		{"route with", `
    type: tls
    kind: server
    vault: server
    options: { keys: [localhost] }
    routes:
      - when: [{ alpn: h2 }]
        with: { certificate: {} }
        exit: probe0
    exit: probe0`, "bindings.tls0.routes[0].with"},
		{"bad timeout", `
    type: tls
    kind: server
    vault: server
    options: { keys: [localhost], handshakeTimeout: soon }
    exit: probe0`, "bindings.tls0.options.handshakeTimeout"},
		{"bad authority pattern", `
    type: tls
    kind: server
    vault: server
    options: { keys: [localhost] }
    routes:
      - when: [{ authority: "{host" }]
        exit: probe0`, "bindings.tls0.routes[0].when[0].authority"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := testRegistry(t).Parse("zilla.yaml", []byte(configHead+strings.TrimPrefix(tc.binding, "\n")+"\n"))
			if err == nil {
				_, err = engine.New(cfg, engine.WithLogger(enginetest.Logger(t)))
			}
			if err == nil {
				t.Fatal("configuration accepted")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestServerSignersAndVersion(t *testing.T) {
	p := newPKI(t)
	e := start(t, configHead+`
    type: tls
    kind: server
    vault: server
    options: { signers: [ca], version: TLSv1.2 }
    exit: probe0
`)
	addr := enginetest.Addr(t, e, "test:net0")
	for _, name := range []string{"localhost", "b.example"} {
		c := dialTLS(t, addr, p.clientConfig(name))
		if cn := c.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != name {
			t.Fatalf("server name %s: presented %s", name, cn)
		}
		if v := c.ConnectionState().Version; v != tls.VersionTLS12 {
			t.Fatalf("version %x", v)
		}
		readLine(t, c)
	}
	cfg := p.clientConfig("localhost")
	cfg.MinVersion = tls.VersionTLS13
	if _, err := tls.Dial("tcp", addr, cfg); err == nil {
		t.Fatal("a TLS 1.3-only client connected to a TLSv1.2 server")
	}
}

// TestServerWildcardKeys checks that a server naming no keys, trust or
// signers uses every key of its vault, picked by server name.
func TestServerWildcardKeys(t *testing.T) {
	p := newPKI(t)
	e := start(t, configHead+`
    type: tls
    kind: server
    vault: server
    exit: probe0
`)
	c := dialTLS(t, enginetest.Addr(t, e, "test:net0"), p.clientConfig("b.example"))
	if cn := c.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "b.example" {
		t.Fatalf("presented %s", cn)
	}
}
