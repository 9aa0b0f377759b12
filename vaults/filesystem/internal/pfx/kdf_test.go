package pfx

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"strings"
	"testing"
)

// TestDeriveKeyVectors checks the appendix B.2 key derivation against
// OpenSSL's independent implementation. Each expected value was produced
// with
//
//	openssl kdf -keylen N -kdfopt digest:D -kdfopt hexpass:P \
//	    -kdfopt hexsalt:S -kdfopt iter:R -kdfopt id:ID PKCS12KDF
//
// where P is the appendix B.1 form (bmpPassword, or empty for the absent
// password). They cover the three purposes, outputs longer than one hash
// (so the I_j update runs), passwords longer than a hash block, salts that
// are not a multiple of it, the empty salt, non-BMP characters, and SHA-512
// with its 128-byte block.
func TestDeriveKeyVectors(t *testing.T) {
	long := strings.Repeat("correct horse battery staple ", 4)
	for _, v := range []struct {
		name     string
		hash     func() hash.Hash
		password []byte
		salt     string
		iter, id int
		want     string
	}{
		{"key", sha1.New, bmpPassword("smeg"), "0a58cf64530d823f", 1, idKey,
			"8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3"},
		{"iv", sha1.New, bmpPassword("smeg"), "0a58cf64530d823f", 1, idIV,
			"79993dfe048d3b76"},
		{"mac", sha1.New, bmpPassword("queeg"), "3d83c0e4546ac140", 1000, idMAC,
			"17b9e78ea534fc2b6a35512d03799d9ea3c461c0"},
		{"long password, odd salt, 3 blocks", sha1.New, bmpPassword(long), "00112233445566778899aabbcc", 7, idKey,
			"e43ced26028c96a6d342841dff39251334942b23a2655318522b47fac700e47e7267566508dcbd8b3fc0d651d96f2761d7ccffc4758740ae8b8ca49cb3f19c1c"},
		{"sha-256, non-bmp password", sha256.New, bmpPassword("pässwörd🔑"), "0102030405060708090a0b0c0d0e0f10", 2048, idMAC,
			"14acbbb3b2894d17e25d0ad407c66526a84c43abd082e241aec1448ab9f15816"},
		{"sha-512, 4 blocks", sha512.New, bmpPassword("x"), "deadbeef", 3, idKey,
			"e705c9e4e3001029cc2a6cd9fd018a67f6f20d702919979a4fca9736bc1f72825b9e98a7ccbbc174e56065265de829d08abb179b9b1e76fc1d062a5e8204c161920a492b31dcca6bb0e3ac35e0b47d4e80435c0ad3d2f7a26fc55f6ef343ac4d0a1bb6fa67fd628ac2728072360069dc8f866621fc4cbc092ca7ccf85306fe34d1f937f714078e55e78232a4671c1646a225b2f9b8f548297824a6ebf804f604cb35c96b5747720c777e3459f37a22dabdf76032a104574ab6741a2543eba5882cbbd7f76abf8019"},
		{"empty password", sha1.New, []byte{0, 0}, "0a58cf64530d823f", 1, idKey,
			"46dcc1d4aea61e4498f3ea3e6507a7e2572a837acd212182"},
		{"absent password", sha1.New, nil, "0a58cf64530d823f", 1, idKey,
			"9985036e1a31d2812085d6cef9db2e03dcbb6b9cd0100fb5"},
		{"empty salt", sha1.New, bmpPassword("smeg"), "", 2, idKey,
			"22bbca9d794fa3a1260e8e846d49533f"},
	} {
		want := unhex(t, v.want)
		got := deriveKey(v.hash, v.password, unhex(t, v.salt), v.iter, v.id, len(want))
		if !bytes.Equal(got, want) {
			t.Errorf("%s: got %x, want %x", v.name, got, want)
		}
	}
}

func TestBMPPassword(t *testing.T) {
	for _, v := range []struct{ in, want string }{
		{"", "0000"},
		{"smeg", "0073006d006500670000"},
		// iconv -f UTF-8 -t UTF-16BE, plus the terminator: the key is a
		// surrogate pair.
		{"pässwörd🔑", "007000e400730073007700f600720064d83ddd110000"},
	} {
		if got := hex.EncodeToString(bmpPassword(v.in)); got != v.want {
			t.Errorf("bmpPassword(%q) = %s, want %s", v.in, got, v.want)
		}
	}
	if got := hex.EncodeToString(latin1BMPPassword("ä")); got != "00c300a40000" {
		t.Errorf("latin1BMPPassword(ä) = %s", got)
	}
}

func TestNewPasswords(t *testing.T) {
	p := newPasswords("")
	if len(p.bmp) != 2 || len(p.bmp[0]) != 0 || !bytes.Equal(p.bmp[1], []byte{0, 0}) {
		t.Errorf("empty password: bmp forms %x, want absent then 0000", p.bmp)
	}
	if p := newPasswords("secret"); len(p.bmp) != 1 || string(p.utf8) != "secret" {
		t.Errorf("ascii password: %d bmp forms, utf8 %q", len(p.bmp), p.utf8)
	}
	if p := newPasswords("grüezi"); len(p.bmp) != 2 {
		t.Errorf("non-ascii password: %d bmp forms, want 2", len(p.bmp))
	}
}
