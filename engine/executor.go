package engine

import (
	"fmt"
	"runtime/debug"
	"sync"
)

// An Executor runs frame deliveries and tasks one at a time, in the order
// they were submitted. Every stream endpoint belongs to exactly one
// Executor; all of a connection's streams usually share one, so a binding
// keeps its per-connection state without locks.
//
// An Executor has no goroutine of its own. Whoever submits work to an idle
// Executor runs it (and anything submitted meanwhile) on the spot; work
// submitted to a busy Executor is queued and run by the goroutine already
// draining it. Submitting never blocks on another Executor, so frames sent
// from inside a Receive to the same Executor are trampolined rather than
// recursed into.
type Executor struct {
	mu      sync.Mutex
	queue   itemRing
	running bool

	// current is the endpoint whose frame or task is running now; Open uses
	// it to record which stream a new stream was opened on behalf of.
	current *Stream

	// slot holds the item being run. Items run one at a time, so one
	// slot serves them all: run takes its address, which a local variable
	// would make escape to the heap once per frame.
	slot item
}

// item is one unit of work: a frame for an endpoint to receive or, with
// send, to send; or a task.
type item struct {
	to    *Stream
	frame Frame
	task  func()
	send  bool
}

// NewExecutor returns an idle Executor.
func NewExecutor() *Executor { return &Executor{} }

// Execute runs fn serially with every other item of the Executor. It runs
// at once on the caller's goroutine when the Executor is idle, otherwise
// after the items queued before it. fn must not block.
func (e *Executor) Execute(fn func()) {
	e.submit(item{task: fn})
}

// Go is like Execute but never runs fn on the caller's goroutine: when the
// Executor is idle a new goroutine drains it. Shared components that hold
// locks of their own use it to hand work to streams without re-entering
// themselves.
func (e *Executor) Go(fn func()) { e.post(item{task: fn}) }

// post queues it and, when the Executor is idle, drains it on a new goroutine.
func (e *Executor) post(it item) {
	e.mu.Lock()
	e.queue.push(it)
	if e.running {
		e.mu.Unlock()
		return
	}
	e.running = true
	e.mu.Unlock()
	go e.drain()
}

func (e *Executor) submit(it item) {
	e.mu.Lock()
	e.queue.push(it)
	if e.running {
		e.mu.Unlock()
		return
	}
	e.running = true
	e.mu.Unlock()
	e.drain()
}

func (e *Executor) drain() {
	for {
		e.mu.Lock()
		it, ok := e.queue.pop()
		if !ok {
			e.running = false
			e.mu.Unlock()
			return
		}
		e.mu.Unlock()
		e.slot = it
		e.run(&e.slot)
		e.slot = item{} // keep nothing the item referred to alive
	}
}

// run executes one item, containing a panic to the endpoint it was for.
func (e *Executor) run(it *item) {
	previous := e.current
	e.current = it.to
	defer func() {
		e.current = previous
		if r := recover(); r != nil {
			e.recovered(it, r)
		}
	}()
	switch {
	case (it.task != nil || it.send) && it.to != nil && it.to.failed:
		// the stream failed after this was queued
	case it.send:
		it.to.Send(it.frame)
	case it.task != nil:
		it.task()
	default:
		it.to.deliver(&it.frame)
	}
}

func (e *Executor) recovered(it *item, r any) {
	stack := debug.Stack()
	if it.to == nil {
		defaultLogger().Error("panic in executor task", "panic", fmt.Sprint(r), "stack", string(stack))
		return
	}
	it.to.fail(r, stack)
}

// itemRing is a growable ring buffer of items. A ring beats a channel here:
// submitters never block, and a drained queue costs no goroutine.
type itemRing struct {
	buf        []item
	head, size int
}

func (r *itemRing) push(it item) {
	if r.size == len(r.buf) {
		r.grow()
	}
	r.buf[(r.head+r.size)%len(r.buf)] = it
	r.size++
}

func (r *itemRing) pop() (item, bool) {
	if r.size == 0 {
		if len(r.buf) > 1024 {
			// release a large burst's memory once drained; smaller rings
			// stay, so a busy executor does not reallocate on every burst
			r.buf, r.head = nil, 0
		}
		return item{}, false
	}
	it := r.buf[r.head]
	r.buf[r.head] = item{}
	r.head = (r.head + 1) % len(r.buf)
	r.size--
	return it, true
}

func (r *itemRing) grow() {
	n := len(r.buf) * 2
	if n == 0 {
		n = 4
	}
	buf := make([]item, n)
	for i := 0; i < r.size; i++ {
		buf[i] = r.buf[(r.head+i)%len(r.buf)]
	}
	r.buf, r.head = buf, 0
}
