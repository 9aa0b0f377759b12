package filesystem

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
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

// The passwords of the generated stores. Errors must never contain them.
const (
	storePassword = "s3cret-Store-Passw0rd"
	wrongPassword = "Wr0ng-Guess-Passw0rd"
)

// pki is a small certificate hierarchy made with crypto/x509:
//
//	root (EC) -> inter (EC) -> localhost (EC P-256 key)
//	otherCA (EC) -> other (RSA 2048 key)
type pki struct {
	root, inter, leaf, otherCA, other *x509.Certificate
	leafKey, otherKey                 crypto.Signer
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	ecKey := func() crypto.Signer {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	serial := int64(0)
	issue := func(cn string, key crypto.Signer, ca bool, parent *x509.Certificate, parentKey crypto.Signer, dns ...string) *x509.Certificate {
		serial++
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(24 * time.Hour),
			DNSNames:     dns,
		}
		if ca {
			tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
			tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		} else {
			tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
		}
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return cert
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{leafKey: ecKey(), otherKey: rsaKey}
	rootKey, interKey, otherCAKey := ecKey(), ecKey(), ecKey()
	p.root = issue("Sluice Test Root CA", rootKey, true, nil, nil)
	p.inter = issue("Sluice Test Intermediate CA", interKey, true, p.root, rootKey)
	p.leaf = issue("localhost", p.leafKey, false, p.inter, interKey, "localhost")
	p.otherCA = issue("Sluice Other CA", otherCAKey, true, nil, nil)
	p.other = issue("other", p.otherKey, false, p.otherCA, otherCAKey, "other.test")
	return p
}

func certPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

func keyPEM(t *testing.T, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// run runs a tool in dir and fails the test with its output on error.
func run(t *testing.T, dir, tool string, args ...string) {
	t.Helper()
	cmd := exec.Command(tool, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(tool), args, err, out)
	}
}

// fixtures is a folder of stores made by the real openssl and keytool.
type fixtures struct {
	dir     string
	pki     *pki
	keytool bool // whether the keytool-made stores exist
}

// newFixtures writes the PKI as PEM files and builds every store in a
// temporary folder. openssl is required; keytool stores are built when
// keytool is present (tests that need them call testtool.Require).
func newFixtures(t *testing.T) *fixtures {
	t.Helper()
	openssl := testtool.Require(t, "openssl")
	p := newPKI(t)
	fx := &fixtures{dir: t.TempDir(), pki: p}
	dir := fx.dir
	writeFile(t, filepath.Join(dir, "root.pem"), certPEM(p.root))
	writeFile(t, filepath.Join(dir, "other-ca.pem"), certPEM(p.otherCA))
	writeFile(t, filepath.Join(dir, "leaf.pem"), certPEM(p.leaf))
	writeFile(t, filepath.Join(dir, "leaf.key"), keyPEM(t, p.leafKey))
	writeFile(t, filepath.Join(dir, "leaf-chain.pem"), certPEM(p.inter, p.root))
	writeFile(t, filepath.Join(dir, "other.pem"), certPEM(p.other))
	writeFile(t, filepath.Join(dir, "other.key"), keyPEM(t, p.otherKey))
	writeFile(t, filepath.Join(dir, "other-chain.pem"), certPEM(p.otherCA))

	pass := "pass:" + storePassword
	export := func(out string, extra ...string) {
		args := append([]string{"pkcs12", "-export", "-in", "leaf.pem", "-inkey", "leaf.key",
			"-certfile", "leaf-chain.pem", "-name", "localhost", "-passout", pass, "-out", out}, extra...)
		run(t, dir, openssl, args...)
	}
	// OpenSSL 3 default: PBES2/PBKDF2/AES-256-CBC for keys and certificates, HMAC-SHA-256 MAC.
	export("openssl-aes.p12")
	// -legacy: RC2-40 certificates, 3DES key, HMAC-SHA-1 MAC.
	export("openssl-legacy.p12", "-legacy")
	export("openssl-rc2.p12", "-legacy", "-keypbe", "PBE-SHA1-RC2-40", "-certpbe", "PBE-SHA1-RC2-40")
	export("openssl-3des.p12", "-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1")
	run(t, dir, openssl, "pkcs12", "-export", "-in", "other.pem", "-inkey", "other.key",
		"-certfile", "other-chain.pem", "-name", "other", "-passout", pass, "-out", "openssl-other.p12")
	// Trust stores of certificates only; with -nokeys openssl names them with -caname.
	run(t, dir, openssl, "pkcs12", "-export", "-nokeys", "-in", "root.pem", "-caname", "root",
		"-passout", pass, "-out", "openssl-trust-aes.p12")
	run(t, dir, openssl, "pkcs12", "-export", "-nokeys", "-legacy", "-in", "root.pem", "-caname", "root",
		"-passout", pass, "-out", "openssl-trust-rc2.p12")
	// OpenSSL's TRUSTED CERTIFICATE form (certificate plus trust settings).
	run(t, dir, openssl, "x509", "-in", "root.pem", "-addtrust", "serverAuth", "-out", "root-trusted.pem")
	// A trust bundle without names: aliases "bundle" and "bundle-2" as PEM,
	// "unnamed" and "unnamed-2" as PKCS#12.
	writeFile(t, filepath.Join(dir, "bundle.pem"), certPEM(p.root, p.otherCA))
	run(t, dir, openssl, "pkcs12", "-export", "-nokeys", "-in", "bundle.pem",
		"-passout", pass, "-out", "unnamed.p12")
	// PEM: what `openssl pkcs12 -nodes` prints, Bag Attributes included.
	run(t, dir, openssl, "pkcs12", "-in", "openssl-aes.p12", "-nodes", "-passin", pass, "-out", "openssl-nodes.pem")
	// PEM with an encrypted PKCS#8 key, unnamed: the alias is the file name.
	run(t, dir, openssl, "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "leaf.key", "-passout", pass, "-out", "leaf-enc.key")
	enc, err := os.ReadFile(filepath.Join(dir, "leaf-enc.key"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "server.pem"), append(append(enc, certPEM(p.leaf)...), certPEM(p.inter, p.root)...))

	if _, err := exec.LookPath("keytool"); err == nil {
		fx.keytool = true
		fx.buildKeytool(t)
	}
	return fx
}

func (fx *fixtures) buildKeytool(t *testing.T) {
	keytool := testtool.Require(t, "keytool")
	for _, v := range []struct {
		suffix string
		legacy bool
	}{{"aes", false}, {"legacy", true}} {
		// Java 17 keytool writes PBES2/AES-256 and HMAC-SHA-256 by default;
		// -J-Dkeystore.pkcs12.legacy restores RC2-40, 3DES and HMAC-SHA-1.
		var jopt []string
		if v.legacy {
			jopt = []string{"-J-Dkeystore.pkcs12.legacy"}
		}
		keys := "keytool-keys-" + v.suffix + ".p12"
		trust := "keytool-trust-" + v.suffix + ".p12"
		for _, src := range []struct{ file, alias string }{{"openssl-aes.p12", "localhost"}, {"openssl-other.p12", "other"}} {
			run(t, fx.dir, keytool, append(jopt, "-importkeystore", "-noprompt",
				"-srckeystore", src.file, "-srcstoretype", "PKCS12", "-srcstorepass", storePassword, "-srcalias", src.alias,
				"-destkeystore", keys, "-deststoretype", "PKCS12", "-deststorepass", storePassword, "-destalias", src.alias)...)
		}
		for _, ca := range []struct{ file, alias string }{{"root.pem", "root"}, {"other-ca.pem", "otherca"}} {
			run(t, fx.dir, keytool, append(jopt, "-importcert", "-noprompt", "-alias", ca.alias, "-file", ca.file,
				"-keystore", trust, "-storetype", "PKCS12", "-storepass", storePassword)...)
		}
	}
	run(t, fx.dir, keytool, "-importkeystore", "-noprompt",
		"-srckeystore", "openssl-aes.p12", "-srcstoretype", "PKCS12", "-srcstorepass", storePassword, "-srcalias", "localhost",
		"-destkeystore", "keytool-keys.jks", "-deststoretype", "JKS", "-deststorepass", storePassword,
		"-destkeypass", storePassword, "-destalias", "localhost")
	for _, ca := range []struct{ file, alias string }{{"root.pem", "root"}, {"other-ca.pem", "otherca"}} {
		run(t, fx.dir, keytool, "-importcert", "-noprompt", "-alias", ca.alias, "-file", ca.file,
			"-keystore", "keytool-trust.jks", "-storetype", "JKS", "-storepass", storePassword)
	}
}

func (fx *fixtures) path(name string) string { return filepath.Join(fx.dir, name) }
