package kafka

import (
	"sync"
	"sync/atomic"
	"time"
)

// deadlines watches the produce sessions that have records in flight and
// tells a session when its oldest record is past its deadline. franz-go
// fails a record that was never sent once deliveryTimeout passes, but
// keeps one that is in flight until it knows its fate, so that idempotent
// retries cannot duplicate it (letting it cancel those costs most of the
// throughput). A stream does not wait that long: the record is reported
// failed at its deadline, and its late outcome is ignored.
//
// One sweep a second per cluster, while any session waits, replaces a
// timer per stream: a produce stream then costs no timer allocation and no
// timer heap operations, only two list operations under a lock.
type deadlines struct {
	mu       sync.Mutex
	head     *produceSession // sessions watched, linked through watchPrev/watchNext
	sweeping bool
}

// sweepInterval is how often the watched sessions are checked: a record is
// reported timed out at most this long after its deadline.
func sweepInterval() time.Duration { return min(time.Second, deliveryTimeout/10) }

// watch adds a session with records in flight, on its Executor.
func (d *deadlines) watch(p *produceSession) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if p.watched {
		return
	}
	p.watched = true
	p.watchPrev, p.watchNext = nil, d.head
	if d.head != nil {
		d.head.watchPrev = p
	}
	d.head = p
	if !d.sweeping {
		d.sweeping = true
		time.AfterFunc(sweepInterval(), d.sweep)
	}
}

// unwatch removes a session, on its Executor.
func (d *deadlines) unwatch(p *produceSession) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !p.watched {
		return
	}
	p.watched = false
	if p.watchPrev != nil {
		p.watchPrev.watchNext = p.watchNext
	} else {
		d.head = p.watchNext
	}
	if p.watchNext != nil {
		p.watchNext.watchPrev = p.watchPrev
	}
	p.watchPrev, p.watchNext = nil, nil
}

// sweep hands every session whose oldest record is past its deadline to
// its Executor, and comes back while any session is watched.
func (d *deadlines) sweep() {
	now := time.Now().UnixNano()
	var due []*produceSession
	d.mu.Lock()
	for p := d.head; p != nil; p = p.watchNext {
		if dl := p.oldest.Load(); dl != 0 && dl <= now {
			due = append(due, p)
		}
	}
	d.sweeping = d.head != nil
	if d.sweeping {
		time.AfterFunc(sweepInterval(), d.sweep)
	}
	d.mu.Unlock()
	for _, p := range due {
		p.st.s.Execute(p.expire)
	}
}

// oldestDeadline is what a session tells the sweep: the deadline of its
// oldest record in flight, in unix nanoseconds (0: none).
type oldestDeadline = atomic.Int64
