package http

import "github.com/sluicehq/sluice/engine"

// outQueue holds the bytes a connection has yet to send to its tcp stream.
// Small writes (status lines, headers, frame headers, chunk sizes)
// accumulate in tail, which is handed over whole; large payloads received
// from exits are queued as they are, without copying, since the frame that
// brought them passed them to us.
//
// A tail is a buffer from engine.NewBuffer. Sent whole, it travels with
// engine.FlagPooled, so the tcp writer recycles it once the socket took
// it: a response written in one piece costs no allocation. A tail sent in
// parts is left to the garbage collector.
type outQueue struct {
	segs []outSeg
	n    int
	tail []byte
}

// outSeg is one queued payload; pooled says it is a whole buffer from
// engine.NewBuffer that nothing else references.
type outSeg struct {
	b      []byte
	pooled bool
}

// smallWrite is the size below which a payload is copied into tail rather
// than queued as a segment of its own: one write of a few hundred bytes is
// cheaper than one more frame and writev entry. It is also the size of a
// tail's buffer.
const smallWrite = 2048

// openTail returns the tail to append to, taking a buffer when there is
// none; a caller that appends stores the result back in tail and adds
// what it appended to n.
func (q *outQueue) openTail() []byte {
	if q.tail == nil {
		q.tail = engine.NewBuffer(smallWrite)[:0]
	}
	return q.tail
}

func (q *outQueue) write(b []byte) {
	q.tail = append(q.openTail(), b...)
	q.n += len(b)
}

func (q *outQueue) writeString(s string) {
	q.tail = append(q.openTail(), s...)
	q.n += len(s)
}

// writeOwned queues a payload the caller hands over.
func (q *outQueue) writeOwned(b []byte) {
	if len(b) < smallWrite {
		q.write(b)
		return
	}
	q.seal()
	q.segs = append(q.segs, outSeg{b: b})
	q.n += len(b)
}

// seal turns the tail into a segment.
func (q *outQueue) seal() {
	if len(q.tail) > 0 {
		// append may have outgrown the pooled buffer; a larger one is
		// the garbage collector's
		q.segs = append(q.segs, outSeg{b: q.tail, pooled: cap(q.tail) == smallWrite})
		q.tail = nil
	}
}

// flush sends what the stream's credit allows. With no credit the tail
// stays open, so that writes made until the window opens go out as one.
func (q *outQueue) flush(s *engine.Stream) {
	if s.Credit() <= 0 {
		return
	}
	q.seal()
	for len(q.segs) > 0 {
		credit := s.Credit()
		if credit <= 0 {
			return
		}
		seg := q.segs[0]
		if len(seg.b) <= credit {
			q.segs[0] = outSeg{}
			q.segs = q.segs[1:]
			q.n -= len(seg.b)
			flags := engine.FlagsComplete
			if seg.pooled {
				flags |= engine.FlagPooled
			}
			s.Data(flags, seg.b, nil)
			continue
		}
		s.Data(engine.FlagsComplete, seg.b[:credit], nil)
		q.segs[0] = outSeg{b: seg.b[credit:]}
		q.n -= credit
	}
	if len(q.segs) == 0 {
		q.segs = nil
	}
}

func (q *outQueue) empty() bool { return q.n == 0 }
