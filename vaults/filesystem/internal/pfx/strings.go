package pfx

import (
	"encoding/asn1"
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeString decodes an attribute string: a BMPString, as RFC 7292
// requires for friendlyName, or, from lenient writers, a UTF8String,
// PrintableString or IA5String. Trailing NUL characters, which some writers
// include, are dropped.
func decodeString(v asn1.RawValue) (string, error) {
	if v.Class != asn1.ClassUniversal || v.IsCompound {
		return "", errors.New("not a string")
	}
	var s string
	switch v.Tag {
	case tagBMPString:
		if len(v.Bytes)%2 != 0 {
			return "", errors.New("BMPString of odd length")
		}
		units := make([]uint16, len(v.Bytes)/2)
		for i := range units {
			units[i] = uint16(v.Bytes[2*i])<<8 | uint16(v.Bytes[2*i+1])
		}
		s = string(utf16.Decode(units))
	case asn1.TagUTF8String, asn1.TagPrintableString, asn1.TagIA5String:
		if !utf8.Valid(v.Bytes) {
			return "", errors.New("invalid UTF-8")
		}
		s = string(v.Bytes)
	default:
		return "", errors.New("not a string")
	}
	return strings.TrimRight(s, "\x00"), nil
}
