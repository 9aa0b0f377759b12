package pfx

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
)

// The tests below read files that the real openssl writes, one for every
// algorithm it offers, and check every bag: that is the interoperability
// that matters. Keytool's files are read by the vaults/filesystem tests.

var exports = []struct {
	name string
	args []string
}{
	{"pbes2 aes-256-cbc, hmac-sha256 (openssl 3 default)", nil},
	{"pbes2 aes-128-cbc and aes-192-cbc", []string{"-certpbe", "AES-128-CBC", "-keypbe", "AES-192-CBC"}},
	{"pbes2 des-ede3-cbc", []string{"-certpbe", "DES-EDE3-CBC", "-keypbe", "DES-EDE3-CBC"}},
	{"pbes2 des-cbc", []string{"-legacy", "-certpbe", "DES-CBC", "-keypbe", "DES-CBC"}},
	{"pbes2 rc2-40-cbc and rc2-64-cbc", []string{"-legacy", "-certpbe", "RC2-40-CBC", "-keypbe", "RC2-64-CBC"}},
	{"pbes2 rc2-cbc", []string{"-legacy", "-certpbe", "RC2-CBC", "-keypbe", "RC2-CBC"}},
	{"legacy: rc2-40 certificates, 3des key, hmac-sha1", []string{"-legacy"}},
	{"pkcs12 3des, hmac-sha1", []string{"-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1"}},
	{"pkcs12 2des and rc2-128", []string{"-legacy", "-keypbe", "PBE-SHA1-2DES", "-certpbe", "PBE-SHA1-RC2-128"}},
	{"pkcs12 rc4-128 and rc4-40", []string{"-legacy", "-keypbe", "PBE-SHA1-RC4-128", "-certpbe", "PBE-SHA1-RC4-40"}},
	{"pbes1 md5-des and sha1-rc2-64", []string{"-legacy", "-keypbe", "PBE-MD5-DES", "-certpbe", "PBE-SHA1-RC2-64"}},
	{"pbes1 sha1-des and md5-rc2-64", []string{"-legacy", "-keypbe", "PBE-SHA1-DES", "-certpbe", "PBE-MD5-RC2-64"}},
	{"unencrypted key bag and certificates", []string{"-keypbe", "NONE", "-certpbe", "NONE"}},
	{"hmac-sha224", []string{"-macalg", "sha224"}},
	{"hmac-sha384", []string{"-macalg", "sha384"}},
	{"hmac-sha512", []string{"-macalg", "sha512"}},
	{"hmac-sha512-256", []string{"-macalg", "sha512-256"}},
	{"one iteration", []string{"-noiter", "-nomaciter"}},
	{"no mac", []string{"-nomac"}},
	{"no mac, legacy", []string{"-legacy", "-nomac"}},
}

func TestDecodeOpenSSLAlgorithms(t *testing.T) {
	p := newPKI(t)
	for _, e := range exports {
		t.Run(e.name, func(t *testing.T) {
			data := p.export(t, "s3cret", e.args...)
			bags, err := DecodeBags(data, "s3cret")
			if err != nil {
				t.Fatalf("DecodeBags: %v", err)
			}
			checkBags(t, p, bags)

			_, err = DecodeBags(data, "wrong")
			want := ErrIncorrectPassword
			if strings.Contains(e.name, "no mac") {
				want = ErrDecryption
			}
			if !errors.Is(err, want) {
				t.Errorf("DecodeBags with a wrong password: err = %v, want %v", err, want)
			}
		})
	}
}

// checkBags checks what `export` wrote: the leaf and the CA certificate,
// then the key, named and paired as openssl -name, -caname and localKeyID
// say.
func checkBags(t *testing.T, p *pki, bags []Bag) {
	t.Helper()
	var leaf, ca, key *Bag
	for i := range bags {
		b := &bags[i]
		if (b.Certificate == nil) == (b.PrivateKey == nil) {
			t.Fatalf("bag %d has %v certificate and %T key", i, b.Certificate != nil, b.PrivateKey)
		}
		switch {
		case b.PrivateKey != nil:
			key = b
		case bytes.Equal(b.Certificate.Raw, p.leaf.Raw):
			leaf = b
		case bytes.Equal(b.Certificate.Raw, p.ca.Raw):
			ca = b
		}
	}
	if len(bags) != 3 || leaf == nil || ca == nil || key == nil {
		t.Fatalf("got %d bags (leaf %v, ca %v, key %v), want the leaf, the CA and the key", len(bags), leaf != nil, ca != nil, key != nil)
	}
	if leaf.FriendlyName != "localhost" || key.FriendlyName != "localhost" || ca.FriendlyName != "the CA" {
		t.Errorf("friendly names: leaf %q, key %q, ca %q", leaf.FriendlyName, key.FriendlyName, ca.FriendlyName)
	}
	if len(key.LocalKeyID) == 0 || !bytes.Equal(key.LocalKeyID, leaf.LocalKeyID) || ca.LocalKeyID != nil {
		t.Errorf("localKeyId: key %x, leaf %x, ca %x", key.LocalKeyID, leaf.LocalKeyID, ca.LocalKeyID)
	}
	if k, ok := key.PrivateKey.(*ecdsa.PrivateKey); !ok || !k.Equal(p.leafKey) {
		t.Errorf("private key %T is not the leaf's", key.PrivateKey)
	}
	if leaf.Trusted || ca.Trusted {
		t.Error("openssl set no trusted attribute, but a bag is Trusted")
	}
}

// TestDecodePasswords covers the password forms: the empty password
// (OpenSSL's absent-or-empty ambiguity), characters outside ASCII and
// outside the BMP (surrogate pairs in the BMPString, UTF-8 for PBKDF2), and
// a password longer than a hash block, each for the PBES2 and the legacy
// algorithms.
func TestDecodePasswords(t *testing.T) {
	p := newPKI(t)
	for _, pw := range []string{"", "pässwörd", "🔑 schlüssel", strings.Repeat("long password ", 12)} {
		for _, legacy := range []bool{false, true} {
			var args []string
			if legacy {
				args = []string{"-legacy"}
			}
			data := p.export(t, pw, args...)
			bags, err := DecodeBags(data, pw)
			if err != nil {
				t.Errorf("password %q, legacy %v: %v", pw, legacy, err)
				continue
			}
			checkBags(t, p, bags)
			if _, err := DecodeBags(data, pw+"x"); !errors.Is(err, ErrIncorrectPassword) {
				t.Errorf("password %q, legacy %v: wrong password gave %v", pw, legacy, err)
			}
		}
	}
}

// TestDecodeEmptyPasswordWithoutMAC: with no MAC to tell the absent
// password from the empty one, decryption tries both.
func TestDecodeEmptyPasswordWithoutMAC(t *testing.T) {
	p := newPKI(t)
	for _, args := range [][]string{{"-nomac"}, {"-nomac", "-legacy"}} {
		bags, err := DecodeBags(p.export(t, "", args...), "")
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		checkBags(t, p, bags)
	}
}

func TestDecodeNonASCIIFriendlyName(t *testing.T) {
	p := newPKI(t)
	data := p.openssl(t, "named.p12", "pkcs12", "-export", "-in", p.leafPEM, "-inkey", p.leafKeyPEM,
		"-name", "Schlüssel", "-passout", "pass:pw", "-out", "named.p12")
	bags, err := DecodeBags(data, "pw")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bags {
		if b.FriendlyName != "Schlüssel" {
			t.Errorf("friendlyName %q", b.FriendlyName)
		}
	}
}

func TestDecodeEd25519(t *testing.T) {
	p := newPKI(t)
	data := p.openssl(t, "ed.p12", "pkcs12", "-export", "-in", p.edLeafPEM, "-inkey", p.edPEM,
		"-name", "ed", "-passout", "pass:pw", "-out", "ed.p12")
	bags, err := DecodeBags(data, "pw")
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, b := range bags {
		if k, ok := b.PrivateKey.(ed25519.PrivateKey); ok {
			found = k.Equal(p.edKey)
		}
	}
	if !found {
		t.Errorf("no Ed25519 key equal to the one exported in %d bags", len(bags))
	}
}

func TestDecryptPKCS8OpenSSL(t *testing.T) {
	p := newPKI(t)
	for _, args := range [][]string{
		{"-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"},
		{"-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA224"},
		{"-v2", "aes-192-cbc", "-v2prf", "hmacWithSHA256"},
		{"-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA384"},
		{"-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA512"},
		{"-v2", "des-ede3-cbc"},
		{"-v2", "des-cbc"},
		{"-v2", "rc2-cbc"},
		{"-v2", "rc2-40-cbc"},
		{"-v2", "rc2-64-cbc"},
		{"-v1", "PBE-MD5-DES"},
		{"-v1", "PBE-SHA1-DES"},
		{"-v1", "PBE-MD5-RC2-64"},
		{"-v1", "PBE-SHA1-RC2-64"},
		{"-v1", "PBE-SHA1-3DES"},
		{"-v1", "PBE-SHA1-2DES"},
		{"-v1", "PBE-SHA1-RC2-40"},
		{"-v1", "PBE-SHA1-RC2-128"},
		{"-v1", "PBE-SHA1-RC4-128"},
		{"-v1", "PBE-SHA1-RC4-40"},
	} {
		for _, pw := range []string{"s3cret", "grüß dich 🔑"} {
			der := p.encryptKey(t, pw, args...)
			key, err := DecryptPKCS8(der, pw)
			if err != nil {
				t.Errorf("%v, password %q: %v", args, pw, err)
				continue
			}
			if k, ok := key.(*ecdsa.PrivateKey); !ok || !k.Equal(p.leafKey) {
				t.Errorf("%v: decrypted %T is not the key", args, key)
			}
			if _, err := DecryptPKCS8(der, pw+"x"); !errors.Is(err, ErrDecryption) {
				t.Errorf("%v, password %q: wrong password gave %v", args, pw, err)
			}
		}
	}
}

func TestDecryptPKCS8Unsupported(t *testing.T) {
	p := newPKI(t)
	der := p.encryptKey(t, "pw", "-scrypt")
	_, err := DecryptPKCS8(der, "pw")
	var u *UnsupportedError
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "scrypt") {
		t.Errorf("scrypt key: err = %v, want an UnsupportedError naming scrypt", err)
	}
}
