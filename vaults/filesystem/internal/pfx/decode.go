package pfx

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
)

// Bag is one decoded safe bag of a PKCS#12 file together with the bag
// attributes that name it. Exactly one of Certificate and PrivateKey is set.
type Bag struct {
	// FriendlyName is the PKCS#9 friendlyName attribute (the alias that
	// keytool -alias and openssl pkcs12 -name set), or "" when absent.
	FriendlyName string
	// LocalKeyID is the PKCS#9 localKeyId attribute that pairs a key bag
	// with its certificate bag, or nil when absent.
	LocalKeyID []byte
	// Trusted reports Java's trusted-certificate attribute
	// (2.16.840.1.113894.746875.1.1), set by keytool -importcert.
	Trusted bool
	// Certificate is set for certificate bags.
	Certificate *x509.Certificate
	// PrivateKey is set for key bags and PKCS#8 shrouded key bags.
	PrivateKey crypto.PrivateKey
}

// pfxPDU is PFX (RFC 7292 section 4). MacData is kept raw: its presence
// matters, and MacData.iterations has a default that a zero value hides.
type pfxPDU struct {
	Version  int
	AuthSafe contentInfo
	MacData  asn1.RawValue `asn1:"optional"`
}

// contentInfo is ContentInfo (RFC 2315 section 7).
type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
}

// encryptedData is EncryptedData (RFC 2315 section 13); unprotectedAttrs,
// which PKCS#12 does not use, are ignored.
type encryptedData struct {
	Version              int
	EncryptedContentInfo encryptedContentInfo
}

// encryptedContentInfo is EncryptedContentInfo (RFC 2315 section 10.1).
type encryptedContentInfo struct {
	ContentType                asn1.ObjectIdentifier
	ContentEncryptionAlgorithm pkix.AlgorithmIdentifier
	EncryptedContent           asn1.RawValue `asn1:"tag:0,optional"`
}

// safeBag is SafeBag (RFC 7292 section 4.2).
type safeBag struct {
	ID         asn1.ObjectIdentifier
	Value      asn1.RawValue     `asn1:"tag:0,explicit"`
	Attributes []pkcs12Attribute `asn1:"set,optional"`
}

// pkcs12Attribute is PKCS12Attribute (RFC 7292 section 4.2).
type pkcs12Attribute struct {
	ID     asn1.ObjectIdentifier
	Values asn1.RawValue `asn1:"set"`
}

// certBag is CertBag (RFC 7292 section 4.2.3).
type certBag struct {
	ID    asn1.ObjectIdentifier
	Value asn1.RawValue `asn1:"tag:0,explicit"`
}

// encryptedPrivateKeyInfo is EncryptedPrivateKeyInfo (RFC 5958 section 3).
type encryptedPrivateKeyInfo struct {
	Algorithm     pkix.AlgorithmIdentifier
	EncryptedData []byte
}

// privateKeyInfo is the start of PrivateKeyInfo / OneAsymmetricKey (RFC
// 5208, RFC 5958); it only tells a decrypted key from noise.
type privateKeyInfo struct {
	Version    int
	Algorithm  pkix.AlgorithmIdentifier
	PrivateKey []byte
}

// DecodeBags verifies the integrity MAC of pfxData with password, decrypts
// every SafeContents of the authenticated safe and returns its certificate
// and key bags in file order, each with its friendlyName and localKeyId.
// Shrouded keys are decrypted with the same password. Bags of other types
// (CRLs, secrets, unknown certificate types) are skipped. A wrong password
// yields an error that matches ErrIncorrectPassword (the MAC does not
// verify) or ErrDecryption (no MAC, or a key encrypted under another
// password) with errors.Is.
//
// The empty password stands for both the absent password and the empty
// one, as in OpenSSL; a file without a MAC is read without integrity check,
// as OpenSSL and Java do.
func DecodeBags(pfxData []byte, password string) ([]Bag, error) {
	der, err := toDER(pfxData)
	if err != nil {
		return nil, malformed("PFX", err)
	}
	var pfx pfxPDU
	if err := unmarshalExact(der, &pfx); err != nil {
		return nil, malformed("PFX", err)
	}
	if pfx.Version != 3 {
		return nil, unsupported("PFX version %d (want 3)", pfx.Version)
	}
	switch ct := pfx.AuthSafe.ContentType; {
	case ct.Equal(oidSignedData):
		return nil, unsupported("public-key integrity mode (signedData authenticated safe)")
	case !ct.Equal(oidData):
		return nil, unsupported("authenticated safe content type %s", ct)
	}
	authSafe, err := explicitOctets(pfx.AuthSafe.Content)
	if err != nil {
		return nil, malformed("authenticated safe", err)
	}
	p := newPasswords(password)
	if len(pfx.MacData.FullBytes) > 0 {
		if err := p.verifyMAC(pfx.MacData.FullBytes, authSafe); err != nil {
			return nil, err
		}
	}

	if der, err = toDER(authSafe); err != nil {
		return nil, malformed("authenticated safe", err)
	}
	var safes []contentInfo
	if err := unmarshalExact(der, &safes); err != nil {
		return nil, malformed("authenticated safe", err)
	}
	d := &decoder{pw: p}
	var bags []Bag
	for i, ci := range safes {
		got, err := d.contentInfo(ci)
		if err != nil {
			return nil, fmt.Errorf("safe contents %d: %w", i+1, err)
		}
		bags = append(bags, got...)
	}
	return bags, nil
}

// DecryptPKCS8 decrypts a DER EncryptedPrivateKeyInfo (a PEM "ENCRYPTED
// PRIVATE KEY") with password, using PBES2, PBES1 or the PKCS#12 PBE
// schemes, and parses the PKCS#8 key inside. A wrong password yields an
// error that matches ErrDecryption.
func DecryptPKCS8(der []byte, password string) (crypto.PrivateKey, error) {
	d := &decoder{pw: newPasswords(password)}
	norm, err := toDER(der)
	if err != nil {
		return nil, malformed("encrypted private key", err)
	}
	return d.shroudedKey(norm)
}

// decoder holds the state of one decoding: the password, narrowed as the
// MAC and decryptions confirm its form.
type decoder struct {
	pw *passwords
}

// contentInfo decodes one ContentInfo of the authenticated safe.
func (d *decoder) contentInfo(ci contentInfo) ([]Bag, error) {
	switch ct := ci.ContentType; {
	case ct.Equal(oidData):
		data, err := explicitOctets(ci.Content)
		if err != nil {
			return nil, malformed("data", err)
		}
		return d.safeContents(data, 0)
	case ct.Equal(oidEncryptedData):
		var ed encryptedData
		content, err := explicit(ci.Content)
		if err == nil {
			err = unmarshalExact(content.FullBytes, &ed)
		}
		if err != nil {
			return nil, malformed("encrypted data", err)
		}
		eci := ed.EncryptedContentInfo
		if len(eci.EncryptedContent.FullBytes) == 0 {
			return nil, unsupported("encrypted data without content")
		}
		ciphertext, err := implicitOctets(eci.EncryptedContent)
		if err != nil {
			return nil, malformed("encrypted data", err)
		}
		var bags []Bag
		err = d.pw.decrypt(eci.ContentEncryptionAlgorithm, ciphertext, func(plain []byte) error {
			var err error
			bags, err = d.safeContents(plain, 0)
			return err
		})
		return bags, err
	case ct.Equal(oidEnvelopedData):
		return nil, unsupported("public-key privacy mode (envelopedData safe contents)")
	default:
		return nil, unsupported("safe contents type %s", ct)
	}
}

// safeContents decodes SafeContents (RFC 7292 section 4.2) at nesting
// depth. Once the structure has parsed, errors of its bags are marked
// settled: the plaintext was right, whatever went wrong after.
func (d *decoder) safeContents(data []byte, depth int) ([]Bag, error) {
	if depth > maxDepth {
		return nil, errors.New("safe contents nested too deep")
	}
	der, err := toDER(data)
	if err != nil {
		return nil, malformed("safe contents", err)
	}
	var raw []safeBag
	if err := unmarshalExact(der, &raw); err != nil {
		return nil, malformed("safe contents", err)
	}
	var bags []Bag
	for i, sb := range raw {
		got, err := d.safeBag(sb, depth)
		if err != nil {
			return nil, settled{fmt.Errorf("bag %d: %w", i+1, err)}
		}
		bags = append(bags, got...)
	}
	return bags, nil
}

// safeBag decodes one bag: a key or certificate with its attributes, the
// bags of a nested SafeContents, or nothing for the types skipped.
func (d *decoder) safeBag(sb safeBag, depth int) ([]Bag, error) {
	value, err := explicit(sb.Value)
	if err != nil {
		return nil, malformed("safe bag", err)
	}
	var b Bag
	switch {
	case sb.ID.Equal(oidKeyBag):
		b.PrivateKey, err = parseKey(value.FullBytes)
	case sb.ID.Equal(oidShroudedKeyBag):
		b.PrivateKey, err = d.shroudedKey(value.FullBytes)
	case sb.ID.Equal(oidCertBag):
		b.Certificate, err = parseCertBag(value.FullBytes)
		if err == nil && b.Certificate == nil {
			return nil, nil // not an X.509 certificate
		}
	case sb.ID.Equal(oidSafeContentsBag):
		return d.safeContents(value.FullBytes, depth+1)
	default: // crlBag, secretBag and unknown bags are not keys or certificates
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := b.setAttributes(sb.Attributes); err != nil {
		return nil, err
	}
	return []Bag{b}, nil
}

// shroudedKey decrypts and parses an EncryptedPrivateKeyInfo.
func (d *decoder) shroudedKey(der []byte) (crypto.PrivateKey, error) {
	var epki encryptedPrivateKeyInfo
	if err := unmarshalExact(der, &epki); err != nil {
		return nil, malformed("encrypted private key", err)
	}
	var key crypto.PrivateKey
	err := d.pw.decrypt(epki.Algorithm, epki.EncryptedData, func(plain []byte) error {
		norm, err := toDER(plain)
		if err != nil {
			return malformed("private key", err)
		}
		var pki privateKeyInfo
		if err := unmarshalExact(norm, &pki); err != nil {
			return malformed("private key", err)
		}
		// The plaintext is a PrivateKeyInfo: the password was right.
		if key, err = x509.ParsePKCS8PrivateKey(norm); err != nil {
			return settled{err}
		}
		return nil
	})
	return key, err
}

// parseKey parses the PrivateKeyInfo of a keyBag.
func parseKey(der []byte) (crypto.PrivateKey, error) {
	norm, err := toDER(der)
	if err != nil {
		return nil, malformed("private key", err)
	}
	return x509.ParsePKCS8PrivateKey(norm)
}

// parseCertBag parses a CertBag; it returns nil for certificate types
// other than X.509 (SDSI).
func parseCertBag(der []byte) (*x509.Certificate, error) {
	var cb certBag
	if err := unmarshalExact(der, &cb); err != nil {
		return nil, malformed("certificate bag", err)
	}
	if !cb.ID.Equal(oidX509Certificate) {
		return nil, nil
	}
	raw, err := explicitOctets(cb.Value)
	if err != nil {
		return nil, malformed("certificate bag", err)
	}
	return x509.ParseCertificate(raw)
}

// setAttributes reads the bag attributes that name and pair bags.
func (b *Bag) setAttributes(attrs []pkcs12Attribute) error {
	for _, a := range attrs {
		switch {
		case a.ID.Equal(oidFriendlyName):
			v, err := firstValue(a)
			if err != nil {
				return err
			}
			if b.FriendlyName, err = decodeString(v); err != nil {
				return malformed("friendlyName", err)
			}
		case a.ID.Equal(oidLocalKeyID):
			v, err := firstValue(a)
			if err != nil {
				return err
			}
			if b.LocalKeyID, err = octets(v); err != nil {
				return malformed("localKeyId", err)
			}
		case a.ID.Equal(oidJavaTrustedKeyUses):
			b.Trusted = true
		}
	}
	return nil
}

// firstValue returns the first value of an attribute's SET OF values.
func firstValue(a pkcs12Attribute) (asn1.RawValue, error) {
	var v asn1.RawValue
	if _, err := asn1.Unmarshal(a.Values.Bytes, &v); err != nil {
		return v, malformed("attribute "+a.ID.String(), err)
	}
	return v, nil
}

// explicit returns the value inside an [0] EXPLICIT tag. (encoding/asn1
// hands a RawValue field the tagged value itself, tag included.)
func explicit(v asn1.RawValue) (asn1.RawValue, error) {
	var inner asn1.RawValue
	if v.Class != asn1.ClassContextSpecific || v.Tag != 0 || !v.IsCompound {
		return inner, errors.New("want an [0] explicitly tagged value")
	}
	return inner, unmarshalExact(v.Bytes, &inner)
}

// explicitOctets returns the content of an [0] EXPLICIT OCTET STRING.
func explicitOctets(v asn1.RawValue) ([]byte, error) {
	inner, err := explicit(v)
	if err != nil {
		return nil, err
	}
	return octets(inner)
}

// octets returns the content of an OCTET STRING (after toDER, never
// constructed).
func octets(v asn1.RawValue) ([]byte, error) {
	if v.Class != asn1.ClassUniversal || v.Tag != asn1.TagOctetString || v.IsCompound {
		return nil, errors.New("want an octet string")
	}
	return v.Bytes, nil
}

// implicitOctets returns the content of an [0] IMPLICIT OCTET STRING, which
// BER writers may split into segments (toDER cannot know to join them).
func implicitOctets(v asn1.RawValue) ([]byte, error) {
	if !v.IsCompound {
		return v.Bytes, nil
	}
	var out []byte
	for rest := v.Bytes; len(rest) > 0; {
		var seg asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &seg); err != nil {
			return nil, err
		}
		b, err := octets(seg)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

// unmarshalExact parses DER into v and refuses trailing data.
func unmarshalExact(der []byte, v any) error {
	rest, err := asn1.Unmarshal(der, v)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return errors.New("trailing data")
	}
	return nil
}

// settled wraps an error that arose after decrypted content parsed: the
// password was right, so decrypt passes the error on rather than trying
// another password form or blaming the password.
type settled struct{ err error }

func (s settled) Error() string { return s.err.Error() }
func (s settled) Unwrap() error { return s.err }
