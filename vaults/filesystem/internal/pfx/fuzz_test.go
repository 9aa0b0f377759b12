package pfx

import (
	"testing"
)

// The fuzz targets feed the decoder malformed input: it must return an
// error, never panic or hang. Run one with, for example,
//
//	go test -run '^$' -fuzz FuzzDecodeBags -fuzztime 60s ./vaults/filesystem/internal/pfx
//
// Without -fuzz, `go test` runs the seeds: stores built here (legacy PBE
// with a MAC, BER, nested bags, no MAC) and an RFC 9579 PBMAC1 file.

// fuzzIterations keeps key derivations cheap while fuzzing: the mutator
// soon finds iteration counts in the millions, which are legitimate and
// merely slow.
const fuzzIterations = 4096

func lowerIterationLimit(f *testing.F) {
	saved := maxIterations
	maxIterations = fuzzIterations
	f.Cleanup(func() { maxIterations = saved })
}

func FuzzDecodeBags(f *testing.F) {
	lowerIterationLimit(f)
	p := newBuilt(f)
	pw := bmpPassword("pw")
	stores := [][]byte{
		pfxOf(seq(
			encryptedSafe(pw, certBagOf(p.leaf.Raw, friendlyName("leaf"), localKeyID([]byte{1}))),
			dataSafe(shroudedKeyBagOf(f, pw, p.leafKey, friendlyName("leaf"), localKeyID([]byte{1}))),
		), pw),
		pfxOf(seq(dataSafe(
			keyBagOf(f, p.leafKey, attribute(oidFriendlyName, utf8String("k"))),
			safeBagOf(oidSafeContentsBag, seq(certBagOf(p.ca.Raw, attribute(oidJavaTrustedKeyUses)))),
		)), nil),
		readVector(f, "a1"),
	}
	stores = append(stores, ber(f, stores[0]))
	for _, s := range stores {
		f.Add(s, "pw")
	}
	f.Add([]byte{0x30, 0x80, 0x00, 0x00}, "")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		bags, err := DecodeBags(data, password)
		if err != nil {
			return
		}
		for i, b := range bags {
			if (b.Certificate == nil) == (b.PrivateKey == nil) {
				t.Fatalf("bag %d: certificate %v, key %T: want exactly one", i, b.Certificate != nil, b.PrivateKey)
			}
		}
	})
}

func FuzzDecryptPKCS8(f *testing.F) {
	lowerIterationLimit(f)
	p := newBuilt(f)
	alg, ct := encrypt3DES(bmpPassword("pw"), pkcs8(f, p.leafKey))
	f.Add(seq(alg, octet(ct)), "pw")
	alg, ct = encryptRC2(bmpPassword("pw"), pkcs8(f, p.leafKey))
	f.Add(ber(f, seq(alg, octet(ct))), "pw")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		key, err := DecryptPKCS8(data, password)
		if err == nil && key == nil {
			t.Fatal("no error and no key")
		}
	})
}

func FuzzToDER(f *testing.F) {
	f.Add([]byte{0x30, 0x80, 0x24, 0x80, 0x04, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00})
	f.Add([]byte{0xbf, 0x81, 0x00, 0x03, 0x02, 0x01, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := toDER(data)
		if err != nil {
			return
		}
		// DER is a fixed point.
		again, err := toDER(out)
		if err != nil || string(again) != string(out) {
			t.Fatalf("toDER(%x) = %x, not stable: %x, %v", data, out, again, err)
		}
	})
}
