package filesystem

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io/fs"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/internal/testtool"
)

// Vault implements the engine's vault interface.
var _ engine.Vault = (*Vault)(nil)

// storeCase is one store made by a real tool.
type storeCase struct {
	name      string
	file, typ string
	keytool   bool              // made by keytool
	encrypted bool              // a wrong password must fail
	keys      map[string]string // key alias -> leaf common name
	certs     map[string]string // certificate-only alias -> common name
}

func storeCases() []storeCase {
	localhost := map[string]string{"localhost": "localhost"}
	root := map[string]string{"root": "Sluice Test Root CA"}
	roots := map[string]string{"root": "Sluice Test Root CA", "otherca": "Sluice Other CA"}
	both := map[string]string{"localhost": "localhost", "other": "other"}
	return []storeCase{
		{name: "pkcs12/openssl/aes-256/key", file: "openssl-aes.p12", encrypted: true, keys: localhost},
		{name: "pkcs12/openssl/legacy-rc2-40+3des/key", file: "openssl-legacy.p12", encrypted: true, keys: localhost},
		{name: "pkcs12/openssl/rc2-40/key", file: "openssl-rc2.p12", encrypted: true, keys: localhost},
		{name: "pkcs12/openssl/3des/key", file: "openssl-3des.p12", encrypted: true, keys: localhost},
		{name: "pkcs12/openssl/aes-256/trust", file: "openssl-trust-aes.p12", encrypted: true, certs: root},
		{name: "pkcs12/openssl/rc2-40/trust", file: "openssl-trust-rc2.p12", encrypted: true, certs: root},
		{name: "pkcs12/openssl/unnamed/trust", file: "unnamed.p12", encrypted: true, certs: map[string]string{"unnamed": "Sluice Test Root CA", "unnamed-2": "Sluice Other CA"}},
		{name: "pkcs12/keytool/aes-256/key", file: "keytool-keys-aes.p12", keytool: true, encrypted: true, keys: both},
		{name: "pkcs12/keytool/legacy-rc2-40+3des/key", file: "keytool-keys-legacy.p12", keytool: true, encrypted: true, keys: both},
		{name: "pkcs12/keytool/aes-256/trust", file: "keytool-trust-aes.p12", keytool: true, encrypted: true, certs: roots},
		{name: "pkcs12/keytool/legacy-rc2-40/trust", file: "keytool-trust-legacy.p12", keytool: true, encrypted: true, certs: roots},
		{name: "jks/keytool/key", file: "keytool-keys.jks", typ: TypeJKS, keytool: true, encrypted: true, keys: localhost},
		{name: "jks/keytool/trust", file: "keytool-trust.jks", typ: TypeJKS, keytool: true, encrypted: true, certs: roots},
		{name: "pem/openssl-nodes/key", file: "openssl-nodes.pem", typ: TypePEM, keys: localhost},
		{name: "pem/encrypted-pkcs8/key", file: "server.pem", typ: TypePEM, encrypted: true, keys: map[string]string{"server": "localhost"}},
		{name: "pem/openssl-trustout/trust", file: "root-trusted.pem", typ: TypePEM, certs: map[string]string{"root-trusted": "Sluice Test Root CA"}},
		{name: "pem/bundle/trust", file: "bundle.pem", typ: TypePEM, certs: map[string]string{"bundle": "Sluice Test Root CA", "bundle-2": "Sluice Other CA"}},
	}
}

// TestVault builds every store once with the real openssl and keytool, then
// runs the checks against them.
func TestVault(t *testing.T) {
	fx := newFixtures(t)
	t.Run("stores", func(t *testing.T) { testStores(t, fx) })
	t.Run("wrong password", func(t *testing.T) { testWrongPassword(t, fx) })
	t.Run("missing alias and file", func(t *testing.T) { testMissingAliasAndFile(t, fx) })
	t.Run("entries", func(t *testing.T) { testEntriesFilter(t, fx) })
	t.Run("signers", func(t *testing.T) { testVaultSigners(t, fx) })
	t.Run("handshake", func(t *testing.T) { testHandshake(t, fx) })
}

func testStores(t *testing.T, fx *fixtures) {
	for _, tc := range storeCases() {
		t.Run(tc.name, func(t *testing.T) {
			if tc.keytool {
				testtool.Require(t, "keytool")
			}
			s, err := LoadStore(fx.path(tc.file), tc.typ, storePassword, nil)
			if err != nil {
				t.Fatalf("LoadStore: %v", err)
			}
			var want []string
			for a := range tc.keys {
				want = append(want, a)
			}
			slices.Sort(want)
			gotKeys := s.KeyAliases()
			slices.Sort(gotKeys)
			if !slices.Equal(gotKeys, want) {
				t.Errorf("KeyAliases() = %q, want %q (Aliases() = %q)", gotKeys, want, s.Aliases())
			}
			for a := range tc.certs {
				want = append(want, a)
			}
			slices.Sort(want)
			got := s.Aliases()
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("Aliases() = %q, want %q", got, want)
			}
			for alias, cn := range tc.keys {
				// Aliases match case-insensitively, as in Java key stores.
				c, err := s.Key(strings.ToUpper(alias))
				if err != nil {
					t.Fatalf("Key(%q): %v", alias, err)
				}
				if c.Leaf == nil || c.Leaf.Subject.CommonName != cn {
					t.Fatalf("Key(%q).Leaf = %v, want CN %q", alias, c.Leaf, cn)
				}
				if !publicKeyMatches(c.PrivateKey, c.Leaf) {
					t.Errorf("Key(%q): private key does not match leaf", alias)
				}
				checkLocalhostChain(t, fx.pki, c, alias)
				if cert, err := s.Certificate(alias); err != nil || !cert.Equal(c.Leaf) {
					t.Errorf("Certificate(%q) = %v, %v; want the key's leaf", alias, cert, err)
				}
			}
			for alias, cn := range tc.certs {
				cert, err := s.Certificate(alias)
				if err != nil {
					t.Fatalf("Certificate(%q): %v", alias, err)
				}
				if cert.Subject.CommonName != cn {
					t.Errorf("Certificate(%q) CN = %q, want %q", alias, cert.Subject.CommonName, cn)
				}
				if _, err := s.Key(alias); !errors.Is(err, ErrNoPrivateKey) {
					t.Errorf("Key(%q) on a certificate entry: err = %v, want ErrNoPrivateKey", alias, err)
				}
			}
		})
	}
}

// checkLocalhostChain checks the chain of the localhost key: leaf,
// intermediate, root, as the PKCS#12 or JKS file holds them.
func checkLocalhostChain(t *testing.T, p *pki, c *tls.Certificate, alias string) {
	t.Helper()
	if alias != "localhost" && alias != "server" {
		return
	}
	want := []*x509.Certificate{p.leaf, p.inter, p.root}
	if len(c.Certificate) != len(want) {
		t.Fatalf("Key(%q) chain has %d certificates, want %d", alias, len(c.Certificate), len(want))
	}
	for i, w := range want {
		if string(c.Certificate[i]) != string(w.Raw) {
			t.Errorf("Key(%q) chain[%d] is not %q", alias, i, w.Subject.CommonName)
		}
	}
}

func testWrongPassword(t *testing.T, fx *fixtures) {
	for _, tc := range storeCases() {
		if !tc.encrypted {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			if tc.keytool {
				testtool.Require(t, "keytool")
			}
			path := fx.path(tc.file)
			_, err := LoadStore(path, tc.typ, wrongPassword, nil)
			if !errors.Is(err, ErrWrongPassword) {
				t.Fatalf("LoadStore with a wrong password: err = %v, want ErrWrongPassword", err)
			}
			checkMessage(t, err, tc.file)
		})
	}
}

// checkMessage checks that err names the store and the given words, and
// contains neither password.
func checkMessage(t *testing.T, err error, words ...string) {
	t.Helper()
	msg := err.Error()
	for _, w := range words {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not name %q", msg, w)
		}
	}
	for _, pw := range []string{storePassword, wrongPassword} {
		if strings.Contains(msg, pw) {
			t.Errorf("error %q contains a password", msg)
		}
	}
}

func testMissingAliasAndFile(t *testing.T, fx *fixtures) {
	s, err := LoadStore(fx.path("openssl-aes.p12"), "", storePassword, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Key("no-such-alias")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Key(missing): err = %v, want ErrNotFound", err)
	}
	checkMessage(t, err, "openssl-aes.p12", `"no-such-alias"`)
	_, err = s.Certificate("no-such-alias")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Certificate(missing): err = %v, want ErrNotFound", err)
	}
	checkMessage(t, err, "openssl-aes.p12", `"no-such-alias"`)

	_, err = LoadStore(fx.path("openssl-aes.p12"), "", storePassword, []string{"localhost", "no-such-entry"})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("entries with a missing alias: err = %v, want ErrNotFound", err)
	}
	checkMessage(t, err, "openssl-aes.p12", `"no-such-entry"`)

	_, err = LoadStore(fx.path("missing.p12"), "", storePassword, nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: err = %v, want fs.ErrNotExist", err)
	}
	checkMessage(t, err, "missing.p12")

	_, err = (StoreOptions{Store: "tls/missing.jks", Type: "jks", Password: storePassword}).Load(fx.dir)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: err = %v, want fs.ErrNotExist", err)
	}
	checkMessage(t, err, `jks store "tls/missing.jks"`)

	// Like Java's keystore.type.compat, type jks reads a PKCS#12 file.
	if s, err := LoadStore(fx.path("openssl-aes.p12"), "JKS", storePassword, nil); err != nil || !slices.Equal(s.KeyAliases(), []string{"localhost"}) {
		t.Errorf("PKCS#12 file as type jks: %v", err)
	}

	_, err = LoadStore(fx.path("root.pem"), "pkcs12", storePassword, nil)
	if err == nil || !strings.Contains(err.Error(), "type pem") {
		t.Fatalf("PEM read as pkcs12: err = %v, want a hint to use type pem", err)
	}
	_, err = LoadStore(fx.path("root.pem"), "pkcs11", storePassword, nil)
	if err == nil || !strings.Contains(err.Error(), "unknown store type") {
		t.Fatalf("unknown type: err = %v", err)
	}
}

func testEntriesFilter(t *testing.T, fx *fixtures) {
	testtool.Require(t, "keytool")
	for _, file := range []string{"keytool-trust-aes.p12", "keytool-trust.jks"} {
		t.Run(file, func(t *testing.T) {
			s, err := LoadStore(fx.path(file), "", storePassword, []string{"ROOT"})
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Aliases(); !slices.Equal(got, []string{"root"}) {
				t.Errorf("Aliases() = %q, want [root]", got)
			}
			if _, err := s.Certificate("otherca"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Certificate(otherca) outside entries: err = %v, want ErrNotFound", err)
			}
			// The order of entries is kept.
			s, err = LoadStore(fx.path(file), "", storePassword, []string{"otherca", "root"})
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Aliases(); !slices.Equal(got, []string{"otherca", "root"}) {
				t.Errorf("Aliases() = %q, want [otherca root]", got)
			}
		})
	}
}

func testVaultSigners(t *testing.T, fx *fixtures) {
	testtool.Require(t, "keytool")
	v, err := Open(Options{
		Keys:    &StoreOptions{Store: "keytool-keys-aes.p12", Password: storePassword},
		Trust:   &StoreOptions{Store: "keytool-trust.jks", Type: TypeJKS, Password: storePassword, Entries: []string{"root"}},
		Signers: &StoreOptions{Store: "bundle.pem", Type: TypePEM},
	}, fx.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		signer string
		want   []string
	}{
		{"bundle", []string{"localhost"}}, // the root signed localhost's intermediate
		{"bundle-2", []string{"other"}},   // the other CA signed other directly
	} {
		got, err := v.KeysSignedBy(tc.signer)
		if err != nil {
			t.Fatalf("KeysSignedBy(%q): %v", tc.signer, err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("KeysSignedBy(%q) = %q, want %q", tc.signer, got, tc.want)
		}
	}
	if _, err := v.KeysSignedBy("nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("KeysSignedBy(unknown signer): err = %v, want ErrNotFound", err)
	}
	// The intermediate, as a signer, selects localhost too.
	keys, err := LoadStore(fx.path("keytool-keys-aes.p12"), "", storePassword, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := keys.KeysSignedBy(fx.pki.inter); !slices.Equal(got, []string{"localhost"}) {
		t.Errorf("KeysSignedBy(intermediate) = %q, want [localhost]", got)
	}

	if got := sorted(v.KeyAliases()); !slices.Equal(got, []string{"localhost", "other"}) {
		t.Errorf("KeyAliases() = %q", got)
	}
	if got := v.TrustAliases(); !slices.Equal(got, []string{"root"}) {
		t.Errorf("TrustAliases() = %q", got)
	}
	if got := v.SignerAliases(); !slices.Equal(got, []string{"bundle", "bundle-2"}) {
		t.Errorf("SignerAliases() = %q", got)
	}

	_, err = Open(Options{Trust: &StoreOptions{Store: "keytool-trust.jks", Password: wrongPassword}}, fx.dir)
	if !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("Open with a wrong trust password: err = %v", err)
	}
	checkMessage(t, err, "trust:", `"keytool-trust.jks"`, "wrong password")

	empty := NewVault(nil, nil, nil)
	if _, err := empty.Key("localhost"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Key without a keys store: err = %v", err)
	}
	if a := empty.KeyAliases(); a != nil {
		t.Errorf("KeyAliases without a keys store = %q", a)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// testHandshake serves each store's key in a real TLS handshake over
// net.Pipe, the client verifying the chain against the trust store's root.
func testHandshake(t *testing.T, fx *fixtures) {
	trust, err := LoadStore(fx.path("openssl-trust-aes.p12"), "", storePassword, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range storeCases() {
		alias := ""
		for _, a := range []string{"localhost", "server"} {
			if _, ok := tc.keys[a]; ok {
				alias = a
			}
		}
		if alias == "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			if tc.keytool {
				testtool.Require(t, "keytool")
			}
			v, err := Open(Options{Keys: &StoreOptions{Store: tc.file, Type: tc.typ, Password: storePassword}}, fx.dir)
			if err != nil {
				t.Fatal(err)
			}
			v.trust = trust
			handshake(t, v, alias, "root")
		})
	}
	t.Run("rsa key of another ca", func(t *testing.T) {
		testtool.Require(t, "keytool")
		v, err := Open(Options{
			Keys:  &StoreOptions{Store: "keytool-keys-legacy.p12", Password: storePassword},
			Trust: &StoreOptions{Store: "keytool-trust.jks", Type: TypeJKS, Password: storePassword},
		}, fx.dir)
		if err != nil {
			t.Fatal(err)
		}
		handshake(t, v, "other", "otherca")
	})
}

func handshake(t *testing.T, v *Vault, keyAlias, trustAlias string) {
	t.Helper()
	cert, err := v.Key(keyAlias)
	if err != nil {
		t.Fatal(err)
	}
	root, err := v.Trust(trustAlias)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sc, cc := net.Pipe()
	defer sc.Close()
	defer cc.Close()
	server := tls.Server(sc, &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12})
	client := tls.Client(cc, &tls.Config{RootCAs: roots, ServerName: cert.Leaf.DNSNames[0], MinVersion: tls.VersionTLS12})
	serverErr := make(chan error, 1)
	go func() { serverErr <- server.HandshakeContext(ctx) }()
	if err := client.HandshakeContext(ctx); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	if err := <-serverErr; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	chains := client.ConnectionState().VerifiedChains
	if len(chains) == 0 {
		t.Fatal("no verified chain")
	}
	chain := chains[0]
	if !chain[0].Equal(cert.Leaf) || !chain[len(chain)-1].Equal(root) {
		t.Errorf("verified chain %v does not run from the key's leaf to the trusted root", chain)
	}
}
