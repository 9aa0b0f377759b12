package kafka

import (
	"bytes"
	"hash/maphash"
	"slices"
	"time"

	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// partitionLog is the cache of one partition: the records the cache tail
// fetched, in offset order, bounded by bytes and optionally by age, with
// indexes on keys and header values. On a compacted topic a record whose
// key appears again later is superseded: its value is dropped at once and
// readers skip it, so what stays is the latest value per key (tombstones
// included, as they are what tells a reader a key was deleted).
//
// A partitionLog is guarded by its topicCache's lock.
type partitionLog struct {
	id        int32
	compacted bool

	entries []cacheEntry // entries[head:] are live, by increasing offset
	head    int
	// start is the lowest offset from which the log holds every record
	// Kafka has (but superseded ones); floor is the earliest offset Kafka
	// held when the tail began. Readers below start lost [max(pos,
	// floor), start) to eviction.
	start, floor int64
	// next is the offset after the last record appended: where the tail
	// stands.
	next int64
	// latest is the partition's end when the tail began: the tail has
	// caught up on this partition once next reaches it.
	latest int64

	bytes      int64
	superseded int

	// index maps a hash of a key, or of a header name and value, to the
	// offsets of the records that carry it; latestByKey maps a key hash to
	// the offset of the newest record with that key (compacted topics).
	index       map[uint64]*postings
	latestByKey map[uint64]int64
}

// cacheEntry is one cached record.
type cacheEntry struct {
	record
	size       int32
	superseded bool
	arrived    int64 // unix nanoseconds, for age eviction
}

// postings lists the offsets of the records that carry one key or header
// value, ascending.
type postings struct {
	offsets []int64
	head    int
}

var hashSeed = maphash.MakeSeed()

// Hash domains keep keys and headers apart in one index.
const (
	hashKey    byte = 'k'
	hashHeader byte = 'h'
)

func keyHash(key []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(hashSeed)
	h.WriteByte(hashKey)
	h.Write(key)
	return h.Sum64()
}

func headerHash(name string, value []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(hashSeed)
	h.WriteByte(hashHeader)
	h.WriteString(name)
	h.WriteByte(0)
	h.Write(value)
	return h.Sum64()
}

func newPartitionLog(id int32, start, earliest, latest int64, compacted bool) *partitionLog {
	return &partitionLog{id: id, compacted: compacted, start: start, floor: earliest, next: start, latest: latest,
		index: map[uint64]*postings{}, latestByKey: map[uint64]int64{}}
}

// live returns the live entries.
func (l *partitionLog) live() []cacheEntry { return l.entries[l.head:] }

// find returns the index in live() of the first entry at or after offset.
func (l *partitionLog) find(offset int64) int {
	live := l.live()
	i, _ := slices.BinarySearchFunc(live, offset, func(e cacheEntry, o int64) int { return cmpInt64(e.offset, o) })
	return i
}

// at returns the live entry with exactly this offset.
func (l *partitionLog) at(offset int64) *cacheEntry {
	live := l.live()
	i := l.find(offset)
	if i < len(live) && live[i].offset == offset {
		return &live[i]
	}
	return nil
}

// append adds a fetched record; a control record only moves next.
func (l *partitionLog) append(r record, now int64) {
	if r.offset < l.next {
		return // already held: a tail reopened at an older offset
	}
	l.next = r.offset + 1
	if r.control {
		return
	}
	e := cacheEntry{record: r, size: int32(r.size()), arrived: now}
	if r.key != nil {
		kh := keyHash(r.key)
		l.post(kh, r.offset)
		if l.compacted {
			if prev, ok := l.latestByKey[kh]; ok {
				if old := l.at(prev); old != nil && !old.superseded && bytes.Equal(old.key, r.key) {
					l.supersede(old)
				}
			}
			l.latestByKey[kh] = r.offset
		}
	}
	for _, h := range r.headers {
		l.post(headerHash(h.Name, h.Value), r.offset)
	}
	l.entries = append(l.entries, e)
	l.bytes += int64(e.size)
}

// supersede drops a record's value and headers because a newer record has
// its key; its slot stays, with the key, until it is evicted or the log is
// compacted.
func (l *partitionLog) supersede(e *cacheEntry) {
	for _, h := range e.headers {
		l.unpostOne(headerHash(h.Name, h.Value), e.offset)
	}
	e.superseded = true
	e.value, e.headers = nil, nil
	size := int32(recordOverhead + len(e.key))
	l.bytes -= int64(e.size - size)
	e.size = size
	l.superseded++
}

func (l *partitionLog) post(h uint64, offset int64) {
	p := l.index[h]
	if p == nil {
		p = &postings{}
		l.index[h] = p
	}
	p.offsets = append(p.offsets, offset)
}

// evictHead drops the oldest entry.
func (l *partitionLog) evictHead() {
	e := &l.entries[l.head]
	if e.key != nil {
		kh := keyHash(e.key)
		l.unpost(kh, e.offset)
		if off, ok := l.latestByKey[kh]; ok && off == e.offset {
			delete(l.latestByKey, kh)
		}
	}
	for _, h := range e.headers {
		l.unpost(headerHash(h.Name, h.Value), e.offset)
	}
	if e.superseded {
		l.superseded--
	}
	l.bytes -= int64(e.size)
	l.start = e.offset + 1
	*e = cacheEntry{}
	l.head++
	if l.head >= len(l.entries)/2 && l.head > 64 {
		n := copy(l.entries, l.entries[l.head:])
		clear(l.entries[n:])
		l.entries = l.entries[:n]
		l.head = 0
	}
}

// unpost removes an evicted offset from the front of a postings list.
// Superseded entries keep their key but not their headers, so a header
// posting may already be gone.
func (l *partitionLog) unpost(h uint64, offset int64) {
	p := l.index[h]
	if p == nil {
		return
	}
	for p.head < len(p.offsets) && p.offsets[p.head] <= offset {
		p.head++
	}
	if p.head == len(p.offsets) {
		delete(l.index, h)
		return
	}
	if p.head > 32 && p.head >= len(p.offsets)/2 {
		n := copy(p.offsets, p.offsets[p.head:])
		p.offsets = p.offsets[:n]
		p.head = 0
	}
}

// evict enforces the bounds: total bytes and, when maxAge > 0, the age of
// the oldest entry. On a compacted topic with many superseded slots, the
// slots are compacted away first.
func (l *partitionLog) evict(maxBytes int64, maxAge time.Duration, now int64) {
	if l.superseded > 1024 && l.superseded > len(l.live())/2 {
		l.compact()
	}
	for l.head < len(l.entries) {
		e := &l.entries[l.head]
		if l.bytes <= maxBytes && (maxAge <= 0 || now-e.arrived <= int64(maxAge)) {
			break
		}
		l.evictHead()
	}
}

// compact removes superseded slots. Their offsets stay in key postings
// lists until evicted, where readers skip them as missing entries.
func (l *partitionLog) compact() {
	live := l.live()
	out := l.entries[:0]
	for _, e := range live {
		if !e.superseded {
			out = append(out, e)
		} else {
			l.bytes -= int64(e.size)
			l.unpostOne(keyHash(e.key), e.offset)
		}
	}
	clear(l.entries[len(out):])
	l.entries, l.head, l.superseded = out, 0, 0
}

// unpostOne removes one offset from anywhere in a postings list.
func (l *partitionLog) unpostOne(h uint64, offset int64) {
	p := l.index[h]
	if p == nil {
		return
	}
	offs := p.offsets[p.head:]
	i, ok := slices.BinarySearch(offs, offset)
	for ok {
		p.offsets = slices.Delete(p.offsets, p.head+i, p.head+i+1)
		offs = p.offsets[p.head:]
		ok = i < len(offs) && offs[i] == offset
	}
	if p.head == len(p.offsets) {
		delete(l.index, h)
	}
}

// candidates returns the postings of a filter's most selective condition,
// or nil, false when the filter has no condition the index covers (it
// matches too widely for the index to help).
func (l *partitionLog) candidates(f *kafkaspec.Filter) ([]int64, bool) {
	var best []int64
	found := false
	consider := func(h uint64) {
		var offs []int64
		if p := l.index[h]; p != nil {
			offs = p.offsets[p.head:]
		}
		if !found || len(offs) < len(best) {
			best, found = offs, true
		}
	}
	if f.Key != nil {
		consider(keyHash(f.Key))
	}
	for _, h := range f.Headers {
		consider(headerHash(h.Name, h.Value))
	}
	return best, found
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
