package pfx

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// TestRC2Vectors checks the eight test vectors of RFC 2268 section 5 in
// both directions. The same 8-byte key appears with 63 and 64 effective
// bits, and one 16-byte key with 64 and 128, so the effective-key-bits
// reduction is exercised, not only the plain key schedule.
func TestRC2Vectors(t *testing.T) {
	for _, v := range []struct {
		key       string
		bits      int
		plain     string
		encrypted string
	}{
		{"0000000000000000", 63, "0000000000000000", "ebb773f993278eff"},
		{"ffffffffffffffff", 64, "ffffffffffffffff", "278b27e42e2f0d49"},
		{"3000000000000000", 64, "1000000000000001", "30649edf9be7d2c2"},
		{"88", 64, "0000000000000000", "61a8a244adacccf0"},
		{"88bca90e90875a", 64, "0000000000000000", "6ccf4308974c267f"},
		{"88bca90e90875a7f0f79c384627bafb2", 64, "0000000000000000", "1a807d272bbe5db1"},
		{"88bca90e90875a7f0f79c384627bafb2", 128, "0000000000000000", "2269552ab0f85ca6"},
		{"88bca90e90875a7f0f79c384627bafb216f80a6f85920584c42fceb0be255daf1e", 129, "0000000000000000", "5b78d3a43dfff1f1"},
	} {
		key, plain, want := unhex(t, v.key), unhex(t, v.plain), unhex(t, v.encrypted)
		c, err := newRC2(key, v.bits)
		if err != nil {
			t.Fatalf("newRC2(%s, %d): %v", v.key, v.bits, err)
		}
		got := make([]byte, 8)
		c.Encrypt(got, plain)
		if !bytes.Equal(got, want) {
			t.Errorf("key %s, %d bits: Encrypt = %x, want %x", v.key, v.bits, got, want)
		}
		c.Decrypt(got, want)
		if !bytes.Equal(got, plain) {
			t.Errorf("key %s, %d bits: Decrypt = %x, want %x", v.key, v.bits, got, plain)
		}
	}
}

func TestRC2PiTableIsAPermutation(t *testing.T) {
	var seen [256]bool
	for _, b := range piTable {
		if seen[b] {
			t.Fatalf("PITABLE repeats %#x", b)
		}
		seen[b] = true
	}
}

func TestRC2RejectsBadParameters(t *testing.T) {
	for _, v := range []struct {
		keyLen, bits int
	}{{0, 64}, {129, 64}, {8, 0}, {8, 1025}} {
		if _, err := newRC2(make([]byte, v.keyLen), v.bits); err == nil {
			t.Errorf("newRC2(%d-byte key, %d bits) succeeded", v.keyLen, v.bits)
		}
	}
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
