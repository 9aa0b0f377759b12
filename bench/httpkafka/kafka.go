package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/bench/internal/report"
)

const (
	replyToHeader       = "zilla:reply-to"
	correlationIDHeader = "zilla:correlation-id"
	// replyFetchWait is how long a reply consumer's fetch waits at the
	// broker when there is nothing new: replies arrive as soon as they are
	// written whatever it is.
	replyFetchWait = 100 * time.Millisecond
)

// The bytes every request sends and the cached item holds.
var (
	eventValue = []byte(`{"type":"page-view","user":"u-1234","page":"/pricing","at":"2026-11-22T10:00:00Z","agent":"bench"}`)
	orderValue = []byte(`{"item":"widget","quantity":2,"customer":"c-5678","note":"bench round trip, about 100 bytes"}`)
	itemValue  = []byte(`{"id":"1","name":"widget","description":"a cached item, read over and over by GET /items/1","price":{"amount":1250,"currency":"EUR"},"tags":["bench","cache","http-kafka"],"updated":"2026-11-22T10:00:00Z"}`)
)

// createTopics makes the run's topics, one partition each, items compacted.
func createTopics(brokers, prefix string) {
	cl := client(brokers)
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, t := range []string{"events", "events-ref", "requests", "requests-ref", "replies", "replies-ref", "items"} {
		configs := map[string]*string{}
		if t == "items" {
			compact := "compact"
			configs["cleanup.policy"] = &compact
		}
		resp, err := adm.CreateTopic(ctx, 1, 1, configs, prefix+"-"+t)
		if err == nil {
			err = resp.Err
		}
		if err != nil {
			log.Fatalf("create topic %s-%s: %v", prefix, t, err)
		}
	}
}

// produceItem writes the item GET /items/1 reads.
func produceItem(brokers, topic string) {
	cl := client(brokers)
	defer cl.Close()
	rec := &kgo.Record{Topic: topic, Key: []byte("1"), Value: itemValue,
		Headers: []kgo.RecordHeader{{Key: "content-type", Value: []byte("application/json")}}}
	if err := cl.ProduceSync(context.Background(), rec).FirstErr(); err != nil {
		log.Fatalf("produce item: %v", err)
	}
}

func client(brokers string, opts ...kgo.Opt) *kgo.Client {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(strings.Split(brokers, ",")...)}, opts...)...)
	if err != nil {
		log.Fatal(err)
	}
	return cl
}

// measure runs fn on conns goroutines for warm-up plus duration, and
// returns the rate and latency percentiles (µs) of the calls that started
// after the warm-up.
func measure(conns int, warmup, duration time.Duration, fn func() error) (rps, p50, p99 float64) {
	start := time.Now()
	measureFrom, end := start.Add(warmup), start.Add(warmup+duration)
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			var lat []time.Duration
			for {
				t0 := time.Now()
				if t0.After(end) {
					break
				}
				if err := fn(); err != nil {
					log.Fatal(err)
				}
				if t0.After(measureFrom) {
					lat = append(lat, time.Since(t0))
				}
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(all)
	return float64(len(all)) / duration.Seconds(),
		float64(report.Percentile(all, 50).Microseconds()), float64(report.Percentile(all, 99).Microseconds())
}

// producerReference produces records like the events POST /events makes,
// with a franz-go producer configured as the kafka binding's (acks=all,
// idempotent, no linger), each goroutine waiting for its ack.
func producerReference(brokers, topic string, conns int, warmup, duration time.Duration) (float64, float64, float64) {
	cl := client(brokers, kgo.ProducerLinger(0))
	defer cl.Close()
	ctx := context.Background()
	return measure(conns, warmup, duration, func() error {
		rec := &kgo.Record{Topic: topic, Key: []byte(uuid()), Value: eventValue,
			Headers: []kgo.RecordHeader{{Key: "content-type", Value: []byte("application/json")}}}
		return cl.ProduceSync(ctx, rec).FirstErr()
	})
}

// roundTripReference does the request-reply of POST /orders directly: it
// produces a request with a reply-to and a correlation id, and waits for
// the responder's reply on a consumer of the reply topic.
func roundTripReference(brokers, requests, replies string, conns int, warmup, duration time.Duration) (float64, float64, float64) {
	cl := client(brokers, kgo.ProducerLinger(0), kgo.ConsumeTopics(replies),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()), kgo.FetchMaxWait(replyFetchWait))
	defer cl.Close()
	var mu sync.Mutex
	waiting := map[string]chan error{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Make sure the consumer is positioned before the first request.
	cl.ForceMetadataRefresh()
	go func() {
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			fs.EachRecord(func(r *kgo.Record) {
				for _, h := range r.Headers {
					if h.Key == correlationIDHeader {
						mu.Lock()
						ch := waiting[string(h.Value)]
						delete(waiting, string(h.Value))
						mu.Unlock()
						if ch != nil {
							ch <- nil
						}
					}
				}
			})
		}
	}()
	time.Sleep(time.Second) // the consumer joins the end of the reply topic
	return measure(conns, warmup, duration, func() error {
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
			log.Fatalf("no reply to %s within 10s", cid)
		}
		return nil
	})
}

func uuid() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
