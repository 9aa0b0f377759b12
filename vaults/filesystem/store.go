package filesystem

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// Errors that store look-ups wrap; test for them with errors.Is.
var (
	// ErrWrongPassword means the store's integrity check or a key's
	// decryption failed with the configured password.
	ErrWrongPassword = errors.New("wrong password")
	// ErrNotFound means no entry has the requested alias.
	ErrNotFound = errors.New("not found")
	// ErrNoPrivateKey means the alias names a certificate-only entry
	// where a private key was asked for, or a key without a certificate.
	ErrNoPrivateKey = errors.New("has no private key with a certificate")
)

// jksMagic starts every Java KeyStore file.
var jksMagic = []byte{0xfe, 0xed, 0xfe, 0xed}

// Store is one loaded key store: entries by alias, each either a key entry
// (a private key with its certificate chain) or a certificate entry. A Store
// is immutable and safe for concurrent use.
type Store struct {
	name    string // the store as configured, for error messages
	typ     string
	entries []*entry
	byAlias map[string]*entry // by foldAlias(alias)
}

// entry is one alias of a store.
type entry struct {
	alias string
	key   crypto.PrivateKey   // nil for certificate entries
	chain []*x509.Certificate // leaf first; one certificate for certificate entries
}

// LoadStore reads the key store at path (already resolved against the
// folder of zilla.yaml) of type typ (TypePKCS12 when empty, TypeJKS or
// TypePEM) with password, which also decrypts the private keys. When
// entries is not empty the store keeps only those aliases, in that order,
// and each must exist. Errors name the store by path and never contain the
// password.
func LoadStore(path, typ, password string, entries []string) (*Store, error) {
	return loadStore(path, path, typ, password, entries)
}

func loadStore(name, path, typ, password string, entries []string) (*Store, error) {
	typ = strings.ToLower(typ)
	if typ == "" {
		typ = TypePKCS12
	}
	s := &Store{name: name, typ: typ}
	switch typ {
	case TypePKCS12, TypeJKS, TypePEM:
	default:
		return nil, fmt.Errorf("%s: unknown store type (want %s, %s or %s)", s, TypePKCS12, TypeJKS, TypePEM)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is already in the message
		}
		return nil, fmt.Errorf("%s: cannot read: %w", s, err)
	}
	var list []*entry
	switch {
	case typ == TypePEM:
		list, err = loadPEM(data, password, baseAlias(path))
	case bytes.HasPrefix(data, jksMagic):
		// Like Java's keystore.type.compat, jks and pkcs12 each read the other.
		list, err = loadJKS(data, password)
	default:
		list, err = loadPKCS12(data, password, baseAlias(path))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s, err)
	}
	s.entries = list
	s.byAlias = make(map[string]*entry, len(list))
	for _, e := range list {
		k := foldAlias(e.alias)
		if _, dup := s.byAlias[k]; dup {
			return nil, fmt.Errorf("%s: alias %q appears more than once", s, e.alias)
		}
		s.byAlias[k] = e
	}
	if len(entries) > 0 {
		if err := s.restrict(entries); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// restrict keeps only the entries named in aliases, in that order.
func (s *Store) restrict(aliases []string) error {
	kept := make([]*entry, 0, len(aliases))
	byAlias := make(map[string]*entry, len(aliases))
	for _, alias := range aliases {
		k := foldAlias(alias)
		e, ok := s.byAlias[k]
		if !ok {
			return fmt.Errorf("%s: entries: alias %q %w", s, alias, ErrNotFound)
		}
		if _, dup := byAlias[k]; dup {
			continue
		}
		byAlias[k] = e
		kept = append(kept, e)
	}
	s.entries, s.byAlias = kept, byAlias
	return nil
}

// String names the store for messages, e.g. `pkcs12 store "tls/localhost.p12"`.
func (s *Store) String() string {
	return fmt.Sprintf("%s store %q", s.typ, s.name)
}

func (s *Store) lookup(alias string) (*entry, error) {
	if s == nil {
		return nil, fmt.Errorf("no store: alias %q %w", alias, ErrNotFound)
	}
	e, ok := s.byAlias[foldAlias(alias)]
	if !ok {
		return nil, fmt.Errorf("%s: alias %q %w", s, alias, ErrNotFound)
	}
	return e, nil
}

// Key returns the private key and certificate chain of the key entry
// alias, leaf first, with Leaf parsed. Aliases match case-insensitively, as
// in Java key stores. Each call returns a new tls.Certificate.
func (s *Store) Key(alias string) (*tls.Certificate, error) {
	e, err := s.lookup(alias)
	if err != nil {
		return nil, err
	}
	if e.key == nil || len(e.chain) == 0 {
		return nil, fmt.Errorf("%s: alias %q %w", s, alias, ErrNoPrivateKey)
	}
	c := &tls.Certificate{PrivateKey: e.key, Leaf: e.chain[0]}
	for _, cert := range e.chain {
		c.Certificate = append(c.Certificate, cert.Raw)
	}
	return c, nil
}

// Certificate returns the certificate of alias: the certificate of a
// certificate entry, or the leaf of a key entry (as Java's
// KeyStore.getCertificate does).
func (s *Store) Certificate(alias string) (*x509.Certificate, error) {
	e, err := s.lookup(alias)
	if err != nil {
		return nil, err
	}
	if len(e.chain) == 0 {
		return nil, fmt.Errorf("%s: alias %q has no certificate: %w", s, alias, ErrNotFound)
	}
	return e.chain[0], nil
}

// Aliases lists every entry's alias, key entries and certificate entries,
// in the order that the package documentation describes.
func (s *Store) Aliases() []string {
	if s == nil {
		return nil
	}
	out := make([]string, 0, len(s.entries))
	for _, e := range s.entries {
		out = append(out, e.alias)
	}
	return out
}

// KeyAliases lists the aliases for which Key succeeds, in Aliases order.
func (s *Store) KeyAliases() []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, e := range s.entries {
		if e.key != nil && len(e.chain) > 0 {
			out = append(out, e.alias)
		}
	}
	return out
}

// KeysSignedBy lists, in Aliases order, the key entries whose certificate
// chain contains signer or a certificate signed by signer: the keys a TLS
// server may present to a client that accepts that CA.
func (s *Store) KeysSignedBy(signer *x509.Certificate) []string {
	if s == nil || signer == nil {
		return nil
	}
	var out []string
	for _, e := range s.entries {
		if e.key == nil {
			continue
		}
		if slices.ContainsFunc(e.chain, func(c *x509.Certificate) bool { return signedBy(c, signer) }) {
			out = append(out, e.alias)
		}
	}
	return out
}

// foldAlias is the lookup key of an alias: aliases are case-insensitive.
func foldAlias(alias string) string { return strings.ToLower(alias) }
