// This file is Sluice's addition to the vendored copy of go-pkcs12 (see
// VENDORED.md). It is not part of upstream go-pkcs12 and is licensed under
// the Apache License 2.0 like the rest of Sluice.

package pkcs12

import (
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
)

// oidSafeContentsBag is a bag whose value is a nested SafeContents
// (RFC 7292, section 4.2.6).
var oidSafeContentsBag = asn1.ObjectIdentifier([]int{1, 2, 840, 113549, 1, 12, 10, 1, 6})

// maxNesting bounds how deep nested SafeContents bags are followed.
const maxNesting = 8

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

// DecodeBags verifies the integrity MAC of pfxData with password, decrypts
// every SafeContents of the authenticated safe and returns its certificate
// and key bags in file order, each with its friendlyName and localKeyId.
// Shrouded keys are decrypted with the same password. Bags of other types
// (CRLs, secrets) are skipped. A wrong password yields an error that
// matches ErrIncorrectPassword or ErrDecryption with errors.Is.
func DecodeBags(pfxData []byte, password string) ([]Bag, error) {
	encodedPassword, err := bmpStringZeroTerminated(password)
	if err != nil {
		return nil, ErrIncorrectPassword
	}
	safeBags, encodedPassword, err := getSafeContents(pfxData, encodedPassword, 1, 1<<16)
	if err != nil {
		return nil, err
	}
	var out []Bag
	if err := appendBags(&out, safeBags, encodedPassword, 0); err != nil {
		return nil, err
	}
	return out, nil
}

func appendBags(out *[]Bag, safeBags []safeBag, password []byte, depth int) error {
	for i := range safeBags {
		bag := &safeBags[i]
		var b Bag
		switch {
		case bag.Id.Equal(oidCertBag):
			der, err := decodeCertBag(bag.Value.Bytes)
			if err != nil {
				return err
			}
			if b.Certificate, err = x509.ParseCertificate(der); err != nil {
				return fmt.Errorf("pkcs12: parsing certificate bag: %w", err)
			}
		case bag.Id.Equal(oidKeyBag):
			key, err := x509.ParsePKCS8PrivateKey(bag.Value.Bytes)
			if err != nil {
				return fmt.Errorf("pkcs12: parsing key bag: %w", err)
			}
			b.PrivateKey = key
		case bag.Id.Equal(oidPKCS8ShroundedKeyBag):
			key, err := decodePkcs8ShroudedKeyBag(bag.Value.Bytes, password)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrDecryption, err)
			}
			b.PrivateKey = key
		case bag.Id.Equal(oidSafeContentsBag):
			if depth >= maxNesting {
				return errors.New("pkcs12: safe contents nested too deeply")
			}
			var nested []safeBag
			if err := unmarshal(bag.Value.Bytes, &nested); err != nil {
				return fmt.Errorf("pkcs12: parsing nested safe contents: %w", err)
			}
			if err := appendBags(out, nested, password, depth+1); err != nil {
				return err
			}
			continue
		default:
			continue
		}
		if err := readAttributes(bag, &b); err != nil {
			return err
		}
		*out = append(*out, b)
	}
	return nil
}

func readAttributes(bag *safeBag, b *Bag) error {
	for _, attr := range bag.Attributes {
		switch {
		case attr.Id.Equal(oidFriendlyName):
			var v asn1.RawValue
			if _, err := asn1.Unmarshal(attr.Value.Bytes, &v); err != nil {
				return fmt.Errorf("pkcs12: parsing friendlyName: %w", err)
			}
			name, err := decodeBMPString(v.Bytes)
			if err != nil {
				return fmt.Errorf("pkcs12: parsing friendlyName: %w", err)
			}
			b.FriendlyName = name
		case attr.Id.Equal(oidLocalKeyID):
			var id []byte
			if _, err := asn1.Unmarshal(attr.Value.Bytes, &id); err != nil {
				return fmt.Errorf("pkcs12: parsing localKeyId: %w", err)
			}
			b.LocalKeyID = id
		case attr.Id.Equal(oidJavaTrustStore):
			b.Trusted = true
		}
	}
	return nil
}

// DecryptPKCS8 decrypts a DER EncryptedPrivateKeyInfo (a PEM "ENCRYPTED
// PRIVATE KEY") with password, using PBES2 or the PKCS#12 PBE schemes, and
// parses the PKCS#8 key inside.
func DecryptPKCS8(der []byte, password string) (crypto.PrivateKey, error) {
	encodedPassword, err := bmpStringZeroTerminated(password)
	if err != nil {
		return nil, ErrIncorrectPassword
	}
	key, err := decodePkcs8ShroudedKeyBag(der, encodedPassword)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDecryption, err)
	}
	return key, nil
}
