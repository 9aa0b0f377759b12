// Package httpkafkacache_test runs the http.kafka.cache example with the
// README's curl and kcat commands, on the embedded broker, or on real
// Kafka when KAFKA_BOOTSTRAP_SERVERS is set.
package httpkafkacache_test

import (
	"testing"
	"time"

	"github.com/sluicehq/sluice/examples/internal/httpkafkatest"
)

func TestCache(t *testing.T) {
	x := httpkafkatest.Start(t, ".", httpkafkatest.Topic{Name: "items-snapshots", Compacted: true, Cached: true})
	produce := func(lines string) {
		x.Kcat(t, lines, "-P", "-t", "items-snapshots", "-K", ":", "-H", "content-type=application/json")
	}
	produce("1:{\"name\":\"one\"}\n2:{\"name\":\"two\"}\n")

	var r *httpkafkatest.Response
	httpkafkatest.Eventually(t, "both items in the cache", func() bool {
		r = x.Curl(t, "/items")
		return r.Body == `[{"name":"one"},{"name":"two"}]`
	})
	r.Expect(t, 200, `[{"name":"one"},{"name":"two"}]`, "content-type", "application/json", "etag", "AQIABA==")
	x.Curl(t, "/items/1").Expect(t, 200, `{"name":"one"}`, "content-type", "application/json", "content-length", "14", "etag", "AQIAAg==")

	// Unchanged: 304 at once, or after the wait.
	x.Curl(t, "/items", "-H", "if-none-match: AQIABA==").Expect(t, 304, "", "etag", "AQIABA==")
	start := time.Now()
	x.Curl(t, "/items/2", "-H", "if-none-match: AQIABA==", "-H", "prefer: wait=1").Expect(t, 304, "", "etag", "AQIABA==")
	if d := time.Since(start); d < time.Second {
		t.Errorf("304 after %v, before the wait of 1s", d)
	}

	// Long-polls: each is answered the moment a newer record arrives.
	type result struct {
		r   *httpkafkatest.Response
		err error
	}
	poll := func(args ...string) chan result {
		ch := make(chan result, 1)
		go func() {
			r, err := x.TryCurl(args...)
			ch <- result{r, err}
		}()
		return ch
	}
	itemPoll := poll("/items/1", "-H", "if-none-match: AQIAAg==", "-H", "prefer: wait=20")
	itemsPoll := poll("/items", "-H", "if-none-match: AQIABA==", "-H", "prefer: wait=20")
	time.Sleep(500 * time.Millisecond)
	produce("1:{\"name\":\"one, updated\"}\n")
	answered := func(ch chan result) *httpkafkatest.Response {
		select {
		case res := <-ch:
			if res.err != nil {
				t.Fatal(res.err)
			}
			return res.r
		case <-time.After(15 * time.Second):
			t.Fatal("a long-poll was not answered when the record arrived")
		}
		return nil
	}
	res := struct{ item, items *httpkafkatest.Response }{answered(itemPoll), answered(itemsPoll)}
	res.item.Expect(t, 200, `{"name":"one, updated"}`, "content-type", "application/json", "etag", "AQIABg==")
	res.items.Expect(t, 200, `[{"name":"two"},{"name":"one, updated"}]`, "content-type", "application/json", "etag", "AQIABg==")
}
