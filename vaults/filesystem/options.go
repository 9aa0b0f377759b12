package filesystem

import (
	_ "embed"
	"errors"
	"path/filepath"
)

// Store types accepted in StoreOptions.Type.
const (
	// TypePKCS12 is a PKCS#12 (.p12, .pfx) file; it is the default type.
	TypePKCS12 = "pkcs12"
	// TypeJKS is a Java KeyStore file as written by keytool -storetype JKS.
	TypeJKS = "jks"
	// TypePEM is a PEM file of certificates and private keys.
	TypePEM = "pem"
)

// Schema is the JSON Schema of a filesystem vault's `options` value, for
// registering the vault type with the engine.
//
//go:embed schema.json
var Schema []byte

// Options is the `options` value of a vault of type filesystem. Each store
// is optional; a vault without a keys store has no keys, and so on.
type Options struct {
	// Keys holds private keys with their certificate chains.
	Keys *StoreOptions `json:"keys,omitempty"`
	// Trust holds trusted (CA or peer) certificates.
	Trust *StoreOptions `json:"trust,omitempty"`
	// Signers holds CA certificates that select keys by issuer (tls signers).
	Signers *StoreOptions `json:"signers,omitempty"`
}

// StoreOptions configures one key store file.
type StoreOptions struct {
	// Store is the file's path, relative to the folder of zilla.yaml.
	Store string `json:"store"`
	// Type is TypePKCS12 (when empty), TypeJKS or TypePEM.
	Type string `json:"type,omitempty"`
	// Password opens the store and, as in Zilla, every private key in it.
	Password string `json:"password,omitempty"`
	// Entries, when not empty, restricts the store to these aliases; each
	// must exist.
	Entries []string `json:"entries,omitempty"`
}

// Load reads the store, resolving a relative Store path against dir (the
// folder of zilla.yaml). Errors name the store as configured.
func (o StoreOptions) Load(dir string) (*Store, error) {
	if o.Store == "" {
		return nil, errors.New("store path is empty")
	}
	path := o.Store
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	return loadStore(o.Store, path, o.Type, o.Password, o.Entries)
}
