package plain

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Quickstart does the job of examples/quickstart as a plain Go service: a
// REST API over the items topic (POST, PUT and DELETE produce; GET reads
// the latest value per key from a consumer's in-memory table, with ETags)
// and Server-Sent Events of the topic, with net/http and one franz-go
// client. It listens first, as sluice does, then catches up on the topic.
func Quickstart(addr, brokers, topic string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(0))
	if err != nil {
		return err
	}
	defer cl.Close()
	q := &quickstart{cl: cl, items: map[string]*kgo.Record{}, subscribers: map[chan *kgo.Record]string{}}
	go q.consume()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /items", func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			key = randomID()
		}
		q.produce(w, r, key, true)
	})
	mux.HandleFunc("PUT /items/{id}", func(w http.ResponseWriter, r *http.Request) { q.produce(w, r, r.PathValue("id"), true) })
	mux.HandleFunc("DELETE /items/{id}", func(w http.ResponseWriter, r *http.Request) { q.produce(w, r, r.PathValue("id"), false) })
	mux.HandleFunc("GET /items", q.list)
	mux.HandleFunc("GET /items/{id}", q.get)
	mux.HandleFunc("GET /events/items", func(w http.ResponseWriter, r *http.Request) { q.events(w, r, "") })
	mux.HandleFunc("GET /events/items/{id}", func(w http.ResponseWriter, r *http.Request) { q.events(w, r, r.PathValue("id")) })
	return http.Serve(ln, mux)
}

type quickstart struct {
	cl          *kgo.Client
	mu          sync.Mutex
	items       map[string]*kgo.Record      // latest value per key
	subscribers map[chan *kgo.Record]string // event-source clients and the key they follow ("" for all)
}

func (q *quickstart) consume() {
	for {
		fs := q.cl.PollFetches(context.Background())
		if fs.IsClientClosed() {
			return
		}
		fs.EachRecord(func(r *kgo.Record) {
			q.mu.Lock()
			defer q.mu.Unlock()
			if r.Value == nil {
				delete(q.items, string(r.Key))
			} else {
				q.items[string(r.Key)] = r
			}
			for ch, key := range q.subscribers {
				if key == "" || key == string(r.Key) {
					select {
					case ch <- r:
					default: // a slow client misses events: the usual shortcut
					}
				}
			}
		})
	}
}

func (q *quickstart) produce(w http.ResponseWriter, r *http.Request, key string, withBody bool) {
	rec := &kgo.Record{Key: []byte(key)}
	if withBody {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rec.Value = body
		rec.Headers = []kgo.RecordHeader{{Key: "content-type", Value: []byte(r.Header.Get("Content-Type"))}}
	}
	if err := q.cl.ProduceSync(r.Context(), rec).FirstErr(); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (q *quickstart) list(w http.ResponseWriter, r *http.Request) {
	q.mu.Lock()
	keys := make([]string, 0, len(q.items))
	for k := range q.items {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	values := make([][]byte, len(keys))
	for i, k := range keys {
		values[i] = q.items[k].Value
	}
	q.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(append([]byte("["), bytes.Join(values, []byte(","))...), ']'))
}

func (q *quickstart) get(w http.ResponseWriter, r *http.Request) {
	q.mu.Lock()
	rec := q.items[r.PathValue("id")]
	q.mu.Unlock()
	if rec == nil {
		http.NotFound(w, r)
		return
	}
	etag := fmt.Sprintf(`"%d-%d"`, rec.Partition, rec.Offset)
	w.Header().Set("Etag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	for _, h := range rec.Headers {
		if h.Key == "content-type" {
			w.Header().Set("Content-Type", string(h.Value))
		}
	}
	w.Write(rec.Value)
}

func (q *quickstart) events(w http.ResponseWriter, r *http.Request, key string) {
	ch := make(chan *kgo.Record, 16)
	q.mu.Lock()
	q.subscribers[ch] = key
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		delete(q.subscribers, ch)
		q.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	fl := w.(http.Flusher)
	fl.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case rec := <-ch:
			// A value's lines become data lines of one event.
			data := bytes.ReplaceAll(rec.Value, []byte("\n"), []byte("\ndata:"))
			fmt.Fprintf(w, "id:%d/%d\ndata:%s\n\n", rec.Partition, rec.Offset, data)
			fl.Flush()
		}
	}
}

func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
