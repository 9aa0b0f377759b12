package http

import "github.com/sluicehq/sluice/engine"

// outQueue holds the bytes a connection has yet to send to its tcp stream.
// Small writes (status lines, headers, frame headers, chunk sizes)
// accumulate in tail, which is handed over whole; large payloads received
// from exits are queued as they are, without copying, since the frame that
// brought them passed them to us.
type outQueue struct {
	segs [][]byte
	n    int
	tail []byte
}

// smallWrite is the size below which a payload is copied into tail rather
// than queued as a segment of its own: one write of a few hundred bytes is
// cheaper than one more frame and writev entry.
const smallWrite = 2048

func (q *outQueue) write(b []byte) {
	if q.tail == nil {
		q.tail = make([]byte, 0, 512)
	}
	q.tail = append(q.tail, b...)
	q.n += len(b)
}

func (q *outQueue) writeString(s string) {
	if q.tail == nil {
		q.tail = make([]byte, 0, 512)
	}
	q.tail = append(q.tail, s...)
	q.n += len(s)
}

// writeOwned queues a payload the caller hands over.
func (q *outQueue) writeOwned(b []byte) {
	if len(b) < smallWrite {
		q.write(b)
		return
	}
	q.seal()
	q.segs = append(q.segs, b)
	q.n += len(b)
}

// seal turns the tail into a segment.
func (q *outQueue) seal() {
	if len(q.tail) > 0 {
		q.segs = append(q.segs, q.tail)
		q.tail = nil
	}
}

// flush sends what the stream's credit allows.
func (q *outQueue) flush(s *engine.Stream) {
	q.seal()
	for len(q.segs) > 0 {
		credit := s.Credit()
		if credit <= 0 {
			return
		}
		seg := q.segs[0]
		if len(seg) <= credit {
			q.segs[0] = nil
			q.segs = q.segs[1:]
			q.n -= len(seg)
			s.Data(engine.FlagsComplete, seg, nil)
			continue
		}
		s.Data(engine.FlagsComplete, seg[:credit], nil)
		q.segs[0] = seg[credit:]
		q.n -= credit
	}
	if len(q.segs) == 0 {
		q.segs = nil
	}
}

func (q *outQueue) empty() bool { return q.n == 0 }
