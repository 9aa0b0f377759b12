package pfx

import (
	"crypto"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/asn1"
	"testing"
	"unicode/utf16"
)

// A small PKCS#12 writer for tests: it builds what openssl cannot be asked
// for (nested bags, secret bags, Java's trusted attribute, BER encodings,
// a key under its own password, MACs with odd password forms), from the
// same specifications, with this package's KDF and RC2.

// der encodes one TLV with the given identifier octet.
func der(id byte, content ...[]byte) []byte {
	var body []byte
	for _, c := range content {
		body = append(body, c...)
	}
	return append(appendLength([]byte{id}, len(body)), body...)
}

func seq(elems ...[]byte) []byte         { return der(0x30, elems...) }
func set(elems ...[]byte) []byte         { return der(0x31, elems...) }
func octet(b []byte) []byte              { return der(0x04, b) }
func explicit0(v []byte) []byte          { return der(0xa0, v) }
func utf8String(s string) []byte         { return der(0x0c, []byte(s)) }
func null() []byte                       { return []byte{0x05, 0x00} }
func integer(n int) []byte               { return mustMarshal(n) }
func oid(o asn1.ObjectIdentifier) []byte { return mustMarshal(o) }

func bmpString(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return der(0x1e, b)
}

func mustMarshal(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func attribute(id asn1.ObjectIdentifier, values ...[]byte) []byte {
	return seq(oid(id), set(values...))
}

func friendlyName(name string) []byte { return attribute(oidFriendlyName, bmpString(name)) }
func localKeyID(id []byte) []byte     { return attribute(oidLocalKeyID, octet(id)) }

// safeBagOf is a SafeBag; attrs are attribute encodings.
func safeBagOf(id asn1.ObjectIdentifier, value []byte, attrs ...[]byte) []byte {
	if len(attrs) == 0 {
		return seq(oid(id), explicit0(value))
	}
	return seq(oid(id), explicit0(value), set(attrs...))
}

func certBagOf(certDER []byte, attrs ...[]byte) []byte {
	return safeBagOf(oidCertBag, seq(oid(oidX509Certificate), explicit0(octet(certDER))), attrs...)
}

func keyBagOf(t testing.TB, key crypto.PrivateKey, attrs ...[]byte) []byte {
	return safeBagOf(oidKeyBag, pkcs8(t, key), attrs...)
}

// pbeAlg is an AlgorithmIdentifier of a PKCS#12 PBE scheme.
func pbeAlg(id asn1.ObjectIdentifier, salt []byte, iter int) []byte {
	return seq(oid(id), seq(octet(salt), integer(iter)))
}

// encrypt3DES encrypts plain with pbeWithSHAAnd3-KeyTripleDES-CBC under the
// BMP password form pw and returns the AlgorithmIdentifier and ciphertext.
func encrypt3DES(pw, plain []byte) (alg, ciphertext []byte) {
	salt := randomBytes(8)
	key := deriveKey(sha1.New, pw, salt, 1, idKey, 24)
	iv := deriveKey(sha1.New, pw, salt, 1, idIV, 8)
	block, _ := des.NewTripleDESCipher(key)
	return pbeAlg(oidPBEWithSHAAnd3KeyTripleDESCBC, salt, 1), cbcEncrypt(block, iv, plain)
}

// encryptRC2 encrypts plain with pbeWithSHAAnd40BitRC2-CBC.
func encryptRC2(pw, plain []byte) (alg, ciphertext []byte) {
	salt := randomBytes(8)
	key := deriveKey(sha1.New, pw, salt, 1, idKey, 5)
	iv := deriveKey(sha1.New, pw, salt, 1, idIV, 8)
	block, _ := newRC2(key, 40)
	return pbeAlg(oidPBEWithSHAAnd40BitRC2CBC, salt, 1), cbcEncrypt(block, iv, plain)
}

func cbcEncrypt(block cipher.Block, iv, plain []byte) []byte {
	n := block.BlockSize() - len(plain)%block.BlockSize()
	padded := append(append([]byte{}, plain...), make([]byte, n)...)
	for i := len(plain); i < len(padded); i++ {
		padded[i] = byte(n)
	}
	out := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, padded)
	return out
}

func shroudedKeyBagOf(t testing.TB, pw []byte, key crypto.PrivateKey, attrs ...[]byte) []byte {
	alg, ct := encrypt3DES(pw, pkcs8(t, key))
	return safeBagOf(oidShroudedKeyBag, seq(alg, octet(ct)), attrs...)
}

// dataSafe is a ContentInfo of type data holding SafeContents of bags.
func dataSafe(bags ...[]byte) []byte {
	return seq(oid(oidData), explicit0(octet(seq(bags...))))
}

// encryptedSafe is a ContentInfo of type encryptedData holding SafeContents
// of bags encrypted with RC2-40 under pw.
func encryptedSafe(pw []byte, bags ...[]byte) []byte {
	alg, ct := encryptRC2(pw, seq(bags...))
	eci := seq(oid(oidData), alg, der(0x80, ct))
	return seq(oid(oidEncryptedData), explicit0(seq(integer(0), eci)))
}

// pfxOf is a PFX of the authenticated safe (already encoded), with an
// HMAC-SHA-1 MAC under the BMP password form macPW, or none when macPW is
// nil.
func pfxOf(authSafe []byte, macPW []byte) []byte {
	content := seq(oid(oidData), explicit0(octet(authSafe)))
	if macPW == nil {
		return seq(integer(3), content)
	}
	return seq(integer(3), content, macDataOf(authSafe, macPW))
}

func macDataOf(authSafe, macPW []byte) []byte {
	salt := randomBytes(8)
	key := deriveKey(sha1.New, macPW, salt, 1, idMAC, 20)
	m := hmac.New(sha1.New, key)
	m.Write(authSafe)
	sha1OID := asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	return seq(seq(seq(oid(sha1OID), null()), octet(m.Sum(nil))), octet(salt), integer(1))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// ber re-encodes the DER value v in BER as Windows-style writers do: every
// constructed value with an indefinite length, every octet string longer
// than 16 bytes split into constructed segments of 16. Contents of octet
// strings are not re-encoded, so the octets a MAC covers stay the same.
func ber(t testing.TB, v []byte) []byte {
	t.Helper()
	val, rest, err := parseBER(v, 0)
	if err != nil || len(rest) != 0 {
		t.Fatalf("ber: %v", err)
	}
	return appendBER(nil, &val)
}

func appendBER(out []byte, v *berValue) []byte {
	id := v.class | byte(v.tag)
	if v.constructed {
		out = append(out, id|0x20, 0x80)
		for i := range v.children {
			out = appendBER(out, &v.children[i])
		}
		return append(out, 0, 0)
	}
	if v.class == 0 && v.tag == tagOctetString && len(v.content) > 16 {
		out = append(out, 0x24, 0x80)
		for c := v.content; len(c) > 0; {
			n := min(16, len(c))
			out = append(out, 0x04, byte(n))
			out = append(out, c[:n]...)
			c = c[n:]
		}
		return append(out, 0, 0)
	}
	// A non-minimal long-form length, which DER forbids and BER allows.
	out = append(out, id, 0x84, byte(len(v.content)>>24), byte(len(v.content)>>16), byte(len(v.content)>>8), byte(len(v.content)))
	return append(out, v.content...)
}
