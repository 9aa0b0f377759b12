package pfx

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/asn1"
	"errors"
	"strings"
	"testing"
)

// newBuilt returns a PKI without needing openssl.
func newBuilt(t testing.TB) *pki {
	t.Helper()
	p := &pki{}
	var err error
	if p.caKey, err = ecdsaKey(); err != nil {
		t.Fatal(err)
	}
	if p.leafKey, err = ecdsaKey(); err != nil {
		t.Fatal(err)
	}
	p.ca = p.certify(t, "pfx test CA", p.caKey.Public(), nil, p.caKey, true)
	p.leaf = p.certify(t, "localhost", p.leafKey.Public(), p.ca, p.caKey, false)
	return p
}

func TestDecodeBuiltStructures(t *testing.T) {
	p := newBuilt(t)
	pw := bmpPassword("pw")
	id := []byte{1, 2, 3, 4}
	sdsi := safeBagOf(oidCertBag, seq(oid(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 22, 2}), explicit0(der(0x16, []byte("sdsi")))))
	secret := safeBagOf(oidSecretBag, seq(oid(asn1.ObjectIdentifier{1, 2, 3}), explicit0(octet([]byte("s")))), friendlyName("secret"))
	crl := safeBagOf(oidCRLBag, seq(oid(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 23, 1}), explicit0(octet([]byte{0}))))
	unknown := safeBagOf(asn1.ObjectIdentifier{1, 2, 3, 4}, null())
	trusted := attribute(oidJavaTrustedKeyUses, oid(asn1.ObjectIdentifier{2, 5, 29, 37, 0}))
	nested := safeBagOf(oidSafeContentsBag, seq(
		certBagOf(p.ca.Raw, friendlyName("root"), trusted),
		safeBagOf(oidSafeContentsBag, seq(sdsi, crl)),
	))
	authSafe := seq(
		encryptedSafe(pw, certBagOf(p.leaf.Raw, friendlyName("leaf\x00"), localKeyID(id)), nested, secret),
		dataSafe(shroudedKeyBagOf(t, pw, p.leafKey, attribute(oidFriendlyName, utf8String("leaf")), localKeyID(id)), unknown),
	)
	bags, err := DecodeBags(pfxOf(authSafe, pw), "pw")
	if err != nil {
		t.Fatal(err)
	}
	if len(bags) != 3 {
		t.Fatalf("got %d bags, want leaf, root and key (sdsi, crl, secret and unknown bags skipped)", len(bags))
	}
	leaf, root, key := bags[0], bags[1], bags[2]
	if leaf.Certificate == nil || !bytes.Equal(leaf.Certificate.Raw, p.leaf.Raw) || leaf.FriendlyName != "leaf" || !bytes.Equal(leaf.LocalKeyID, id) || leaf.Trusted {
		t.Errorf("leaf bag: %+v", leaf)
	}
	if root.Certificate == nil || !bytes.Equal(root.Certificate.Raw, p.ca.Raw) || root.FriendlyName != "root" || !root.Trusted {
		t.Errorf("nested root bag: name %q, trusted %v", root.FriendlyName, root.Trusted)
	}
	if k, ok := key.PrivateKey.(*ecdsa.PrivateKey); !ok || !k.Equal(p.leafKey) || key.FriendlyName != "leaf" || !bytes.Equal(key.LocalKeyID, id) {
		t.Errorf("key bag: %T %q %x", key.PrivateKey, key.FriendlyName, key.LocalKeyID)
	}
}

func TestDecodeUnencryptedKeyBagWithoutMAC(t *testing.T) {
	p := newBuilt(t)
	bags, err := DecodeBags(pfxOf(seq(dataSafe(keyBagOf(t, p.leafKey, friendlyName("k")), certBagOf(p.leaf.Raw))), nil), "anything")
	if err != nil {
		t.Fatal(err)
	}
	if len(bags) != 2 || bags[0].FriendlyName != "k" || bags[0].PrivateKey == nil || bags[1].Certificate == nil {
		t.Errorf("bags: %+v", bags)
	}
}

// TestDecodeBER reads a store written in BER at every level: indefinite
// lengths, segmented octet strings (including the [0] IMPLICIT encrypted
// content) and long-form lengths, with the MAC over the BER octets.
func TestDecodeBER(t *testing.T) {
	p := newBuilt(t)
	pw := bmpPassword("pw")
	inner := seq(
		encryptedSafe(pw, certBagOf(p.leaf.Raw, friendlyName("leaf"))),
		dataSafe(shroudedKeyBagOf(t, pw, p.leafKey, friendlyName("leaf"))),
	)
	authSafe := ber(t, inner)
	content := seq(oid(oidData), explicit0(octet(authSafe)))
	data := ber(t, seq(integer(3), content, macDataOf(authSafe, pw)))
	if bytes.Equal(data[:2], []byte{0x30, 0x80}) == false {
		t.Fatalf("the test file is not BER: % x", data[:4])
	}
	bags, err := DecodeBags(data, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if len(bags) != 2 || bags[0].FriendlyName != "leaf" || bags[1].PrivateKey == nil {
		t.Errorf("bags: %+v", bags)
	}
	if _, err := DecodeBags(data, "wrong"); !errors.Is(err, ErrIncorrectPassword) {
		t.Errorf("wrong password: %v", err)
	}
}

// TestDecodeKeyUnderItsOwnPassword: keytool -keypass can give a key a
// password other than the store's; the MAC verifies, the key does not
// decrypt, and that is ErrDecryption.
func TestDecodeKeyUnderItsOwnPassword(t *testing.T) {
	p := newBuilt(t)
	store := bmpPassword("store")
	authSafe := seq(dataSafe(shroudedKeyBagOf(t, bmpPassword("key"), p.leafKey, friendlyName("k"))))
	_, err := DecodeBags(pfxOf(authSafe, store), "store")
	if !errors.Is(err, ErrDecryption) {
		t.Fatalf("err = %v, want ErrDecryption", err)
	}
}

// TestDecodePasswordForms: a MAC under the absent password (no bytes)
// verifies with "", and a MAC under OpenSSL's pre-1.1.0 form of a non-ASCII
// password (its UTF-8 bytes widened) verifies with that password.
func TestDecodePasswordForms(t *testing.T) {
	p := newBuilt(t)
	for _, v := range []struct {
		name, password string
		form           []byte
	}{
		{"absent", "", []byte{}},
		{"empty", "", []byte{0, 0}},
		{"pre-1.1.0 openssl", "pässwörd", latin1BMPPassword("pässwörd")},
		{"bmp", "pässwörd", bmpPassword("pässwörd")},
	} {
		authSafe := seq(encryptedSafe(v.form, certBagOf(p.leaf.Raw)), dataSafe(shroudedKeyBagOf(t, v.form, p.leafKey)))
		for _, mac := range []bool{true, false} {
			var macPW []byte
			if mac {
				macPW = v.form
			}
			bags, err := DecodeBags(pfxOf(authSafe, macPW), v.password)
			if err != nil || len(bags) != 2 {
				t.Errorf("%s, mac %v: %d bags, %v", v.name, mac, len(bags), err)
			}
		}
	}
}

func TestDecodeRefusals(t *testing.T) {
	p := newBuilt(t)
	pw := bmpPassword("pw")
	good := seq(dataSafe(certBagOf(p.leaf.Raw)))
	deep := certBagOf(p.leaf.Raw)
	for range maxDepth + 2 {
		deep = safeBagOf(oidSafeContentsBag, seq(deep))
	}
	md5MAC := seq(seq(seq(oid(asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 5}), null()), octet(make([]byte, 16))), octet([]byte{1}), integer(1))
	hugeIter := seq(seq(seq(oid(asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}), null()), octet(make([]byte, 20))), octet([]byte{1}), integer(1<<30))
	content := seq(oid(oidData), explicit0(octet(good)))
	for _, v := range []struct {
		name, want string
		data       []byte
		unsup      bool
	}{
		{"empty", "malformed PFX", nil, false},
		{"garbage", "malformed PFX", []byte("-----BEGIN CERTIFICATE-----"), false},
		{"trailing data", "trailing data", append(pfxOf(good, pw), 0), false},
		{"version 2", "PFX version 2", seq(integer(2), content), true},
		{"signedData", "public-key integrity", seq(integer(3), seq(oid(oidSignedData), explicit0(seq()))), true},
		{"envelopedData", "public-key privacy", pfxOf(seq(seq(oid(oidEnvelopedData), explicit0(seq()))), nil), true},
		{"md5 mac", "MAC digest algorithm md5", seq(integer(3), content, md5MAC), true},
		{"iteration count", "exceeds the limit", seq(integer(3), content, hugeIter), false},
		{"nesting", "too deep", pfxOf(seq(dataSafe(deep)), nil), false},
		{"bad certificate", "x509", pfxOf(seq(dataSafe(certBagOf([]byte{0x30, 0x00}))), nil), false},
	} {
		_, err := DecodeBags(v.data, "pw")
		if err == nil || !strings.Contains(err.Error(), v.want) {
			t.Errorf("%s: err = %v, want it to mention %q", v.name, err, v.want)
			continue
		}
		var u *UnsupportedError
		if errors.As(err, &u) != v.unsup {
			t.Errorf("%s: UnsupportedError %v, want %v (%v)", v.name, !v.unsup, v.unsup, err)
		}
		if errors.Is(err, ErrIncorrectPassword) || errors.Is(err, ErrDecryption) {
			t.Errorf("%s: a malformed file reads as a wrong password: %v", v.name, err)
		}
	}
}
