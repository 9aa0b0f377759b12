package pfx

import (
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"os"
	"strings"
	"testing"
)

// readVector reads a PKCS#12 test file of RFC 9579 appendix A (base64, as
// printed there).
func readVector(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/rfc9579-" + name + ".b64")
	if err != nil {
		t.Fatal(err)
	}
	data, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(b)), ""))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestPBMAC1Vectors checks the test files of RFC 9579 appendix A, whose
// password is "1234": A.1 to A.3 are valid (HMAC-SHA-256 with a SHA-256
// PRF, HMAC-SHA-256 with a SHA-512 PRF, HMAC-SHA-512 with a SHA-512 PRF);
// A.4 (iteration count changed), A.5 (salt taken from MacData instead of
// PBKDF2) and A.6 (key length missing) must be refused.
func TestPBMAC1Vectors(t *testing.T) {
	for _, name := range []string{"a1", "a2", "a3"} {
		bags, err := DecodeBags(readVector(t, name), "1234")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(bags) != 2 || bags[0].Certificate == nil || bags[1].PrivateKey == nil {
			t.Fatalf("%s: got %d bags, want a certificate and a key", name, len(bags))
		}
		key, ok := bags[1].PrivateKey.(*rsa.PrivateKey)
		if !ok || !key.PublicKey.Equal(bags[0].Certificate.PublicKey) {
			t.Errorf("%s: key %T does not match the certificate", name, bags[1].PrivateKey)
		}
		if len(bags[0].LocalKeyID) == 0 || string(bags[0].LocalKeyID) != string(bags[1].LocalKeyID) {
			t.Errorf("%s: localKeyId %x and %x", name, bags[0].LocalKeyID, bags[1].LocalKeyID)
		}
		if _, err := DecodeBags(readVector(t, name), "4321"); !errors.Is(err, ErrIncorrectPassword) {
			t.Errorf("%s with a wrong password: %v", name, err)
		}
	}
	for _, name := range []string{"a4", "a5"} {
		if _, err := DecodeBags(readVector(t, name), "1234"); !errors.Is(err, ErrIncorrectPassword) {
			t.Errorf("%s: err = %v, want ErrIncorrectPassword", name, err)
		}
	}
	_, err := DecodeBags(readVector(t, "a6"), "1234")
	if err == nil || !strings.Contains(err.Error(), "key length") || errors.Is(err, ErrIncorrectPassword) {
		t.Errorf("a6: err = %v, want a malformed-parameters error about the key length", err)
	}
}
