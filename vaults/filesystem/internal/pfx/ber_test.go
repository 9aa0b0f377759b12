package pfx

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

func TestToDER(t *testing.T) {
	for _, v := range []struct{ name, in, want string }{
		{"der unchanged", "300602010104010a", "300602010104010a"},
		{"indefinite sequence", "30800201010000", "3003020101"},
		{"nested indefinite", "30803080020101000004010a0000", "3008300302010104010a"},
		{"segmented octet string", "2480040201020401030000", "0403010203"},
		{"segmented, definite", "24070402010204 0103", "0403010203"},
		{"empty segmented", "24800000", "0400"},
		{"long-form length", "3084000000030201 01", "3003020101"},
		{"high tag number", "bf8100030201 01", "bf8100030201 01"},
		{"segmented bmp string", "3e80 1e020041 1e020042 0000", "1e0400410042"},
		{"context tag stays constructed", "a080 04020102 0000", "a004 04020102"},
	} {
		in, want := unhex(t, strings.ReplaceAll(v.in, " ", "")), unhex(t, strings.ReplaceAll(v.want, " ", ""))
		got, err := toDER(in)
		if err != nil {
			t.Errorf("%s: %v", v.name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: got %x, want %x", v.name, got, want)
		}
	}
}

func TestToDERRefusals(t *testing.T) {
	deep := strings.Repeat("3080", maxDepth+2) + strings.Repeat("0000", maxDepth+2)
	for _, v := range []struct{ name, in, want string }{
		{"empty", "", "truncated"},
		{"truncated value", "300502", "exceeds"},
		{"truncated length", "3082", "truncated"},
		{"indefinite primitive", "0480", "indefinite"},
		{"unterminated indefinite", "3080020101", "truncated"},
		{"huge length", "3088ffffffffffffffff", "too large"},
		{"trailing data", "050000", "trailing"},
		{"constructed bit string", "2380030100 0000", "bit string"},
		{"mixed segments", "2480 0c0141 0000", "malformed constructed string"},
		{"deep nesting", deep, "too deep"},
	} {
		_, err := toDER(unhex(t, strings.ReplaceAll(v.in, " ", "")))
		if err == nil || !strings.Contains(err.Error(), v.want) {
			t.Errorf("%s: err = %v, want %q", v.name, err, v.want)
		}
	}
}

// TestToDERKeepsMACOctets: rewriting a BER store keeps the content octets
// of every octet string, so a MAC over them still verifies.
func TestToDERKeepsMACOctets(t *testing.T) {
	payload := []byte(strings.Repeat("authenticated safe ", 5))
	got, err := toDER(ber(t, octet(payload)))
	if err != nil || !bytes.Equal(got, octet(payload)) {
		t.Errorf("got %s, %v", hex.EncodeToString(got), err)
	}
}
