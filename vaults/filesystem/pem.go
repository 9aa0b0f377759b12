package filesystem

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/vaults/filesystem/internal/pfx"
)

var pemBegin = []byte("-----BEGIN ")

func looksLikePEM(data []byte) bool {
	return bytes.Contains(data, pemBegin)
}

// loadPEM decodes a PEM file. A block's name is the last "friendlyName:"
// line in the text before it (what `openssl pkcs12 -nodes` prints as Bag
// Attributes); unnamed entries take the file's base name (see assemble).
func loadPEM(data []byte, password, base string) ([]*entry, error) {
	var items []item
	rest := data
	for n := 1; ; n++ {
		start := bytes.Index(rest, pemBegin)
		if start < 0 {
			break
		}
		preamble := rest[:start]
		block, after := pem.Decode(rest[start:])
		if block == nil {
			return nil, fmt.Errorf("pem block %d: malformed", n)
		}
		// pem.Decode skips a malformed block and returns the next one;
		// reject that rather than misattribute names.
		if bytes.Count(rest[start:len(rest)-len(after)], pemBegin) != 1 {
			return nil, fmt.Errorf("pem block %d: malformed", n)
		}
		rest = after
		it := item{name: friendlyName(preamble)}
		var err error
		switch block.Type {
		case "CERTIFICATE":
			it.cert, err = x509.ParseCertificate(block.Bytes)
		case "TRUSTED CERTIFICATE":
			// OpenSSL's trusted form: the certificate followed by trust settings.
			var raw asn1.RawValue
			if _, err = asn1.Unmarshal(block.Bytes, &raw); err == nil {
				it.cert, err = x509.ParseCertificate(raw.FullBytes)
			}
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
			it.key, err = parsePEMKey(block, password)
		default:
			continue // parameters, CRLs, requests, public keys: not entries
		}
		if err != nil {
			if errors.Is(err, ErrWrongPassword) {
				return nil, err
			}
			return nil, fmt.Errorf("pem block %d (%s): %w", n, block.Type, err)
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil, errors.New("no certificate or private key in pem file")
	}
	return assemble(items, base), nil
}

func parsePEMKey(block *pem.Block, password string) (crypto.PrivateKey, error) {
	if _, ok := block.Headers["DEK-Info"]; ok {
		return nil, errors.New("legacy pem encryption (Proc-Type/DEK-Info) is not supported: convert the key to encrypted pkcs#8 (openssl pkcs8 -topk8)")
	}
	switch block.Type {
	case "PRIVATE KEY":
		return x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(block.Bytes)
	default: // ENCRYPTED PRIVATE KEY
		if password == "" {
			return nil, errors.New("encrypted private key needs the store password")
		}
		key, err := pfx.DecryptPKCS8(block.Bytes, password)
		if errors.Is(err, pfx.ErrDecryption) || errors.Is(err, pfx.ErrIncorrectPassword) {
			return nil, ErrWrongPassword
		}
		return key, err
	}
}

// friendlyName returns the value of the last "friendlyName:" line of text.
func friendlyName(text []byte) string {
	name := ""
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if v, ok := strings.CutPrefix(line, "friendlyName:"); ok {
			name = strings.TrimSpace(v)
		}
	}
	return name
}
