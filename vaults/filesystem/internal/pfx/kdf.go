package pfx

import (
	"hash"
	"unicode/utf16"
	"unicode/utf8"
)

// Purposes of the PKCS#12 key derivation (RFC 7292 appendix B.3): the ID
// byte that diversifies one password and salt into several keys.
const (
	idKey = 1 // encryption key
	idIV  = 2 // initialization vector
	idMAC = 3 // integrity (MAC) key
)

// deriveKey is the PKCS#12 general method of RFC 7292 appendix B.2: n
// bytes of key material for the purpose id from password (already in the
// appendix B.1 form, see bmpPassword), salt and iterations, with the hash
// function newHash (whose Size is u and BlockSize is v in the RFC).
func deriveKey(newHash func() hash.Hash, password, salt []byte, iterations, id, n int) []byte {
	h := newHash()
	u, v := h.Size(), h.BlockSize()

	// D: v copies of id.
	d := make([]byte, v)
	for i := range d {
		d[i] = byte(id)
	}
	// I = S || P, each the input repeated to a multiple of v bytes (empty
	// input stays empty).
	fill := func(in []byte) []byte {
		if len(in) == 0 {
			return nil
		}
		out := make([]byte, v*((len(in)+v-1)/v))
		for i := range out {
			out[i] = in[i%len(in)]
		}
		return out
	}
	s, p := fill(salt), fill(password)
	in := make([]byte, 0, len(s)+len(p))
	in = append(append(in, s...), p...)

	out := make([]byte, 0, n+u)
	b := make([]byte, v)
	for {
		// A_i = H^r(D || I).
		h.Reset()
		h.Write(d)
		h.Write(in)
		a := h.Sum(nil)
		for r := 1; r < iterations; r++ {
			h.Reset()
			h.Write(a)
			a = h.Sum(a[:0])
		}
		out = append(out, a...)
		if len(out) >= n {
			return out[:n]
		}
		// B = A_i repeated to v bytes; every v-byte block I_j of I becomes
		// (I_j + B + 1) mod 2^(8v).
		for i := range b {
			b[i] = a[i%u]
		}
		for j := 0; j < len(in); j += v {
			block := in[j : j+v]
			carry := uint(1)
			for k := v - 1; k >= 0; k-- {
				sum := uint(block[k]) + uint(b[k]) + carry
				block[k] = byte(sum)
				carry = sum >> 8
			}
		}
	}
}

// bmpPassword is the password form of RFC 7292 appendix B.1 that the
// PKCS#12 key derivation takes: the password as a BMPString (big-endian
// UTF-16, characters outside the Basic Multilingual Plane as surrogate
// pairs, as OpenSSL and Java produce) followed by two zero bytes. The empty
// password is therefore the two zero bytes; the absent password (see
// passwords) is the empty byte string.
func bmpPassword(password string) []byte {
	units := utf16.Encode([]rune(password))
	out := make([]byte, 0, 2*len(units)+2)
	for _, u := range units {
		out = append(out, byte(u>>8), byte(u))
	}
	return append(out, 0, 0)
}

// latin1BMPPassword is the BMPString that OpenSSL before 1.1.0 made of a
// non-ASCII password: every byte of its UTF-8 encoding widened to one
// 16-bit character. `openssl pkcs12` still tries it when the correct form
// fails, to read files those versions wrote.
func latin1BMPPassword(password string) []byte {
	out := make([]byte, 0, 2*len(password)+2)
	for i := 0; i < len(password); i++ {
		out = append(out, 0, password[i])
	}
	return append(out, 0, 0)
}

// passwords is one password in the forms the PKCS#12 algorithms take.
type passwords struct {
	// utf8 feeds PBES2, PBES1 and PBMAC1 (PBKDF2 and PBKDF1 take the
	// password's octets; OpenSSL and Java use UTF-8).
	utf8 []byte
	// bmp lists the candidate appendix B.1 forms for the PKCS#12 KDF (MAC
	// and PKCS#12 PBE), most likely first. Once the MAC or a decryption has
	// confirmed one, it is the only one left.
	bmp [][]byte
	// verified is set once the MAC has verified the password: decryption
	// failures after that are not the password's fault.
	verified bool
}

// newPasswords returns the forms of password. For the empty password it
// offers, like OpenSSL's PKCS12_parse, both the absent password (no bytes:
// what OpenSSL's API uses for a NULL password) and the empty BMPString (two
// zero bytes: what `openssl pkcs12 -export -passout pass:` writes). For a
// non-ASCII password it adds the pre-1.1.0 OpenSSL form after the correct
// one.
func newPasswords(password string) *passwords {
	p := &passwords{utf8: []byte(password)}
	switch {
	case password == "":
		p.bmp = [][]byte{{}, {0, 0}}
	case !isASCII(password) && utf8.ValidString(password):
		p.bmp = [][]byte{bmpPassword(password), latin1BMPPassword(password)}
	default:
		p.bmp = [][]byte{bmpPassword(password)}
	}
	return p
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
