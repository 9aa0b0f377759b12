package httpkafka

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/bench/internal/harness"
	"github.com/sluicehq/sluice/bench/internal/hist"
)

// closedLoop runs fn on conns goroutines, each calling it again as soon as
// it returns, for the warm-up plus the duration, and returns the rate and
// latency percentiles (µs) of the calls that started after the warm-up.
func closedLoop(conns int, duration time.Duration, fn func() error) harness.LoadResult {
	start := time.Now()
	measureFrom, end := start.Add(harness.Warmup), start.Add(harness.Warmup+duration)
	var h hist.Histogram
	var errs harness.Errors
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			for {
				t0 := time.Now()
				if t0.After(end) {
					return
				}
				if err := fn(); err != nil {
					errs.Add(err)
					return
				}
				if t0.After(measureFrom) {
					h.Record(time.Since(t0))
				}
			}
		})
	}
	wg.Wait()
	harness.Check(errs.Err())
	s := hist.Summarize(h.Snapshot(false))
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	return harness.LoadResult{RPS: float64(s.N) / duration.Seconds(), P50: us(s.P50), P99: us(s.P99)}
}

// producerReference produces records like the events POST /events makes,
// with a franz-go producer configured as the kafka binding's (acks=all,
// idempotent, no linger), each goroutine waiting for its ack.
func producerReference(env *harness.Env, topic string) harness.LoadResult {
	cl := env.KafkaClient(kgo.ProducerLinger(0))
	defer cl.Close()
	ctx := context.Background()
	return closedLoop(Conns, env.Duration, func() error {
		rec := &kgo.Record{Topic: topic, Key: []byte(uuid()), Value: eventValue,
			Headers: []kgo.RecordHeader{{Key: "content-type", Value: []byte("application/json")}}}
		return cl.ProduceSync(ctx, rec).FirstErr()
	})
}

// roundTripReference does the request-reply of POST /orders directly: it
// produces a request with a reply-to and a correlation id, and waits for
// the responder's reply on a consumer of the reply topic. The returned
// function makes one round trip; stop stops the client.
func roundTripReference(env *harness.Env, requests, replies string) (roundTrip func() error, stop func()) {
	cl := env.KafkaClient(kgo.ProducerLinger(0), kgo.ConsumeTopics(replies),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()), kgo.FetchMaxWait(replyFetchWait))
	var mu sync.Mutex
	waiting := map[string]chan error{}
	ctx, cancel := context.WithCancel(context.Background())
	cl.ForceMetadataRefresh()
	go func() {
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			fs.EachRecord(func(r *kgo.Record) {
				for _, h := range r.Headers {
					if h.Key != correlationIDHeader {
						continue
					}
					mu.Lock()
					ch := waiting[string(h.Value)]
					delete(waiting, string(h.Value))
					mu.Unlock()
					if ch != nil {
						ch <- nil
					}
				}
			})
		}
	}()
	time.Sleep(time.Second) // the consumer joins the end of the reply topic
	return func() error {
		cid := uuid()
		ch := make(chan error, 2)
		mu.Lock()
		waiting[cid] = ch
		mu.Unlock()
		rec := &kgo.Record{Topic: requests, Key: []byte(cid), Value: orderValue, Headers: []kgo.RecordHeader{
			{Key: "content-type", Value: []byte("application/json")},
			{Key: replyToHeader, Value: []byte(replies)},
			{Key: correlationIDHeader, Value: []byte(cid)},
		}}
		cl.Produce(ctx, rec, func(_ *kgo.Record, err error) {
			if err != nil {
				ch <- err
			}
		})
		select {
		case err := <-ch:
			return err
		case <-time.After(10 * time.Second):
			return fmt.Errorf("no reply to %s within 10s", cid)
		}
	}, func() { cancel(); cl.Close() }
}

// produceItem writes the item GET /items/1 reads.
func produceItem(env *harness.Env, topic string) {
	cl := env.KafkaClient()
	defer cl.Close()
	rec := &kgo.Record{Topic: topic, Key: []byte("1"), Value: itemValue,
		Headers: []kgo.RecordHeader{{Key: "content-type", Value: []byte("application/json")}}}
	harness.Check(cl.ProduceSync(context.Background(), rec).FirstErr())
}

// fixedRate calls fn at a fixed rate for the warm-up plus the duration,
// each call on one of workers goroutines, and returns the rate achieved
// and the latency percentiles (µs) of the calls due after the warm-up.
// Each call is timed from when it was due, not from when a worker took it:
// when the workers fall behind, the wait counts (no coordinated omission).
func fixedRate(rate, workers int, duration time.Duration, fn func() error) harness.LoadResult {
	interval := time.Second / time.Duration(rate)
	total := int((harness.Warmup + duration) / interval)
	start := time.Now().Add(10 * time.Millisecond)
	measureFrom := start.Add(harness.Warmup)
	due := make(chan time.Time, total)
	var h hist.Histogram
	var errs harness.Errors
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for d := range due {
				if err := fn(); err != nil {
					errs.Add(err)
					continue
				}
				if !d.Before(measureFrom) {
					h.Record(time.Since(d))
				}
			}
		})
	}
	for i := range total {
		d := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(d))
		due <- d
	}
	close(due)
	wg.Wait()
	harness.Check(errs.Err())
	s := hist.Summarize(h.Snapshot(false))
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	return harness.LoadResult{RPS: float64(s.N) / duration.Seconds(), P50: us(s.P50), P99: us(s.P99)}
}

// orderClient POSTs orders to sluice over keep-alive HTTP/1.1 connections,
// one request at a time per connection.
func orderClient(url string, conns int) func() error {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
	return func() error {
		resp, err := client.Post(url, "application/json", bytes.NewReader(orderValue))
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("POST %s: %s", url, resp.Status)
		}
		return nil
	}
}
