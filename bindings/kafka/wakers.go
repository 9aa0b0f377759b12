package kafka

import (
	"runtime"
	"sync"
)

// wakers run the cache readers a new record woke. Handing each reader to
// Stream.Go would start a goroutine per reader per record (the Executor
// has none of its own), whose stack then grows to the depth of the path
// to the client's socket: with thousands of readers of one topic, that was
// a tenth of the fan-out's CPU. A few long-lived goroutines, one per core,
// run the readers' pumps instead, in chunks, each on its reader's Executor
// (Stream.Execute: at once when it is idle, queued behind its frames
// otherwise). They hold no lock of the cache while doing so.
type wakers struct {
	once  sync.Once
	queue chan []*cacheReader
	done  chan struct{}
	wg    sync.WaitGroup
}

// wakeChunk is how many readers a waker takes at a time: enough to make
// the hand-over cheap, few enough that both cores share a burst.
const wakeChunk = 32

func (w *wakers) start() {
	w.once.Do(func() {
		w.queue, w.done = make(chan []*cacheReader, 1024), make(chan struct{})
		for range runtime.GOMAXPROCS(0) {
			w.wg.Add(1)
			go w.run()
		}
	})
}

func (w *wakers) run() {
	defer w.wg.Done()
	for {
		select {
		case readers := <-w.queue:
			for _, r := range readers {
				r.s.Execute(r.pumpFn)
			}
		case <-w.done:
			return
		}
	}
}

// wake runs the readers' pumps; chunks the wakers cannot take now (or
// once stopped) go to goroutines of their own.
func (w *wakers) wake(readers []*cacheReader) {
	for len(readers) > 0 {
		n := min(len(readers), wakeChunk)
		chunk := readers[:n:n]
		readers = readers[n:]
		select {
		case <-w.done: // stopped: the cache is closing
		case w.queue <- chunk:
			continue
		default:
		}
		for _, r := range chunk {
			r.s.Go(r.pumpFn)
		}
	}
}

// stop ends the goroutines; chunks still queued are run on goroutines of
// their own.
func (w *wakers) stop() {
	w.start() // so that done and queue exist
	select {
	case <-w.done:
		return
	default:
	}
	close(w.done)
	w.wg.Wait()
	for {
		select {
		case readers := <-w.queue:
			for _, r := range readers {
				r.s.Go(r.pumpFn)
			}
		default:
			return
		}
	}
}
