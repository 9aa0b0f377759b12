package pfx

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	_ "crypto/md5" // PBES1 with MD5
	"crypto/pbkdf2"
	"crypto/rc4"
	_ "crypto/sha1" // PKCS#12 PBE, MACs and PRFs
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
)

// maxIterations bounds the iteration counts a file may ask for, so that a
// hostile file cannot make loading hang. Writers use 1 to a few hundred
// thousand (OpenSSL 2048, Java 10000, password-hashing guidance 600000).
var maxIterations = 10_000_000

// maxDerivedKey bounds the key lengths a file may ask PBKDF2 for.
const maxDerivedKey = 1024

// errBadPadding is what a CBC decryption with a wrong key nearly always
// ends in.
var errBadPadding = errors.New("bad padding")

// pbeParams is pkcs-12PbeParams (RFC 7292 appendix C) and PBEParameter
// (RFC 8018 appendix A.3): the same two fields.
type pbeParams struct {
	Salt       []byte
	Iterations int
}

// pbes2Params is PBES2-params (RFC 8018 appendix A.4).
type pbes2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

// pbkdf2Params is PBKDF2-params (RFC 8018 appendix A.2). KeyLength is -1
// when absent; a PRF without Algorithm is the default, hmacWithSHA1.
type pbkdf2Params struct {
	Salt           asn1.RawValue // CHOICE { specified OCTET STRING, otherSource AlgorithmIdentifier }
	IterationCount int
	KeyLength      int                      `asn1:"optional,default:-1"`
	PRF            pkix.AlgorithmIdentifier `asn1:"optional"`
}

// pkcs12PBE describes one of the PKCS#12 password-based encryption
// algorithms of RFC 7292 appendix C, all of which derive their key and IV
// with SHA-1 and the appendix B KDF.
type pkcs12PBE struct {
	keyLen   int
	newBlock func(key []byte) (cipher.Block, error) // nil for RC4
}

var pkcs12PBEs = map[string]pkcs12PBE{
	oidPBEWithSHAAnd3KeyTripleDESCBC.String(): {24, des.NewTripleDESCipher},
	oidPBEWithSHAAnd2KeyTripleDESCBC.String(): {16, func(k []byte) (cipher.Block, error) {
		// Two-key triple DES: K1, K2, K1.
		return des.NewTripleDESCipher(append(append([]byte{}, k...), k[:8]...))
	}},
	oidPBEWithSHAAnd128BitRC2CBC.String(): {16, func(k []byte) (cipher.Block, error) { return newRC2(k, 128) }},
	oidPBEWithSHAAnd40BitRC2CBC.String():  {5, func(k []byte) (cipher.Block, error) { return newRC2(k, 40) }},
	oidPBEWithSHAAnd128BitRC4.String():    {16, nil},
	oidPBEWithSHAAnd40BitRC4.String():     {5, nil},
}

// pbes1 describes a PBES1 scheme of RFC 8018 section 6.1: PBKDF1 with
// hash, then DES-CBC or RC2-CBC (64 effective bits) with an 8-byte key.
type pbes1 struct {
	hash crypto.Hash
	rc2  bool
}

var pbes1Schemes = map[string]pbes1{
	oidPBEWithMD5AndDESCBC.String():  {crypto.MD5, false},
	oidPBEWithMD5AndRC2CBC.String():  {crypto.MD5, true},
	oidPBEWithSHA1AndDESCBC.String(): {crypto.SHA1, false},
	oidPBEWithSHA1AndRC2CBC.String(): {crypto.SHA1, true},
}

// decrypt deciphers data, encrypted with alg under the password p, and
// passes the plaintext to accept, which parses it. For the PKCS#12 schemes
// each candidate BMP form of the password is tried in turn until one
// decrypts and is accepted; that form is then the only one kept.
//
// A wrong password shows as ErrDecryption: bad padding, or plaintext that
// accept refuses to parse. Errors that accept marks settled (the plaintext
// parsed, something after it failed), and every error of accept once the
// MAC has verified the password, are returned as they are.
func (p *passwords) decrypt(alg pkix.AlgorithmIdentifier, data []byte, accept func([]byte) error) error {
	oid := alg.Algorithm
	if pbe, ok := pkcs12PBEs[oid.String()]; ok {
		var params pbeParams
		if err := unmarshalParams(alg, &params); err != nil {
			return err
		}
		if err := checkIterations(params.Iterations); err != nil {
			return err
		}
		var failure error
		for i, pw := range p.bmp {
			plain, err := decryptPKCS12PBE(pbe, pw, params, data)
			if err != nil {
				if !errors.Is(err, errBadPadding) {
					return err
				}
				failure = err
				continue
			}
			if err := accept(plain); err != nil {
				if p.verified || isSettled(err) {
					return err
				}
				failure = err
				continue
			}
			p.bmp = p.bmp[i : i+1]
			return nil
		}
		return p.failed(failure)
	}
	var plain []byte
	var err error
	switch {
	case oid.Equal(oidPBES2):
		plain, err = p.decryptPBES2(alg, data)
	case pbes1Schemes[oid.String()] != pbes1{}:
		plain, err = p.decryptPBES1(pbes1Schemes[oid.String()], alg, data)
	default:
		return unsupported("encryption algorithm %s", algorithmName(oid))
	}
	if err != nil {
		if !errors.Is(err, errBadPadding) {
			return err
		}
		return p.failed(err)
	}
	if err := accept(plain); err != nil {
		if p.verified || isSettled(err) {
			return err
		}
		return p.failed(err)
	}
	return nil
}

// isSettled reports whether err arose after the plaintext had parsed.
func isSettled(err error) bool {
	var s settled
	return errors.As(err, &s)
}

// failed turns the last failure of a decryption into ErrDecryption.
func (p *passwords) failed(err error) error {
	if err == nil || errors.Is(err, errBadPadding) {
		return ErrDecryption
	}
	return fmt.Errorf("%w (%v)", ErrDecryption, err)
}

func decryptPKCS12PBE(pbe pkcs12PBE, password []byte, params pbeParams, data []byte) ([]byte, error) {
	key := deriveKey(crypto.SHA1.New, password, params.Salt, params.Iterations, idKey, pbe.keyLen)
	if pbe.newBlock == nil {
		c, err := rc4.NewCipher(key)
		if err != nil {
			return nil, err
		}
		out := make([]byte, len(data))
		c.XORKeyStream(out, data)
		return out, nil
	}
	block, err := pbe.newBlock(key)
	if err != nil {
		return nil, err
	}
	iv := deriveKey(crypto.SHA1.New, password, params.Salt, params.Iterations, idIV, block.BlockSize())
	return cbcDecrypt(block, iv, data)
}

// decryptPBES2 is PBES2 (RFC 8018 section 6.2) with PBKDF2 and a CBC
// cipher. The password goes to PBKDF2 as its UTF-8 octets, as OpenSSL and
// Java do.
func (p *passwords) decryptPBES2(alg pkix.AlgorithmIdentifier, data []byte) ([]byte, error) {
	var params pbes2Params
	if err := unmarshalParams(alg, &params); err != nil {
		return nil, err
	}
	scheme := params.EncryptionScheme
	var (
		keyLen   int
		newBlock func(key []byte) (cipher.Block, error)
		ivParam  asn1.RawValue = scheme.Parameters
	)
	switch {
	case scheme.Algorithm.Equal(oidAES128CBC):
		keyLen, newBlock = 16, aes.NewCipher
	case scheme.Algorithm.Equal(oidAES192CBC):
		keyLen, newBlock = 24, aes.NewCipher
	case scheme.Algorithm.Equal(oidAES256CBC):
		keyLen, newBlock = 32, aes.NewCipher
	case scheme.Algorithm.Equal(oidDESEDE3CBC):
		keyLen, newBlock = 24, des.NewTripleDESCipher
	case scheme.Algorithm.Equal(oidDESCBC):
		keyLen, newBlock = 8, des.NewCipher
	case scheme.Algorithm.Equal(oidRC2CBC):
		bits, iv, err := rc2Params(scheme)
		if err != nil {
			return nil, err
		}
		keyLen, ivParam = 16, iv // the key length comes from PBKDF2 when given
		newBlock = func(k []byte) (cipher.Block, error) { return newRC2(k, bits) }
	default:
		return nil, unsupported("PBES2 encryption scheme %s", algorithmName(scheme.Algorithm))
	}
	key, err := p.pbkdf2(params.KeyDerivationFunc, keyLen, scheme.Algorithm.Equal(oidRC2CBC))
	if err != nil {
		return nil, err
	}
	var iv []byte
	if rest, err := asn1.Unmarshal(ivParam.FullBytes, &iv); err != nil || len(rest) != 0 {
		return nil, malformed("PBES2 initialization vector", err)
	}
	block, err := newBlock(key)
	if err != nil {
		return nil, err
	}
	return cbcDecrypt(block, iv, data)
}

// pbkdf2 derives a key from the password's UTF-8 octets with the PBKDF2
// algorithm identifier kdf. keyLen is the cipher's key length; when the
// parameters give one it must agree, unless variable (RC2), where theirs
// wins.
func (p *passwords) pbkdf2(kdf pkix.AlgorithmIdentifier, keyLen int, variable bool) ([]byte, error) {
	if !kdf.Algorithm.Equal(oidPBKDF2) {
		return nil, unsupported("key derivation function %s", algorithmName(kdf.Algorithm))
	}
	var params pbkdf2Params
	if err := unmarshalParams(kdf, &params); err != nil {
		return nil, err
	}
	switch {
	case params.KeyLength == -1:
	case variable && params.KeyLength >= 1 && params.KeyLength <= 128:
		keyLen = params.KeyLength
	case params.KeyLength != keyLen:
		return nil, fmt.Errorf("PBKDF2 key length %d does not fit the cipher's %d", params.KeyLength, keyLen)
	}
	return p.pbkdf2Key(params, keyLen)
}

// pbkdf2Key runs PBKDF2 with params for keyLen bytes.
func (p *passwords) pbkdf2Key(params pbkdf2Params, keyLen int) ([]byte, error) {
	salt := params.Salt
	if salt.Class != asn1.ClassUniversal || salt.Tag != asn1.TagOctetString || salt.IsCompound {
		return nil, unsupported("PBKDF2 salt source (only a specified salt is)")
	}
	if err := checkIterations(params.IterationCount); err != nil {
		return nil, err
	}
	prf := crypto.SHA1
	if len(params.PRF.Algorithm) > 0 {
		var ok bool
		if prf, ok = hmacHash(params.PRF.Algorithm); !ok {
			return nil, unsupported("PBKDF2 pseudorandom function %s", algorithmName(params.PRF.Algorithm))
		}
	}
	if keyLen < 1 || keyLen > maxDerivedKey {
		return nil, fmt.Errorf("PBKDF2 key length %d out of range", keyLen)
	}
	return pbkdf2.Key(prf.New, string(p.utf8), salt.Bytes, params.IterationCount, keyLen)
}

// rc2Params reads RC2-CBC-Parameter (RFC 8018 appendix B.2.3): the
// effective key bits, encoded as rc2ParameterVersion (absent for 32 bits),
// and the IV.
func rc2Params(scheme pkix.AlgorithmIdentifier) (bits int, iv asn1.RawValue, err error) {
	var fields []asn1.RawValue
	if rest, err := asn1.Unmarshal(scheme.Parameters.FullBytes, &fields); err != nil || len(rest) != 0 {
		return 0, iv, malformed("RC2-CBC parameters", err)
	}
	switch len(fields) {
	case 1:
		return 32, fields[0], nil
	case 2:
		var version int
		if _, err := asn1.Unmarshal(fields[0].FullBytes, &version); err != nil {
			return 0, iv, malformed("RC2-CBC parameter version", err)
		}
		switch {
		case version == 160:
			bits = 40
		case version == 120:
			bits = 64
		case version == 58:
			bits = 128
		case version >= 256 && version <= 1024:
			bits = version
		default:
			return 0, iv, unsupported("RC2 parameter version %d", version)
		}
		return bits, fields[1], nil
	}
	return 0, iv, malformed("RC2-CBC parameters", nil)
}

// decryptPBES1 is PBES1 (RFC 8018 section 6.1): PBKDF1 over the password's
// octets and the salt gives the DES or RC2 key and the IV.
func (p *passwords) decryptPBES1(scheme pbes1, alg pkix.AlgorithmIdentifier, data []byte) ([]byte, error) {
	var params pbeParams
	if err := unmarshalParams(alg, &params); err != nil {
		return nil, err
	}
	if err := checkIterations(params.Iterations); err != nil {
		return nil, err
	}
	h := scheme.hash.New()
	h.Write(p.utf8)
	h.Write(params.Salt)
	dk := h.Sum(nil)
	for i := 1; i < params.Iterations; i++ {
		h.Reset()
		h.Write(dk)
		dk = h.Sum(dk[:0])
	}
	key, iv := dk[:8], dk[8:16]
	var block cipher.Block
	var err error
	if scheme.rc2 {
		block, err = newRC2(key, 64)
	} else {
		block, err = des.NewCipher(key)
	}
	if err != nil {
		return nil, err
	}
	return cbcDecrypt(block, iv, data)
}

// cbcDecrypt deciphers data in CBC mode and removes the padding of RFC 8018
// section 6.1.1 (PKCS #7 padding), which a wrong key leaves invalid.
func cbcDecrypt(block cipher.Block, iv, data []byte) ([]byte, error) {
	bs := block.BlockSize()
	if len(iv) != bs {
		return nil, fmt.Errorf("initialization vector of %d bytes, want %d", len(iv), bs)
	}
	if len(data) == 0 || len(data)%bs != 0 {
		return nil, fmt.Errorf("ciphertext of %d bytes is not a whole number of %d-byte blocks", len(data), bs)
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, data)
	n := int(out[len(out)-1])
	if n == 0 || n > bs {
		return nil, errBadPadding
	}
	for _, b := range out[len(out)-n:] {
		if int(b) != n {
			return nil, errBadPadding
		}
	}
	return out[:len(out)-n], nil
}

// unmarshalParams parses the parameters of alg into v, which must fill them
// exactly.
func unmarshalParams(alg pkix.AlgorithmIdentifier, v any) error {
	what := algorithmName(alg.Algorithm) + " parameters"
	rest, err := asn1.Unmarshal(alg.Parameters.FullBytes, v)
	if err != nil {
		return malformed(what, err)
	}
	if len(rest) != 0 {
		return malformed(what, errors.New("trailing data"))
	}
	return nil
}

func checkIterations(n int) error {
	if n < 1 {
		return fmt.Errorf("iteration count %d is not positive", n)
	}
	if n > maxIterations {
		return fmt.Errorf("iteration count %d exceeds the limit of %d", n, maxIterations)
	}
	return nil
}
