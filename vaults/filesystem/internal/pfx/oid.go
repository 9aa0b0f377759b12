package pfx

import (
	"crypto"
	"encoding/asn1"
)

// Object identifiers, from the RFCs named beside them.
var (
	// RFC 2315 (PKCS #7) content types.
	oidData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidEnvelopedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 3}
	oidEncryptedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 6}

	// RFC 7292 section 4.2: bag types (pkcs-12 10 1 n).
	oidKeyBag             = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 1}
	oidShroudedKeyBag     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 2}
	oidCertBag            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 3}
	oidCRLBag             = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 4}
	oidSecretBag          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 5}
	oidSafeContentsBag    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 6}
	oidX509Certificate    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 22, 1}
	oidFriendlyName       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 20}
	oidLocalKeyID         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 21}
	oidJavaTrustedKeyUses = asn1.ObjectIdentifier{2, 16, 840, 1, 113894, 746875, 1, 1}

	// RFC 7292 appendix C: PKCS#12 password-based encryption (pkcs-12 1 n).
	oidPBEWithSHAAnd128BitRC4        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 1}
	oidPBEWithSHAAnd40BitRC4         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 2}
	oidPBEWithSHAAnd3KeyTripleDESCBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 3}
	oidPBEWithSHAAnd2KeyTripleDESCBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 4}
	oidPBEWithSHAAnd128BitRC2CBC     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 5}
	oidPBEWithSHAAnd40BitRC2CBC      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 6}

	// RFC 8018 (PKCS #5 v2.1) appendix A and B.
	oidPBEWithMD5AndDESCBC  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 3}
	oidPBEWithMD5AndRC2CBC  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 6}
	oidPBEWithSHA1AndDESCBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 10}
	oidPBEWithSHA1AndRC2CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 11}
	oidPBKDF2               = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidPBES2                = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBMAC1               = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 14}
	oidDESCBC               = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 7}
	oidDESEDE3CBC           = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
	oidRC2CBC               = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 2}
	oidAES128CBC            = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC            = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC            = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
)

// hmacPRFs maps the HMAC algorithms of RFC 8018 appendix B.1 (PBKDF2 PRFs
// and PBMAC1 schemes) to their hash.
var hmacPRFs = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
}{
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}, crypto.SHA1},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}, crypto.SHA224},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}, crypto.SHA256},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}, crypto.SHA384},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}, crypto.SHA512},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 12}, crypto.SHA512_224},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 13}, crypto.SHA512_256},
}

// digests maps the digest algorithms that a MacData names (RFC 7292 section
// 4, with the SHA-2 family of RFC 5754 as OpenSSL and Java write them).
var digests = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
}{
	{asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}, crypto.SHA1},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}, crypto.SHA224},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, crypto.SHA256},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, crypto.SHA384},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, crypto.SHA512},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 5}, crypto.SHA512_224},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 6}, crypto.SHA512_256},
}

// hmacHash returns the hash of an HMAC algorithm identifier.
func hmacHash(oid asn1.ObjectIdentifier) (crypto.Hash, bool) {
	for _, p := range hmacPRFs {
		if p.oid.Equal(oid) {
			return p.hash, true
		}
	}
	return 0, false
}

// digestHash returns the hash of a digest algorithm identifier.
func digestHash(oid asn1.ObjectIdentifier) (crypto.Hash, bool) {
	for _, d := range digests {
		if d.oid.Equal(oid) {
			return d.hash, true
		}
	}
	return 0, false
}

// algorithmNames names the algorithms of error messages.
var algorithmNames = map[string]string{
	oidPBEWithSHAAnd128BitRC4.String():        "pbeWithSHAAnd128BitRC4",
	oidPBEWithSHAAnd40BitRC4.String():         "pbeWithSHAAnd40BitRC4",
	oidPBEWithSHAAnd3KeyTripleDESCBC.String(): "pbeWithSHAAnd3-KeyTripleDES-CBC",
	oidPBEWithSHAAnd2KeyTripleDESCBC.String(): "pbeWithSHAAnd2-KeyTripleDES-CBC",
	oidPBEWithSHAAnd128BitRC2CBC.String():     "pbeWithSHAAnd128BitRC2-CBC",
	oidPBEWithSHAAnd40BitRC2CBC.String():      "pbeWithSHAAnd40BitRC2-CBC",
	oidPBEWithMD5AndDESCBC.String():           "pbeWithMD5AndDES-CBC",
	oidPBEWithMD5AndRC2CBC.String():           "pbeWithMD5AndRC2-CBC",
	oidPBEWithSHA1AndDESCBC.String():          "pbeWithSHA1AndDES-CBC",
	oidPBEWithSHA1AndRC2CBC.String():          "pbeWithSHA1AndRC2-CBC",
	oidPBKDF2.String():                        "PBKDF2",
	oidPBES2.String():                         "PBES2",
	oidPBMAC1.String():                        "PBMAC1",
	oidDESCBC.String():                        "desCBC",
	oidDESEDE3CBC.String():                    "des-EDE3-CBC",
	oidRC2CBC.String():                        "rc2CBC",
	oidAES128CBC.String():                     "aes128-CBC",
	oidAES192CBC.String():                     "aes192-CBC",
	oidAES256CBC.String():                     "aes256-CBC",
	"1.2.840.113549.1.5.1":                    "pbeWithMD2AndDES-CBC",
	"1.2.840.113549.1.5.4":                    "pbeWithMD2AndRC2-CBC",
	"1.2.840.113549.2.5":                      "md5",
	"1.2.840.113549.2.2":                      "md2",
	"1.2.643.7.1.1.2.2":                       "GOST R 34.11-2012 (256)",
	"1.2.643.7.1.1.2.3":                       "GOST R 34.11-2012 (512)",
	"2.16.840.1.101.3.4.1.6":                  "aes128-GCM",
	"2.16.840.1.101.3.4.1.26":                 "aes192-GCM",
	"2.16.840.1.101.3.4.1.46":                 "aes256-GCM",
	"1.2.156.10197.1.104.2":                   "sm4-CBC",
	"1.3.6.1.4.1.11591.4.11":                  "scrypt",
}

// algorithmName names an algorithm for an error message: its usual name
// and its OID, or the OID alone.
func algorithmName(oid asn1.ObjectIdentifier) string {
	if n, ok := algorithmNames[oid.String()]; ok {
		return n + " (" + oid.String() + ")"
	}
	return oid.String()
}
