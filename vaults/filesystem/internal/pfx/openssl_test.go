package pfx

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/testtool"
)

// pki is a CA and a leaf, each with its key, written as PEM files into a
// folder for openssl to read.
type pki struct {
	dir              string
	tool             string // the openssl executable
	ca, leaf         *x509.Certificate
	caKey, leafKey   crypto.Signer
	edLeaf           *x509.Certificate
	edKey            ed25519.PrivateKey
	leafPEM, caPEM   string
	leafKeyPEM       string
	edLeafPEM, edPEM string
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	p := &pki{dir: t.TempDir(), tool: testtool.Require(t, "openssl")}
	var err error
	if p.caKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	if p.leafKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	if _, p.edKey, err = ed25519.GenerateKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	p.ca = p.certify(t, "pfx test CA", p.caKey.Public(), nil, p.caKey, true)
	p.leaf = p.certify(t, "localhost", p.leafKey.Public(), p.ca, p.caKey, false)
	p.edLeaf = p.certify(t, "ed25519", p.edKey.Public(), p.ca, p.caKey, false)
	p.caPEM = p.write(t, "ca.pem", "CERTIFICATE", p.ca.Raw)
	p.leafPEM = p.write(t, "leaf.pem", "CERTIFICATE", p.leaf.Raw)
	p.edLeafPEM = p.write(t, "ed.pem", "CERTIFICATE", p.edLeaf.Raw)
	p.leafKeyPEM = p.write(t, "leaf.key", "PRIVATE KEY", pkcs8(t, p.leafKey))
	p.edPEM = p.write(t, "ed.key", "PRIVATE KEY", pkcs8(t, p.edKey))
	return p
}

func (p *pki) certify(t testing.TB, cn string, pub crypto.PublicKey, parent *x509.Certificate, signer crypto.Signer, ca bool) *x509.Certificate {
	t.Helper()
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		BasicConstraintsValid: true,
		IsCA:                  ca,
		DNSNames:              []string{cn},
	}
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (p *pki) write(t *testing.T, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func pkcs8(t testing.TB, key crypto.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// openssl runs openssl with args in the PKI folder and returns the bytes
// of the file named out that it wrote.
func (p *pki) openssl(t *testing.T, out string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(p.tool, args...)
	cmd.Dir = p.dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl %q: %v\n%s", args, err, b)
	}
	data, err := os.ReadFile(filepath.Join(p.dir, out))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// export writes the leaf, its key and the CA as a PKCS#12 file with
// `openssl pkcs12 -export` and the extra arguments, and returns it.
func (p *pki) export(t *testing.T, password string, extra ...string) []byte {
	t.Helper()
	args := append([]string{"pkcs12", "-export", "-in", p.leafPEM, "-inkey", p.leafKeyPEM,
		"-certfile", p.caPEM, "-name", "localhost", "-caname", "the CA",
		"-passout", "pass:" + password, "-out", "out.p12"}, extra...)
	return p.openssl(t, "out.p12", args...)
}

// encryptKey writes the leaf key as an encrypted PKCS#8 key with `openssl
// pkcs8 -topk8` and the extra arguments (the algorithm), and returns its
// DER.
func (p *pki) encryptKey(t *testing.T, password string, extra ...string) []byte {
	t.Helper()
	args := append([]string{"pkcs8", "-topk8", "-provider", "legacy", "-provider", "default",
		"-in", p.leafKeyPEM, "-passout", "pass:" + password, "-outform", "DER", "-out", "out.p8"}, extra...)
	return p.openssl(t, "out.p8", args...)
}

func ecdsaKey() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }
