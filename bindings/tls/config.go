package tls

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"

	"github.com/sluicehq/sluice/engine"
)

// Mutual authentication modes (options.mutual).
const (
	MutualRequired  = "required"
	MutualRequested = "requested"
	MutualNone      = "none"
)

// material is the key material a binding takes from its vault.
type material struct {
	certs      []tls.Certificate
	trust      *x509.CertPool // nil: none configured
	trustCerts []*x509.Certificate
}

// vaultName names the binding's vault in messages.
func vaultName(bc *engine.BindingContext) string { return bc.Config.Vault }

// loadMaterial reads the keys, signers and trust that opts names from the
// binding's vault. When opts names none of them, every key and trusted
// certificate of the vault is used, as in Zilla.
func loadMaterial(bc *engine.BindingContext, opts *Options) (*material, error) {
	v := bc.Vault()
	m := &material{}
	wildcard := len(opts.Keys) == 0 && len(opts.Trust) == 0 && len(opts.Signers) == 0
	if v == nil && bc.Config.Vault != "" {
		return nil, engine.FieldErrorf("vault", "vault %s did not load", vaultName(bc))
	}
	if v == nil {
		switch {
		case len(opts.Keys) > 0:
			return nil, engine.FieldErrorf("options.keys", "keys need a vault: the binding names none")
		case len(opts.Trust) > 0:
			return nil, engine.FieldErrorf("options.trust", "trust needs a vault: the binding names none")
		case len(opts.Signers) > 0:
			return nil, engine.FieldErrorf("options.signers", "signers need a vault: the binding names none")
		}
		return m, nil
	}
	var errs []error
	keys := opts.Keys
	if wildcard {
		keys = v.KeyAliases()
	}
	for i, alias := range keys {
		cert, err := v.Key(alias)
		if err != nil {
			errs = append(errs, engine.FieldErrorf(fmt.Sprintf("options.keys.%d", i), "vault %s has no usable key %q: %v", vaultName(bc), alias, err))
			continue
		}
		c, err := withLeaf(cert)
		if err != nil {
			errs = append(errs, engine.FieldErrorf(fmt.Sprintf("options.keys.%d", i), "vault %s key %q: %v", vaultName(bc), alias, err))
			continue
		}
		m.certs = append(m.certs, c)
	}
	for i, alias := range opts.Signers {
		signed, err := keysSignedBy(v, alias)
		if err != nil {
			errs = append(errs, engine.FieldErrorf(fmt.Sprintf("options.signers.%d", i), "vault %s signer %q: %v", vaultName(bc), alias, err))
			continue
		}
		if len(signed) == 0 {
			errs = append(errs, engine.FieldErrorf(fmt.Sprintf("options.signers.%d", i), "vault %s holds no key signed by signer %q", vaultName(bc), alias))
		}
		m.certs = append(m.certs, signed...)
	}
	trust := opts.Trust
	if wildcard {
		trust = v.TrustAliases()
	}
	if len(trust) > 0 {
		m.trust = x509.NewCertPool()
	}
	for i, alias := range trust {
		cert, err := v.Trust(alias)
		if err != nil {
			errs = append(errs, engine.FieldErrorf(fmt.Sprintf("options.trust.%d", i), "vault %s has no trusted certificate %q: %v", vaultName(bc), alias, err))
			continue
		}
		m.trust.AddCert(cert)
		m.trustCerts = append(m.trustCerts, cert)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

// withLeaf returns a copy of cert with its Leaf parsed.
func withLeaf(cert *tls.Certificate) (tls.Certificate, error) {
	if cert == nil || len(cert.Certificate) == 0 || cert.PrivateKey == nil {
		return tls.Certificate{}, errors.New("the entry holds no private key with a certificate")
	}
	c := *cert
	if c.Leaf == nil {
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("invalid certificate: %w", err)
		}
		c.Leaf = leaf
	}
	return c, nil
}

// keysSignedBy returns the vault's keys whose chain holds the signer's
// certificate or a certificate it signed: the keys a server configured with
// `signers` presents.
func keysSignedBy(v engine.Vault, alias string) ([]tls.Certificate, error) {
	signer, err := v.Signer(alias)
	if err != nil {
		return nil, err
	}
	var out []tls.Certificate
	for _, keyAlias := range v.KeyAliases() {
		cert, err := v.Key(keyAlias)
		if err != nil {
			continue
		}
		c, err := withLeaf(cert)
		if err != nil {
			continue
		}
		if signedBy(c, signer) {
			out = append(out, c)
		}
	}
	return out, nil
}

func signedBy(c tls.Certificate, signer *x509.Certificate) bool {
	for _, der := range c.Certificate {
		if bytes.Equal(der, signer.Raw) {
			return true
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			continue
		}
		if bytes.Equal(cert.RawIssuer, signer.RawSubject) && cert.CheckSignatureFrom(signer) == nil {
			return true
		}
	}
	return false
}

// versions maps options.version to the protocol versions allowed. TLS 1.0
// and 1.1 are not offered: they are deprecated (RFC 8996).
func versions(v string) (uint16, uint16, error) {
	switch v {
	case "", "TLS":
		return tls.VersionTLS12, tls.VersionTLS13, nil
	case "TLSv1.2":
		return tls.VersionTLS12, tls.VersionTLS12, nil
	case "TLSv1.3":
		return tls.VersionTLS13, tls.VersionTLS13, nil
	}
	return 0, 0, engine.FieldErrorf("options.version", "unsupported version %q: use TLS, TLSv1.2 or TLSv1.3", v)
}

// trustPool is the pool that verifies the peer's certificates: the
// vault's trusted certificates, with the system's CA certificates too when
// options.trustcacerts asks for them.
func trustPool(opts *Options, m *material) (*x509.CertPool, error) {
	if opts.TrustCACerts == nil || !*opts.TrustCACerts {
		return m.trust, nil
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		return nil, engine.FieldErrorf("options.trustcacerts", "cannot read the system's CA certificates: %v", err)
	}
	for _, c := range m.trustCerts {
		roots.AddCert(c)
	}
	return roots, nil
}

// mutualMode returns the effective options.mutual: required when trust is
// configured, else none.
func mutualMode(opts *Options) string {
	if opts.Mutual != "" {
		return opts.Mutual
	}
	if len(opts.Trust) > 0 {
		return MutualRequired
	}
	return MutualNone
}

func clientAuth(mode string) tls.ClientAuthType {
	switch mode {
	case MutualRequired:
		return tls.RequireAndVerifyClientCert
	case MutualRequested:
		return tls.VerifyClientCertIfGiven
	}
	return tls.NoClientCert
}

// identity is the subject of the verified client certificate, or "".
func identity(st tls.ConnectionState) string {
	if len(st.VerifiedChains) == 0 || len(st.PeerCertificates) == 0 {
		return ""
	}
	return st.PeerCertificates[0].Subject.String()
}

// versionName renders a protocol version for logs.
func versionName(v uint16) string {
	switch v {
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	case 0:
		return ""
	}
	return tls.VersionName(v)
}

// containsFold reports whether list holds s, ignoring case.
func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return equalFold(x, s) })
}

func equalFold(a, b string) bool { return bytes.EqualFold([]byte(a), []byte(b)) }
