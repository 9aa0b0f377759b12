package sse

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/bench/internal/harness"
	"github.com/sluicehq/sluice/bench/internal/hist"
)

// delivery is what one delivery measure saw on each server.
type delivery struct {
	lat []hist.Summary // per server, what its clients saw
	cpu []float64      // per server, CPU seconds used meanwhile
}

// deliver produces rate records a second into topic, each to key(i), for
// a warm-up second then the scenario's duration, and returns what the
// servers' clients saw during the latter.
//
// The schedule is fixed: record i is due at start + i/rate and carries
// that due time, not the time it was sent, so that a producer running
// late (the machine is busy) adds its lateness to the delays measured
// instead of hiding it (coordinated omission).
func deliver(env *harness.Env, servers []*server, ws []*workers, cl *kgo.Client, rate int, key func(i int) string, topic string) delivery {
	ctx, cancel := context.WithCancel(context.Background())
	var errs harness.Errors
	var wg sync.WaitGroup
	wg.Go(func() {
		start := time.Now()
		interval := time.Second / time.Duration(rate)
		for i := 0; ; i++ {
			due := start.Add(time.Duration(i) * interval)
			if wait := time.Until(due); wait > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			} else if ctx.Err() != nil {
				return
			}
			rec := &kgo.Record{Topic: topic, Key: []byte(key(i)), Value: strconv.AppendInt(nil, due.UnixNano(), 10)}
			cl.Produce(ctx, rec, func(_ *kgo.Record, err error) {
				if ctx.Err() == nil {
					errs.Add(err)
				}
			})
		}
	})
	time.Sleep(time.Second)
	for _, w := range ws {
		w.report() // discard the warm-up
	}
	d := delivery{cpu: make([]float64, len(servers))}
	for i, s := range servers {
		d.cpu[i] = -s.cpu()
	}
	time.Sleep(env.Duration)
	for i, s := range servers {
		d.cpu[i] += s.cpu()
	}
	for _, w := range ws {
		d.lat = append(d.lat, w.report())
	}
	cancel()
	wg.Wait()
	harness.Check(errs.Err())
	return d
}

// consume reads topic from its end with a franz-go consumer, timing each
// record from its due time; the returned function stops it and says what
// it saw after the first second (the deliveries' warm-up).
func consume(env *harness.Env, topic string) func() hist.Summary {
	cl := env.KafkaClient(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()), kgo.FetchMaxWait(time.Second))
	var h hist.Histogram
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			now := time.Now()
			fs.EachRecord(func(r *kgo.Record) {
				if ts, err := strconv.ParseInt(string(r.Value), 10, 64); err == nil && now.Sub(start) > time.Second {
					h.Record(time.Duration(now.UnixNano() - ts))
				}
			})
		}
	}()
	return func() hist.Summary {
		cancel()
		<-done
		cl.Close()
		return hist.Summarize(h.Snapshot(false))
	}
}
