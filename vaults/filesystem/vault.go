package filesystem

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
)

// Vault is a filesystem vault: up to three stores, for keys, trusted
// certificates and signer certificates. It implements the engine's Vault
// interface and is safe for concurrent use.
type Vault struct {
	keys, trust, signers *Store
}

// NewVault makes a vault of already loaded stores; any of them may be nil.
func NewVault(keys, trust, signers *Store) *Vault {
	return &Vault{keys: keys, trust: trust, signers: signers}
}

// Open loads the stores that opts configures, resolving relative store
// paths against dir, the folder of zilla.yaml. Errors say which store
// failed ("keys", "trust" or "signers"); the caller adds the vault's name.
func Open(opts Options, dir string) (*Vault, error) {
	v := &Vault{}
	for _, s := range []struct {
		role string
		opts *StoreOptions
		dst  **Store
	}{
		{"keys", opts.Keys, &v.keys},
		{"trust", opts.Trust, &v.trust},
		{"signers", opts.Signers, &v.signers},
	} {
		if s.opts == nil {
			continue
		}
		st, err := s.opts.Load(dir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.role, err)
		}
		*s.dst = st
	}
	return v, nil
}

// Key returns the private key and certificate chain stored under alias in
// the keys store.
func (v *Vault) Key(alias string) (*tls.Certificate, error) {
	if v.keys == nil {
		return nil, fmt.Errorf("no keys store: alias %q %w", alias, ErrNotFound)
	}
	return v.keys.Key(alias)
}

// Trust returns the certificate stored under alias in the trust store.
func (v *Vault) Trust(alias string) (*x509.Certificate, error) {
	if v.trust == nil {
		return nil, fmt.Errorf("no trust store: alias %q %w", alias, ErrNotFound)
	}
	return v.trust.Certificate(alias)
}

// Signer returns the certificate stored under alias in the signers store.
func (v *Vault) Signer(alias string) (*x509.Certificate, error) {
	if v.signers == nil {
		return nil, fmt.Errorf("no signers store: alias %q %w", alias, ErrNotFound)
	}
	return v.signers.Certificate(alias)
}

// KeyAliases lists the aliases of the keys store that hold a private key.
func (v *Vault) KeyAliases() []string { return v.keys.KeyAliases() }

// TrustAliases lists the aliases of the trust store.
func (v *Vault) TrustAliases() []string { return v.trust.Aliases() }

// SignerAliases lists the aliases of the signers store.
func (v *Vault) SignerAliases() []string { return v.signers.Aliases() }

// KeysSignedBy lists the aliases of the keys whose certificate chain was
// signed by the signers store's certificate signerAlias (or contains it):
// the keys a TLS server configured with `signers: [signerAlias]` may
// present.
func (v *Vault) KeysSignedBy(signerAlias string) ([]string, error) {
	signer, err := v.Signer(signerAlias)
	if err != nil {
		return nil, err
	}
	return v.keys.KeysSignedBy(signer), nil
}
