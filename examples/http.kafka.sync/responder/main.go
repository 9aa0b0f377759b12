// Command responder is the service behind the http.kafka.sync and
// http.kafka.async examples. It consumes the requests http-kafka produces
// and writes each reply where http-kafka looks for it: to the topic named
// by the request's zilla:reply-to header, with the request's
// zilla:correlation-id header.
//
//	go run ./responder -brokers localhost:9092 -topic items-requests
//
// The reply to a PUT or POST is the request body, with `:status: 200` and
// the request's content-type; the reply to a DELETE is `:status: 204`
// without a value. -delay holds each reply back, to watch an async request
// wait.
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	replyToHeader       = "zilla:reply-to"
	correlationIDHeader = "zilla:correlation-id"
)

func main() {
	brokers := flag.String("brokers", envOr("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092"), "Kafka bootstrap servers, comma separated")
	topic := flag.String("topic", "items-requests", "request topic")
	group := flag.String("group", "http-kafka-responder", "consumer group")
	delay := flag.Duration("delay", 0, "how long to hold each reply back")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	cl, err := kgo.NewClient(
		kgo.SeedBrokers(strings.Split(*brokers, ",")...),
		kgo.ConsumeTopics(*topic),
		kgo.ConsumerGroup(*group),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.ProducerLinger(0),
	)
	if err != nil {
		log.Error("kafka client", "error", err)
		os.Exit(1)
	}
	defer cl.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("responding", "topic", *topic, "group", *group, "brokers", *brokers)
	for ctx.Err() == nil {
		fetches := cl.PollFetches(ctx)
		fetches.EachError(func(t string, p int32, err error) {
			if ctx.Err() == nil {
				log.Warn("fetch", "topic", t, "partition", p, "error", err)
			}
		})
		fetches.EachRecord(func(r *kgo.Record) {
			reply, ok := respond(r)
			if !ok {
				log.Warn("request without reply-to or correlation id: ignored", "offset", r.Offset)
				return
			}
			if *delay > 0 {
				time.Sleep(*delay)
			}
			if err := cl.ProduceSync(ctx, reply).FirstErr(); err != nil && ctx.Err() == nil {
				log.Warn("reply", "topic", reply.Topic, "error", err)
				return
			}
			log.Info("replied", "request", header(r, ":method")+" "+header(r, ":path"), "reply-to", reply.Topic)
		})
	}
}

// respond makes the reply to a request record.
func respond(r *kgo.Record) (*kgo.Record, bool) {
	replyTo, cid := header(r, replyToHeader), header(r, correlationIDHeader)
	if replyTo == "" || cid == "" {
		return nil, false
	}
	reply := &kgo.Record{Topic: replyTo, Key: r.Key}
	if header(r, ":method") == "DELETE" {
		reply.Headers = append(reply.Headers, kgo.RecordHeader{Key: ":status", Value: []byte("204")})
	} else {
		reply.Value = r.Value
		reply.Headers = append(reply.Headers, kgo.RecordHeader{Key: ":status", Value: []byte("200")})
		if ct := header(r, "content-type"); ct != "" {
			reply.Headers = append(reply.Headers, kgo.RecordHeader{Key: "content-type", Value: []byte(ct)})
		}
	}
	reply.Headers = append(reply.Headers, kgo.RecordHeader{Key: correlationIDHeader, Value: []byte(cid)})
	return reply, true
}

func header(r *kgo.Record, name string) string {
	for _, h := range r.Headers {
		if h.Key == name {
			return string(h.Value)
		}
	}
	return ""
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
