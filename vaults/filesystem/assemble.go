package filesystem

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// maxChain bounds the certificate chains that are assembled from a store.
const maxChain = 10

// item is one certificate or private key read from a PKCS#12 bag or a PEM
// block, before items are grouped into entries.
type item struct {
	name       string // friendlyName, or ""
	localKeyID []byte // PKCS#12 localKeyId, or nil
	trusted    bool   // Java's trusted-certificate attribute
	cert       *x509.Certificate
	key        crypto.PrivateKey
}

// assemble groups items (in file order) into entries, with the rules that
// doc.go describes:
//   - every private key is a key entry; its leaf is the certificate with the
//     same localKeyId, else the first certificate with its public key
//     (preferring one with the key's name); its chain continues with the
//     issuers found among all certificates of the file;
//   - a key entry's alias is the key's name, else its leaf's name;
//   - a certificate that is in no key entry's chain, or that carries Java's
//     trusted-certificate attribute, is a certificate entry if it has a
//     name, or if it has none and the file holds no private key;
//   - an entry without a name takes base, then base-2, base-3, and so on.
func assemble(items []item, base string) []*entry {
	var certs []*x509.Certificate
	hasKeys := false
	for _, it := range items {
		if it.cert != nil {
			certs = append(certs, it.cert)
		}
		if it.key != nil {
			hasKeys = true
		}
	}

	type pending struct {
		e     *entry
		named bool
	}
	var list []pending
	inChain := make(map[*x509.Certificate]bool)
	isLeaf := make(map[*x509.Certificate]bool)
	for _, it := range items {
		if it.key == nil {
			continue
		}
		leaf := findLeaf(it, items)
		e := &entry{alias: it.name, key: it.key}
		if leaf != nil {
			isLeaf[leaf.cert] = true
			if e.alias == "" {
				e.alias = leaf.name
			}
			e.chain = buildChain(leaf.cert, certs)
			for _, c := range e.chain {
				inChain[c] = true
			}
		}
		list = append(list, pending{e, e.alias != ""})
	}
	var out []*entry
	// Certificate entries keep file order among themselves, after keys.
	for _, it := range items {
		if it.cert == nil || isLeaf[it.cert] || (inChain[it.cert] && !it.trusted) {
			continue
		}
		if it.name == "" && hasKeys {
			continue
		}
		list = append(list, pending{&entry{alias: it.name, chain: []*x509.Certificate{it.cert}}, it.name != ""})
	}

	taken := make(map[string]bool)
	for _, p := range list {
		if p.named {
			taken[foldAlias(p.e.alias)] = true
		}
	}
	n := 1
	for _, p := range list {
		if !p.named {
			alias := base
			for taken[foldAlias(alias)] {
				n++
				alias = fmt.Sprintf("%s-%d", base, n)
			}
			taken[foldAlias(alias)] = true
			p.e.alias = alias
		}
		out = append(out, p.e)
	}
	return out
}

// findLeaf returns the certificate item of key item k.
func findLeaf(k item, items []item) *item {
	var byKey, byName *item
	for i := range items {
		it := &items[i]
		if it.cert == nil || !publicKeyMatches(k.key, it.cert) {
			continue
		}
		if len(k.localKeyID) > 0 && bytes.Equal(k.localKeyID, it.localKeyID) {
			return it
		}
		if byName == nil && k.name != "" && strings.EqualFold(k.name, it.name) {
			byName = it
		}
		if byKey == nil {
			byKey = it
		}
	}
	if byName != nil {
		return byName
	}
	return byKey
}

// buildChain returns leaf followed by its issuers found in pool, nearest
// first, stopping at a self-issued certificate or when none is found.
func buildChain(leaf *x509.Certificate, pool []*x509.Certificate) []*x509.Certificate {
	chain := []*x509.Certificate{leaf}
	for cur := leaf; len(chain) < maxChain && !bytes.Equal(cur.RawIssuer, cur.RawSubject); {
		var next *x509.Certificate
		for _, c := range pool {
			if !containsCert(chain, c) && signedBy(cur, c) {
				next = c
				break
			}
		}
		if next == nil {
			break
		}
		chain = append(chain, next)
		cur = next
	}
	return chain
}

// signedBy reports whether c is signer itself or is issued and signed by
// signer. CA constraints are left to certificate verification.
func signedBy(c, signer *x509.Certificate) bool {
	if c.Equal(signer) {
		return true
	}
	return bytes.Equal(c.RawIssuer, signer.RawSubject) &&
		signer.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func containsCert(list []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range list {
		if x.Equal(c) {
			return true
		}
	}
	return false
}

// publicKeyMatches reports whether cert holds the public half of key.
func publicKeyMatches(key crypto.PrivateKey, cert *x509.Certificate) bool {
	signer, ok := key.(crypto.Signer)
	if !ok {
		return false
	}
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(cert.PublicKey)
}

// checkKeyChain verifies that a key entry's leaf holds the key's public key.
func checkKeyChain(alias string, key crypto.PrivateKey, chain []*x509.Certificate) error {
	if len(chain) == 0 {
		return nil
	}
	if !publicKeyMatches(key, chain[0]) {
		return fmt.Errorf("alias %q: %w", alias, errKeyMismatch)
	}
	return nil
}

var errKeyMismatch = errors.New("private key does not match its certificate")

// baseAlias is the alias of unnamed entries: the file's name without its
// extension, e.g. "localhost" for tls/localhost.pem.
func baseAlias(path string) string {
	name := filepath.Base(path)
	if ext := filepath.Ext(name); ext != name {
		name = strings.TrimSuffix(name, ext)
	}
	return name
}
