package pfx

import (
	"errors"
	"fmt"
)

// PKCS#12 is defined in BER, and some writers (Windows among them) use
// what DER forbids: indefinite lengths and octet strings cut into
// constructed segments. encoding/asn1 reads DER only, so every level of a
// PFX is first rewritten into DER by toDER. The rewrite keeps the content
// octets of every primitive value, so the MAC, computed over the content
// octets of the authenticated safe, still verifies.

// maxDepth bounds the nesting of ASN.1 values (and of safeContentsBags), so
// that hostile input cannot exhaust the stack.
const maxDepth = 64

// Universal tags that toDER treats specially.
const (
	tagBitString   = 3
	tagOctetString = 4
	tagBMPString   = 30
)

// berValue is one parsed BER value.
type berValue struct {
	class       byte       // the two class bits of the identifier, in place
	constructed bool       // whether the value holds other values
	tag         uint64     // tag number
	content     []byte     // primitive content, or nil when constructed
	children    []berValue // the values inside a constructed one
}

// toDER rewrites the single BER value in data (nothing may follow it) as
// DER: definite minimal lengths, and constructed universal strings joined
// into primitive ones. Content octets of primitive values are kept as they
// are; SET OF elements are not sorted (encoding/asn1 does not need it).
func toDER(data []byte) ([]byte, error) {
	v, rest, err := parseBER(data, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, errors.New("asn.1: trailing data after value")
	}
	return appendDER(make([]byte, 0, len(data)), &v), nil
}

// parseBER parses one value from data and returns it with the bytes after it.
func parseBER(data []byte, depth int) (berValue, []byte, error) {
	var v berValue
	if depth > maxDepth {
		return v, nil, errors.New("asn.1: nesting too deep")
	}
	if len(data) < 2 {
		return v, nil, errors.New("asn.1: truncated value")
	}
	id := data[0]
	v.class = id & 0xc0
	v.constructed = id&0x20 != 0
	v.tag = uint64(id & 0x1f)
	i := 1
	if v.tag == 0x1f { // high tag number: base-128 digits
		v.tag = 0
		for {
			if i >= len(data) {
				return v, nil, errors.New("asn.1: truncated tag")
			}
			b := data[i]
			i++
			if v.tag > 1<<28 {
				return v, nil, errors.New("asn.1: tag number too large")
			}
			v.tag = v.tag<<7 | uint64(b&0x7f)
			if b&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(data) {
		return v, nil, errors.New("asn.1: truncated length")
	}
	lb := data[i]
	i++
	if lb == 0x80 { // indefinite length: contents end with two zero octets
		if !v.constructed {
			return v, nil, errors.New("asn.1: indefinite length on a primitive value")
		}
		rest := data[i:]
		for {
			if len(rest) >= 2 && rest[0] == 0 && rest[1] == 0 {
				return v, rest[2:], v.flatten()
			}
			child, after, err := parseBER(rest, depth+1)
			if err != nil {
				return v, nil, err
			}
			v.children = append(v.children, child)
			rest = after
		}
	}
	length := 0
	if lb < 0x80 {
		length = int(lb)
	} else {
		n := int(lb & 0x7f)
		if n > 4 || lb == 0xff {
			return v, nil, errors.New("asn.1: length too large")
		}
		for range n {
			if i >= len(data) {
				return v, nil, errors.New("asn.1: truncated length")
			}
			length = length<<8 | int(data[i])
			i++
		}
	}
	if length < 0 || length > len(data)-i {
		return v, nil, fmt.Errorf("asn.1: value of %d bytes exceeds the %d left", length, len(data)-i)
	}
	body, rest := data[i:i+length], data[i+length:]
	if !v.constructed {
		v.content = body
		return v, rest, nil
	}
	for len(body) > 0 {
		child, after, err := parseBER(body, depth+1)
		if err != nil {
			return v, nil, err
		}
		v.children = append(v.children, child)
		body = after
	}
	return v, rest, v.flatten()
}

// flatten turns a constructed universal string into the primitive string
// of its segments' contents (X.690 8.21 and 8.7.3).
func (v *berValue) flatten() error {
	if v.class != 0 || !v.constructed || !isStringTag(v.tag) {
		return nil
	}
	if v.tag == tagBitString {
		return errors.New("asn.1: constructed bit string is not supported")
	}
	var content []byte
	for _, c := range v.children {
		if c.class != 0 || c.constructed || c.tag != v.tag {
			return errors.New("asn.1: malformed constructed string")
		}
		content = append(content, c.content...)
	}
	if content == nil {
		content = []byte{}
	}
	v.constructed, v.children, v.content = false, nil, content
	return nil
}

// isStringTag reports whether a universal tag is one of the string types
// that BER lets a writer split into segments.
func isStringTag(tag uint64) bool {
	switch tag {
	case tagBitString, tagOctetString, 12, 18, 19, 20, 21, 22, 25, 26, 27, 28, tagBMPString:
		return true
	}
	return false
}

// appendDER appends the DER encoding of v to out.
func appendDER(out []byte, v *berValue) []byte {
	id := v.class
	if v.constructed {
		id |= 0x20
	}
	if v.tag < 0x1f {
		out = append(out, id|byte(v.tag))
	} else {
		out = append(out, id|0x1f)
		var digits [10]byte
		n := 0
		for t := v.tag; ; t >>= 7 {
			digits[n] = byte(t & 0x7f)
			n++
			if t < 0x80 {
				break
			}
		}
		for k := n - 1; k >= 0; k-- {
			d := digits[k]
			if k > 0 {
				d |= 0x80
			}
			out = append(out, d)
		}
	}
	if !v.constructed {
		return append(appendLength(out, len(v.content)), v.content...)
	}
	var body []byte
	for k := range v.children {
		body = appendDER(body, &v.children[k])
	}
	return append(appendLength(out, len(body)), body...)
}

// appendLength appends a DER length: short form below 128, else the
// minimal long form.
func appendLength(out []byte, n int) []byte {
	if n < 0x80 {
		return append(out, byte(n))
	}
	var digits [8]byte
	k := 0
	for m := n; m > 0; m >>= 8 {
		digits[k] = byte(m)
		k++
	}
	out = append(out, 0x80|byte(k))
	for k--; k >= 0; k-- {
		out = append(out, digits[k])
	}
	return out
}
