package pfx

import (
	"crypto/hmac"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
)

// macData is MacData (RFC 7292 section 4).
type macData struct {
	Mac        digestInfo
	MacSalt    []byte
	Iterations int `asn1:"optional,default:1"`
}

// digestInfo is DigestInfo (RFC 2315 section 9.4).
type digestInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Digest    []byte
}

// pbmac1Params is PBMAC1-params (RFC 8018 appendix A.5).
type pbmac1Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	MessageAuthScheme pkix.AlgorithmIdentifier
}

// verifyMAC checks the MacData raw of a PFX against content, the content
// octets of its authenticated safe. On success the password is verified:
// for the classic MAC (RFC 7292 section 5.1: HMAC keyed with the appendix B
// KDF, ID 3, over the MacData's digest) only the BMP form that verified
// stays a candidate. It returns ErrIncorrectPassword when no form verifies.
func (p *passwords) verifyMAC(raw, content []byte) error {
	var md macData
	if rest, err := asn1.Unmarshal(raw, &md); err != nil || len(rest) != 0 {
		if err == nil {
			err = errors.New("trailing data")
		}
		return malformed("MAC data", err)
	}
	alg := md.Mac.Algorithm.Algorithm
	if alg.Equal(oidPBMAC1) {
		return p.verifyPBMAC1(md, content)
	}
	h, ok := digestHash(alg)
	if !ok {
		return unsupported("MAC digest algorithm %s", algorithmName(alg))
	}
	if err := checkIterations(md.Iterations); err != nil {
		return err
	}
	if len(md.Mac.Digest) != h.Size() {
		return malformed("MAC data", errors.New("digest length does not match the algorithm"))
	}
	for i, pw := range p.bmp {
		key := deriveKey(h.New, pw, md.MacSalt, md.Iterations, idMAC, h.Size())
		m := hmac.New(h.New, key)
		m.Write(content)
		if hmac.Equal(m.Sum(nil), md.Mac.Digest) {
			p.bmp = p.bmp[i : i+1]
			p.verified = true
			return nil
		}
	}
	return ErrIncorrectPassword
}

// verifyPBMAC1 checks a PBMAC1 MAC (RFC 9579): HMAC keyed
// with PBKDF2 over the password's UTF-8 octets. The salt and iteration
// count are those of the PBKDF2 parameters (the MacData's own are ignored,
// section 3), which must give the key length.
func (p *passwords) verifyPBMAC1(md macData, content []byte) error {
	var params pbmac1Params
	if err := unmarshalParams(md.Mac.Algorithm, &params); err != nil {
		return err
	}
	kdf := params.KeyDerivationFunc
	if !kdf.Algorithm.Equal(oidPBKDF2) {
		return unsupported("PBMAC1 key derivation function %s", algorithmName(kdf.Algorithm))
	}
	var kp pbkdf2Params
	if err := unmarshalParams(kdf, &kp); err != nil {
		return err
	}
	if kp.KeyLength == -1 {
		return malformed("PBMAC1 parameters", errors.New("PBKDF2 key length is missing (RFC 9579 requires it)"))
	}
	h, ok := hmacHash(params.MessageAuthScheme.Algorithm)
	if !ok {
		return unsupported("PBMAC1 message authentication scheme %s", algorithmName(params.MessageAuthScheme.Algorithm))
	}
	key, err := p.pbkdf2Key(kp, kp.KeyLength)
	if err != nil {
		return err
	}
	m := hmac.New(h.New, key)
	m.Write(content)
	if !hmac.Equal(m.Sum(nil), md.Mac.Digest) {
		return ErrIncorrectPassword
	}
	p.verified = true
	return nil
}
