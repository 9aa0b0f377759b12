package main

import (
	"context"
	"log"
	"net/http"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	_ "github.com/sluicehq/sluice/bindings/http"
	_ "github.com/sluicehq/sluice/bindings/httpkafka"
	_ "github.com/sluicehq/sluice/bindings/kafka"
	_ "github.com/sluicehq/sluice/bindings/tcp"
	"github.com/sluicehq/sluice/cmd/sluice/cli"
)

// serveSluice runs the pipeline in this process: the standard sluice build
// does not have the kafka bindings yet, so the bench is its own build.
// SLUICE_BENCH_PROFILE names a folder where it writes CPU and allocation
// profiles.
func serveSluice(config string) {
	args := []string{"start", "-c", config}
	if dir := os.Getenv("SLUICE_BENCH_PROFILE"); dir != "" {
		args = append(args, "-cpuprofile", dir+"/cpu.pprof", "-memprofile", dir+"/mem.pprof")
	}
	os.Exit(cli.Main(args, os.Stdout, os.Stderr))
}

// servePlain answers every GET with the bytes sluice answers the cached
// item with: 200, content-type, etag, content-length and the value.
func servePlain(addr, etag string) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Etag", etag)
		w.Header().Set("Content-Length", itoa(len(itemValue)))
		w.WriteHeader(http.StatusOK)
		w.Write(itemValue)
	})
	log.Fatal(http.ListenAndServe(addr, h))
}

// serveResponder answers the requests of the request-reply measures: for
// every record of the request topic, a reply with the same correlation id
// on the topic its reply-to header names. Replies are produced without
// waiting for each other, so the responder adds no queueing of its own.
func serveResponder(brokers, topics string) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...), kgo.ConsumeTopics(strings.Split(topics, ",")...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.ProducerLinger(0), kgo.FetchMaxWait(replyFetchWait))
	if err != nil {
		log.Fatal(err)
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
					log.Printf("responder reply: %v", err)
				}
			})
		})
	}
}
