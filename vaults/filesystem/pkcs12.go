package filesystem

import (
	"errors"
	"fmt"

	"github.com/sluicehq/sluice/vaults/filesystem/internal/pfx"
)

// loadPKCS12 decodes a PKCS#12 file: package pfx verifies the MAC
// and decrypts every bag; aliases come from the bags' friendlyName.
func loadPKCS12(data []byte, password, base string) ([]*entry, error) {
	bags, err := pfx.DecodeBags(data, password)
	if err != nil {
		if errors.Is(err, pfx.ErrIncorrectPassword) || errors.Is(err, pfx.ErrDecryption) {
			return nil, ErrWrongPassword
		}
		if looksLikePEM(data) {
			return nil, fmt.Errorf("not a pkcs12 file (it looks like PEM: use type %s): %w", TypePEM, err)
		}
		return nil, err
	}
	items := make([]item, 0, len(bags))
	for _, b := range bags {
		items = append(items, item{name: b.FriendlyName, localKeyID: b.LocalKeyID, trusted: b.Trusted, cert: b.Certificate, key: b.PrivateKey})
	}
	return assemble(items, base), nil
}
