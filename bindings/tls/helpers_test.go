package tls_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/sluicehq/sluice/bindings/echo"
	_ "github.com/sluicehq/sluice/bindings/tcp"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/enginetest"
	"github.com/sluicehq/sluice/specs/proxy"
	"github.com/sluicehq/sluice/specs/spectest"
)

// pki is a test public key infrastructure made in memory: a CA, a server
// key for localhost, a client key, and a second CA that signed nothing the
// tests trust.
type pki struct {
	ca, otherCA       *x509.Certificate
	caKey, otherKey   *ecdsa.PrivateKey
	server, client    tls.Certificate
	stranger          tls.Certificate // a client key signed by otherCA
	serverB           tls.Certificate // a key for b.example, signed by ca
	caFile, certFile  string          // PEM files for real clients
	keyFile, clientCF string
	clientKF          string
}

var (
	pkiOnce sync.Once
	testPKI *pki
)

func newPKI(t testing.TB) *pki {
	pkiOnce.Do(func() {
		p := &pki{}
		p.ca, p.caKey = makeCA("Sluice Test CA")
		p.otherCA, p.otherKey = makeCA("Other CA")
		p.server = issue(p.ca, p.caKey, "localhost", []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)}, false)
		p.serverB = issue(p.ca, p.caKey, "b.example", []string{"b.example"}, nil, false)
		p.client = issue(p.ca, p.caKey, "client", nil, nil, true)
		p.stranger = issue(p.otherCA, p.otherKey, "stranger", nil, nil, true)
		dir, err := os.MkdirTemp("", "sluice-tls-pki")
		if err != nil {
			panic(err)
		}
		p.caFile = writePEM(dir, "ca.pem", "CERTIFICATE", p.ca.Raw)
		p.certFile = writePEM(dir, "localhost.pem", "CERTIFICATE", p.server.Certificate[0])
		p.keyFile = writeKey(dir, "localhost.key", p.server.PrivateKey.(*ecdsa.PrivateKey))
		p.clientCF = writePEM(dir, "client.pem", "CERTIFICATE", p.client.Certificate[0])
		p.clientKF = writeKey(dir, "client.key", p.client.PrivateKey.(*ecdsa.PrivateKey))
		testPKI = p
	})
	return testPKI
}

var serial int64 = 1000

func makeCA(cn string) (*x509.Certificate, *ecdsa.PrivateKey) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial++
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}

func issue(ca *x509.Certificate, caKey *ecdsa.PrivateKey, cn string, dns []string, ips []net.IP, client bool) tls.Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial++
	usage := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	if client {
		usage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  usage,
		DNSNames:     dns,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		panic(err)
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.Raw}, PrivateKey: key}
}

func writePEM(dir, name, typ string, der []byte) string {
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		panic(err)
	}
	return path
}

func writeKey(dir, name string, key *ecdsa.PrivateKey) string {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic(err)
	}
	return writePEM(dir, name, "PRIVATE KEY", der)
}

// fakeVault is an engine.Vault holding test material by alias.
type fakeVault struct {
	keys    map[string]tls.Certificate
	trust   map[string]*x509.Certificate
	signers map[string]*x509.Certificate
}

func (v *fakeVault) Key(alias string) (*tls.Certificate, error) {
	c, ok := v.keys[alias]
	if !ok {
		return nil, fmt.Errorf("alias %q not found", alias)
	}
	return &c, nil
}

func (v *fakeVault) Trust(alias string) (*x509.Certificate, error) {
	c, ok := v.trust[alias]
	if !ok {
		return nil, fmt.Errorf("alias %q not found", alias)
	}
	return c, nil
}

func (v *fakeVault) Signer(alias string) (*x509.Certificate, error) {
	c, ok := v.signers[alias]
	if !ok {
		return nil, fmt.Errorf("alias %q not found", alias)
	}
	return c, nil
}

func sortedAliases[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (v *fakeVault) KeyAliases() []string    { return sortedAliases(v.keys) }
func (v *fakeVault) TrustAliases() []string  { return sortedAliases(v.trust) }
func (v *fakeVault) SignerAliases() []string { return sortedAliases(v.signers) }

// vaultOptions selects one of the test vaults.
type vaultOptions struct {
	Name string `json:"name"`
}

// testRegistry is the global registry plus a "fake" vault type whose
// options.name picks a vault built from the test PKI, and a "probe"
// binding.
func testRegistry(t testing.TB) *engine.Registry {
	p := newPKI(t)
	vaults := map[string]*fakeVault{
		"server": {
			keys:    map[string]tls.Certificate{"localhost": p.server, "b.example": p.serverB},
			trust:   map[string]*x509.Certificate{"clientca": p.ca},
			signers: map[string]*x509.Certificate{"ca": p.ca},
		},
		"client": {
			keys:  map[string]tls.Certificate{"client": p.client, "stranger": p.stranger},
			trust: map[string]*x509.Certificate{"serverca": p.ca, "otherca": p.otherCA},
		},
	}
	reg := engine.Global().Clone()
	reg.RegisterVault(engine.VaultType{
		Name:       "fake",
		Schema:     []byte(`{"type":"object","properties":{"name":{"type":"string"}},"additionalProperties":false}`),
		NewOptions: func() any { return new(vaultOptions) },
		New: func(cc *engine.ComponentContext) (engine.Vault, error) {
			o := cc.Options().(*vaultOptions)
			v, ok := vaults[o.Name]
			if !ok {
				return nil, fmt.Errorf("no test vault %q", o.Name)
			}
			return v, nil
		},
	})
	reg.RegisterBinding(probeType)
	reg.RegisterBinding(spectest.TestType)
	return reg
}

// probeType is a server that answers each stream with a line describing
// its proxy begin extension, then echoes.
var probeType = engine.BindingType{
	Name:   "probe",
	Kinds:  []engine.KindSpec{{Kind: engine.KindServer, Accepts: engine.ProtocolAny}},
	Schema: []byte(`{"properties":{"options":false,"routes":false,"exit":false}}`),
	New: func(bc *engine.BindingContext) (engine.Binding, error) {
		return probe{name: bc.Config.Name}, nil
	},
}

type probe struct{ name string }

func (p probe) Accept(s *engine.Stream, begin *engine.Frame) (engine.Receiver, error) {
	ext, _ := begin.Ext.(*proxy.BeginEx)
	line := p.name
	if ext != nil {
		line = fmt.Sprintf("%s authority=%s alpn=%s secure=%t identity=%s", p.name,
			ext.Infos.Authority, ext.Infos.ALPN, ext.Infos.Secure, ext.Infos.Identity)
	}
	return &probeStream{line: []byte(line + "\n")}, nil
}

type probeStream struct {
	line []byte
	sent bool
}

func (ps *probeStream) Receive(s *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.BeginFrame:
		s.Begin(nil)
	case engine.WindowFrame:
		if !ps.sent && s.Credit() >= len(ps.line) {
			ps.sent = true
			s.Data(engine.FlagsComplete, ps.line, nil)
			s.Window(f.Credit - len(ps.line))
			return
		}
		if ps.sent {
			s.Window(f.Credit)
		}
	case engine.DataFrame:
		s.Data(f.Flags, f.Payload, nil)
	case engine.EndFrame:
		s.End(nil)
	case engine.AbortFrame, engine.ResetFrame:
		s.Terminate(nil)
	}
}

// start runs yaml with the test registry.
func start(t testing.TB, yaml string) *engine.Engine {
	t.Helper()
	return enginetest.Start(t, yaml, enginetest.Options{Registry: testRegistry(t)})
}

// clientConfig returns a Go TLS client config trusting the test CA.
func (p *pki) clientConfig(serverName string, alpn ...string) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(p.ca)
	return &tls.Config{RootCAs: pool, ServerName: serverName, NextProtos: alpn}
}

// readLine reads one line from c.
func readLine(t testing.TB, c net.Conn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if buf[0] == '\n' {
				return b.String()
			}
			b.WriteByte(buf[0])
		}
		if err != nil {
			t.Fatalf("read: %v (after %q)", err, b.String())
		}
	}
}
