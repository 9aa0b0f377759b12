package filesystem

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// These tests cover the alias rules on PEM files written by the test; the
// stores of real tools are covered by TestVault.

func loadPEMFile(t *testing.T, name string, data []byte, entries ...string) (*Store, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	writeFile(t, path, data)
	return LoadStore(path, TypePEM, "", entries)
}

func named(name string, block []byte) []byte {
	return append([]byte("Bag Attributes\n    localKeyID: 01 \n    friendlyName: "+name+"\nsubject=whatever\n"), block...)
}

func TestPEMAliases(t *testing.T) {
	p := newPKI(t)
	data := slices.Concat(
		named("Web Server", keyPEM(t, p.leafKey)),
		certPEM(p.leaf, p.inter), // unnamed: leaf and chain of the key
		keyPEM(t, p.otherKey),    // unnamed key: takes the file name
		certPEM(p.other),
		named("other root", certPEM(p.otherCA)), // in other's chain, but named: still only chain
		named("root", certPEM(p.root)),          // in localhost's chain
	)
	s, err := loadPEMFile(t, "tls.pem", data)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Aliases(), []string{"Web Server", "tls"}; !slices.Equal(got, want) {
		t.Fatalf("Aliases() = %q, want %q", got, want)
	}
	c, err := s.Key("web server")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Certificate) != 3 || !c.Leaf.Equal(p.leaf) {
		t.Errorf("Key(web server): %d certificates, leaf %s", len(c.Certificate), c.Leaf.Subject)
	}
	c, err = s.Key("tls")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Certificate) != 2 || !c.Leaf.Equal(p.other) {
		t.Errorf("Key(tls): %d certificates, leaf %s", len(c.Certificate), c.Leaf.Subject)
	}
}

func TestPEMBundleNumbering(t *testing.T) {
	p := newPKI(t)
	// "ca" is taken by a named certificate, so unnamed ones start at ca-2.
	data := slices.Concat(certPEM(p.root), named("ca", certPEM(p.otherCA)), certPEM(p.inter))
	s, err := loadPEMFile(t, "ca.crt.pem", data)
	if err != nil {
		t.Fatal(err)
	}
	// The base name drops only the last extension.
	if got, want := s.Aliases(), []string{"ca.crt", "ca", "ca.crt-2"}; !slices.Equal(got, want) {
		t.Fatalf("Aliases() = %q, want %q", got, want)
	}
	s, err = loadPEMFile(t, "ca", data)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Aliases(), []string{"ca-2", "ca", "ca-3"}; !slices.Equal(got, want) {
		t.Fatalf("Aliases() = %q, want %q", got, want)
	}
	cert, err := s.Certificate("CA-3")
	if err != nil || !cert.Equal(p.inter) {
		t.Errorf("Certificate(CA-3) = %v, %v; want the intermediate", cert, err)
	}
}

func TestPEMErrors(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct {
		name, want string
		data       []byte
		is         error
	}{
		{"duplicate alias", `alias "X" appears more than once`,
			slices.Concat(named("x", certPEM(p.root)), named("X", certPEM(p.otherCA))), nil},
		{"malformed block", "pem block 1: malformed",
			slices.Concat([]byte("-----BEGIN CERTIFICATE-----\n!!!\n"), certPEM(p.root)), nil},
		{"no blocks", "no certificate or private key", []byte("just text\n"), nil},
		{"bad certificate", "pem block 1 (CERTIFICATE)",
			pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}}), nil},
		{"legacy encryption", "legacy pem encryption",
			pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00"}, Bytes: []byte{0}}), nil},
		{"encrypted key without password", "needs the store password",
			pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{0}}), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadPEMFile(t, "bad.pem", tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), `pem store "`) {
				t.Errorf("err = %v does not name the store", err)
			}
		})
	}
}

func TestKeyWithoutCertificate(t *testing.T) {
	p := newPKI(t)
	s, err := loadPEMFile(t, "lonely.pem", slices.Concat(keyPEM(t, p.leafKey), certPEM(p.root)))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.KeyAliases(); len(got) != 0 {
		t.Errorf("KeyAliases() = %q, want none", got)
	}
	if _, err := s.Key("lonely"); !errors.Is(err, ErrNoPrivateKey) {
		t.Errorf("Key(lonely): err = %v, want ErrNoPrivateKey", err)
	}
}

func TestBuildChainStopsAtUnknownIssuer(t *testing.T) {
	p := newPKI(t)
	chain := buildChain(p.leaf, []*x509.Certificate{p.leaf, p.otherCA, p.root})
	if len(chain) != 1 {
		t.Errorf("chain without the intermediate has %d certificates, want 1", len(chain))
	}
	chain = buildChain(p.leaf, []*x509.Certificate{p.root, p.inter, p.leaf})
	if len(chain) != 3 || !chain[1].Equal(p.inter) || !chain[2].Equal(p.root) {
		t.Errorf("chain = %d certificates, want leaf, intermediate, root", len(chain))
	}
	if signedBy(p.leaf, p.root) || !signedBy(p.inter, p.root) || !signedBy(p.root, p.root) {
		t.Error("signedBy does not follow issuer signatures")
	}
}
