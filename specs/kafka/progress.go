package kafka

import (
	"encoding/base64"
	"slices"
	"strings"
)

// Progress is the next offset to read per partition, sorted by partition:
// where a reader stands. It is what http-kafka ETags, sse-kafka event ids
// and grpc-kafka message ids carry, in the binary form below, so that any
// instance can resume a reader from it.
//
//	uint8  kind = 1
//	varint partition count            (zigzag varint32)
//	repeat count:
//	  varint partition id             (zigzag varint32)
//	  varint next offset              (zigzag varint64)
//
// Zigzag varints are protobuf's sint32/sint64: (n << 1) ^ (n >> 63), in
// 7-bit groups, least significant first, high bit set on every byte but
// the last. The text form is base64url with `=` padding. Only partitions
// with id >= 0 are encoded. Example: {p0: 2, p1: 1} is bytes 01 04 00 04 02
// 02, text "AQQABAIC".
type Progress []PartitionOffset

const progressKind = 1

// Offset returns the next offset of a partition, and whether it is listed.
func (p Progress) Offset(partition int32) (int64, bool) {
	i, ok := slices.BinarySearchFunc(p, partition, func(po PartitionOffset, id int32) int {
		return int(po.Partition) - int(id)
	})
	if !ok {
		return 0, false
	}
	return p[i].Offset, true
}

// AppendBinary appends the binary form (grpc-kafka's reliability field) to
// dst.
func (p Progress) AppendBinary(dst []byte) []byte {
	n := 0
	for _, po := range p {
		if po.Partition >= 0 {
			n++
		}
	}
	dst = append(dst, progressKind)
	dst = appendZigzag(dst, int64(n))
	for _, po := range p {
		if po.Partition >= 0 {
			dst = appendZigzag(dst, int64(po.Partition))
			dst = appendZigzag(dst, po.Offset)
		}
	}
	return dst
}

// String returns the text form: base64url of the binary form, padded.
func (p Progress) String() string {
	var buf [64]byte
	return base64.URLEncoding.EncodeToString(p.AppendBinary(buf[:0]))
}

// DecodeProgress decodes the text form as http-kafka (If-None-Match) and
// sse-kafka (Last-Event-ID) read it: only the part before the first `/`
// counts (the rest is a Kafka etag header value), and it must be padded
// base64url of a valid binary form. Anything else reports false: the
// caller treats it as no position at all, never as an error.
func DecodeProgress(text string) (Progress, bool) {
	if i := strings.IndexByte(text, '/'); i >= 0 {
		text = text[:i]
	}
	if text == "" || len(text)%4 != 0 {
		return nil, false
	}
	b, err := base64.URLEncoding.DecodeString(text)
	if err != nil {
		return nil, false
	}
	return DecodeProgressBinary(b)
}

// DecodeProgressUnpadded is DecodeProgress for text whose `=` padding may
// be missing, as grpc-kafka's last-message-id metadata allows.
func DecodeProgressUnpadded(text string) (Progress, bool) {
	if i := strings.IndexByte(text, '/'); i >= 0 {
		text = text[:i]
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(text, "="))
	if err != nil || len(b) == 0 {
		return nil, false
	}
	return DecodeProgressBinary(b)
}

// DecodeProgressBinary decodes the binary form. It reports false on a
// wrong kind, a truncated or overlong varint, trailing bytes, a negative
// count, or an out-of-range partition id. The result is sorted by
// partition; a partition listed twice keeps its last offset.
func DecodeProgressBinary(b []byte) (Progress, bool) {
	if len(b) == 0 || b[0] != progressKind {
		return nil, false
	}
	b = b[1:]
	n, b, ok := readZigzag(b)
	if !ok || n < 0 || n > int64(len(b)) { // each entry takes at least 2 bytes
		return nil, false
	}
	p := make(Progress, 0, n)
	for range n {
		var id, off int64
		if id, b, ok = readZigzag(b); !ok || id < 0 || id > 1<<31-1 {
			return nil, false
		}
		if off, b, ok = readZigzag(b); !ok {
			return nil, false
		}
		p = append(p, PartitionOffset{Partition: int32(id), Offset: off})
	}
	if len(b) != 0 {
		return nil, false
	}
	return p.normalize(), true
}

// normalize sorts by partition, keeping the last offset of a partition
// listed twice.
func (p Progress) normalize() Progress {
	slices.SortStableFunc(p, func(a, b PartitionOffset) int { return int(a.Partition) - int(b.Partition) })
	out := p[:0]
	for i, po := range p {
		if i+1 < len(p) && p[i+1].Partition == po.Partition {
			continue
		}
		out = append(out, po)
	}
	return out
}

func appendZigzag(dst []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for u >= 0x80 {
		dst = append(dst, byte(u)|0x80)
		u >>= 7
	}
	return append(dst, byte(u))
}

func readZigzag(b []byte) (int64, []byte, bool) {
	var u uint64
	for i := 0; i < len(b) && i < 10; i++ {
		c := b[i]
		u |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return int64(u>>1) ^ -int64(u&1), b[i+1:], true
		}
	}
	return 0, b, false
}
