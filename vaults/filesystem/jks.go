package filesystem

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"strings"

	keystore "github.com/pavlo-v-chernykh/keystore-go/v4"
)

// loadJKS decodes a Java KeyStore with keystore-go. The store password
// checks the file's integrity and decrypts every private key.
func loadJKS(data []byte, password string) ([]*entry, error) {
	ks := keystore.New(keystore.WithCaseExactAliases(), keystore.WithOrderedAliases())
	pw := []byte(password)
	defer clear(pw)
	if err := ks.Load(bytes.NewReader(data), pw); err != nil {
		if isJKSDigestError(err) {
			return nil, ErrWrongPassword
		}
		return nil, fmt.Errorf("reading jks: %w", err)
	}
	var out []*entry
	for _, alias := range ks.Aliases() {
		switch {
		case ks.IsPrivateKeyEntry(alias):
			pke, err := ks.GetPrivateKeyEntry(alias, pw)
			if err != nil {
				if isJKSDigestError(err) {
					return nil, fmt.Errorf("alias %q: %w", alias, ErrWrongPassword)
				}
				return nil, fmt.Errorf("alias %q: %w", alias, err)
			}
			key, err := x509.ParsePKCS8PrivateKey(pke.PrivateKey)
			clear(pke.PrivateKey)
			if err != nil {
				return nil, fmt.Errorf("alias %q: parsing private key: %w", alias, err)
			}
			chain := make([]*x509.Certificate, 0, len(pke.CertificateChain))
			for _, c := range pke.CertificateChain {
				cert, err := parseJKSCertificate(c)
				if err != nil {
					return nil, fmt.Errorf("alias %q: %w", alias, err)
				}
				chain = append(chain, cert)
			}
			if err := checkKeyChain(alias, key, chain); err != nil {
				return nil, err
			}
			out = append(out, &entry{alias: alias, key: key, chain: chain})
		case ks.IsTrustedCertificateEntry(alias):
			tce, err := ks.GetTrustedCertificateEntry(alias)
			if err != nil {
				return nil, fmt.Errorf("alias %q: %w", alias, err)
			}
			cert, err := parseJKSCertificate(tce.Certificate)
			if err != nil {
				return nil, fmt.Errorf("alias %q: %w", alias, err)
			}
			out = append(out, &entry{alias: alias, chain: []*x509.Certificate{cert}})
		}
	}
	return out, nil
}

func parseJKSCertificate(c keystore.Certificate) (*x509.Certificate, error) {
	if c.Type != "X.509" && c.Type != "X509" {
		return nil, fmt.Errorf("unsupported certificate type %q", c.Type)
	}
	cert, err := x509.ParseCertificate(c.Content)
	if err != nil {
		return nil, fmt.Errorf("parsing certificate: %w", err)
	}
	return cert, nil
}

// isJKSDigestError reports keystore-go's integrity failure, which is what
// a wrong password produces; the library has no sentinel error for it.
func isJKSDigestError(err error) bool {
	return strings.HasSuffix(err.Error(), "got invalid digest")
}
