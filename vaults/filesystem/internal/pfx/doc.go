// Package pfx decodes PKCS#12 (PFX) files, the key stores that `openssl
// pkcs12 -export` and Java's keytool write, and PKCS#8 encrypted private
// keys. It is written from the specifications: RFC 7292 (PKCS #12 v1.1),
// RFC 8018 (PKCS #5 v2.1), RFC 9579 (PBMAC1 in PKCS #12), RFC 2268 (RC2)
// and RFC 5208/5958 (PKCS #8), using only the standard library.
//
// It exists because the vault needs what no standard decoder exposes: each
// bag's friendlyName, the alias that keytool -alias and openssl -name set,
// and its localKeyId, which pairs a key with its certificate.
//
// # What it reads
//
// Integrity: the password MAC of RFC 7292 section 5 (HMAC with SHA-1,
// SHA-224, SHA-256, SHA-384, SHA-512, SHA-512/224 or SHA-512/256, keyed
// with the appendix B KDF, ID 3) and PBMAC1 (RFC 9579, PBKDF2 with any of
// those HMACs). Files without a MAC are read without an integrity check, as
// OpenSSL and Java do. Public-key integrity (signedData) is not supported.
//
// Privacy: the authenticated safe's SafeContents may be plain (data) or
// password-encrypted (encryptedData) with
//
//   - PBES2 (RFC 8018 section 6.2) with PBKDF2 (HMAC-SHA-1 and SHA-2 PRFs)
//     and AES-128/192/256-CBC, DES-EDE3-CBC, DES-CBC or RC2-CBC: what
//     OpenSSL 3 and Java 17 write by default;
//   - the PKCS#12 schemes of RFC 7292 appendix C: pbeWithSHAAnd3-
//     KeyTripleDES-CBC, pbeWithSHAAnd2-KeyTripleDES-CBC,
//     pbeWithSHAAnd128BitRC2-CBC, pbeWithSHAAnd40BitRC2-CBC (what
//     `openssl -legacy` and older keytool write), pbeWithSHAAnd128BitRC4 and
//     pbeWithSHAAnd40BitRC4;
//   - PBES1 (RFC 8018 section 6.1) with MD5 or SHA-1 and DES or RC2.
//
// Public-key privacy (envelopedData) is not supported. The same algorithms
// decrypt pkcs8ShroudedKeyBags and the EncryptedPrivateKeyInfo of
// DecryptPKCS8.
//
// Bags: keyBag and pkcs8ShroudedKeyBag (PKCS#8 keys that
// crypto/x509.ParsePKCS8PrivateKey reads: RSA, ECDSA, Ed25519, X25519),
// certBag with an X.509 certificate, and safeContentsBag (nested, up to a
// depth limit). crlBag, secretBag, SDSI certificates and unknown bags are
// skipped. Attributes: friendlyName (BMPString; UTF8String, PrintableString
// and IA5String from lenient writers are accepted too), localKeyId, and
// Java's trusted-certificate attribute.
//
// Encoding: PKCS#12 is BER. Indefinite lengths and segmented (constructed)
// strings, which some writers use, are rewritten into DER before
// encoding/asn1 reads a level; the MAC is computed over the original
// content octets.
//
// # Passwords
//
// The PKCS#12 KDF (MAC and PKCS#12 PBE) takes the password as a
// NUL-terminated BMPString (big-endian UTF-16, surrogate pairs beyond the
// BMP), RFC 7292 appendix B.1. PBES2, PBES1 and PBMAC1 take its UTF-8
// octets, as OpenSSL and Java pass them.
//
// The empty password is ambiguous in PKCS#12: the "absent" password is no
// bytes at all, while the empty string is the two-byte terminator. Like
// OpenSSL's PKCS12_parse, the empty password tries both: the MAC picks the
// one that verifies, and without a MAC each decryption tries both. For a
// non-ASCII password the form that OpenSSL before 1.1.0 wrote (each UTF-8
// byte widened to 16 bits) is tried after the correct one, as `openssl
// pkcs12` does.
//
// A wrong password shows as ErrIncorrectPassword when the MAC does not
// verify, or ErrDecryption when a decryption fails (no MAC, or a key
// encrypted under a password other than the store's).
//
// # Limits
//
// Iteration counts above 10,000,000, derived keys above 1024 bytes and
// nesting deeper than 64 levels are refused, so that a hostile file cannot
// make loading hang or exhaust the stack. Nothing is written: the package
// decodes only.
package pfx
