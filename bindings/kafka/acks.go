package kafka

import (
	"runtime"
	"sync"
)

// ackers are the goroutines that take produce outcomes from franz-go to
// the streams. franz-go reports outcomes on one promise goroutine per
// batch; running each stream's ack there (the AckEx, then every binding
// back to the HTTP response and its socket write) would make that
// goroutine the bottleneck of every produce. It only queues the session
// instead, and a few long-lived goroutines, one per core, run the streams:
// unlike a goroutine per ack (Stream.Go), they keep the stack the path
// back to the socket needs.
type ackers struct {
	once  sync.Once
	queue chan *produceSession
	done  chan struct{}
	wg    sync.WaitGroup
}

// ackQueue bounds the sessions waiting for an acker; beyond it, an ack
// takes a goroutine of its own rather than hold franz-go up.
const ackQueue = 4096

// start starts the goroutines, once.
func (a *ackers) start() {
	a.once.Do(func() {
		a.queue, a.done = make(chan *produceSession, ackQueue), make(chan struct{})
		for range runtime.GOMAXPROCS(0) {
			a.wg.Add(1)
			go a.run()
		}
	})
}

func (a *ackers) run() {
	defer a.wg.Done()
	for {
		select {
		case p := <-a.queue:
			p.st.s.Execute(p.outcomes)
		case <-a.done:
			return
		}
	}
}

// handOutcomes schedules a session's arrived outcomes on its Executor.
func (c *cluster) handOutcomes(p *produceSession) {
	select {
	case <-c.ackers.done: // stopped: the cluster is closing
	default:
		select {
		case c.ackers.queue <- p:
			return
		default:
		}
	}
	p.st.s.Go(p.outcomes)
}

// stop ends the goroutines once the producers are closed; outcomes still
// queued go out on goroutines of their own.
func (a *ackers) stop() {
	if a.done == nil {
		return
	}
	close(a.done)
	a.wg.Wait()
	for {
		select {
		case p := <-a.queue:
			p.st.s.Go(p.outcomes)
		default:
			return
		}
	}
}
