package spectest

import (
	"context"
	"sync"
)

// arrivals hands connections or streams to accept blocks in script order:
// the k-th to arrive for a URI goes to the k-th accept block of that URI,
// whichever block asks first. One goroutine receives them, for the run.
type arrivals[T any] struct {
	once    sync.Once
	mu      sync.Mutex
	got     []T
	changed chan struct{} // closed and replaced on each arrival
}

// take returns arrival k. ctx is the run's context: it also ends the
// receiving goroutine.
func (a *arrivals[T]) take(ctx context.Context, k int, src <-chan T) (T, error) {
	a.once.Do(func() {
		a.changed = make(chan struct{})
		go a.receive(ctx, src)
	})
	for {
		a.mu.Lock()
		if len(a.got) > k {
			v := a.got[k]
			a.mu.Unlock()
			return v, nil
		}
		changed := a.changed
		a.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
}

func (a *arrivals[T]) receive(ctx context.Context, src <-chan T) {
	for {
		select {
		case v := <-src:
			a.mu.Lock()
			a.got = append(a.got, v)
			close(a.changed)
			a.changed = make(chan struct{})
			a.mu.Unlock()
		case <-ctx.Done():
			return
		}
	}
}

// ordering keeps one arrivals list per URI for a run.
type ordering[T any] struct {
	mu sync.Mutex
	m  map[string]*arrivals[T]
}

func (o *ordering[T]) of(uri string) *arrivals[T] {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[string]*arrivals[T]{}
	}
	a, ok := o.m[uri]
	if !ok {
		a = &arrivals[T]{}
		o.m[uri] = a
	}
	return a
}
