package httpkafka

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/bench/internal/harness"
)

func init() {
	// httpkafka.item ADDR ETAG
	harness.Role("httpkafka.item", func(args []string) error { return serveItem(args[0], args[1]) })
	// httpkafka.responder BROKERS TOPIC,TOPIC
	harness.Role("httpkafka.responder", func(args []string) error { return serveResponder(args[0], args[1]) })
	// httpkafka.producer ADDR BROKERS TOPIC
	harness.Role("httpkafka.producer", func(args []string) error { return serveProducer(args[0], args[1], args[2]) })
}

// serveItem answers every GET with the bytes sluice answers the cached
// item with: 200, content-type, etag, content-length and the value.
func serveItem(addr, etag string) error {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Etag", etag)
		w.Header().Set("Content-Length", strconv.Itoa(len(itemValue)))
		w.WriteHeader(http.StatusOK)
		w.Write(itemValue)
	})
	return http.ListenAndServe(addr, h)
}

// serveProducer is POST /events written as a plain Go service: net/http,
// and a franz-go producer configured as the kafka binding's (acks=all,
// idempotent, no linger); 204 once Kafka acknowledged the record.
func serveProducer(addr, brokers, topic string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...), kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(0))
	if err != nil {
		return err
	}
	defer cl.Close()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rec := &kgo.Record{Key: []byte(uuid()), Value: body,
			Headers: []kgo.RecordHeader{{Key: "content-type", Value: []byte(r.Header.Get("Content-Type"))}}}
		if err := cl.ProduceSync(r.Context(), rec).FirstErr(); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return http.ListenAndServe(addr, h)
}

// serveResponder answers the requests of the request-reply measures: for
// every record of the request topics, a reply with the same correlation
// id on the topic its reply-to header names. Replies are produced without
// waiting for each other, so the responder adds no queueing of its own.
func serveResponder(brokers, topics string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...), kgo.ConsumeTopics(strings.Split(topics, ",")...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.ProducerLinger(0), kgo.FetchMaxWait(replyFetchWait))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx := context.Background()
	for {
		fetches := cl.PollFetches(ctx)
		fetches.EachError(func(t string, p int32, err error) { log.Printf("responder fetch %s/%d: %v", t, p, err) })
		fetches.EachRecord(func(r *kgo.Record) {
			var replyTo, cid []byte
			for _, h := range r.Headers {
				switch h.Key {
				case replyToHeader:
					replyTo = h.Value
				case correlationIDHeader:
					cid = h.Value
				}
			}
			if replyTo == nil || cid == nil {
				return
			}
			cl.Produce(ctx, &kgo.Record{Topic: string(replyTo), Key: r.Key, Value: r.Value, Headers: []kgo.RecordHeader{
				{Key: ":status", Value: []byte("200")},
				{Key: "content-type", Value: []byte("application/json")},
				{Key: correlationIDHeader, Value: cid},
			}}, func(_ *kgo.Record, err error) {
				if err != nil {
					log.Print(fmt.Errorf("responder reply: %w", err))
				}
			})
		})
	}
}
