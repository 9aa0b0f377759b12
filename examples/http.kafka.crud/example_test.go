// Package httpkafkacrud_test runs the http.kafka.crud example with the
// README's curl and kcat commands, on the embedded broker, or on real
// Kafka when KAFKA_BOOTSTRAP_SERVERS is set.
package httpkafkacrud_test

import (
	"slices"
	"testing"
	"time"

	"github.com/sluicehq/sluice/examples/internal/httpkafkatest"
)

func TestCrud(t *testing.T) {
	x := httpkafkatest.Start(t, ".", httpkafkatest.Topic{Name: "items-snapshots", Compacted: true, Cached: true})

	// Create, then replace, item 1.
	x.Curl(t, "-X", "POST", "/items", "-H", "idempotency-key: 1", "-H", "content-type: application/json",
		"-d", `{"greeting":"Hello, world"}`).Expect(t, 204, "")
	x.Curl(t, "-X", "PUT", "/items/1", "-H", "content-type: application/json",
		"-d", `{"greeting":"Hello, again"}`).Expect(t, 204, "")
	x.Curl(t, "-X", "PUT", "/items/2", "-H", "content-type: application/json",
		"-d", `{"greeting":"Hello, two"}`).Expect(t, 204, "")

	// Read it: the latest value, with its etag (partition 0, next offset 2).
	r := eventually(t, x, 200, "/items/1", `{"greeting":"Hello, again"}`)
	r.Expect(t, 200, `{"greeting":"Hello, again"}`, "content-type", "application/json",
		"content-length", "27", "etag", "AQIABA==")

	// The collection: one value per key.
	r = eventually(t, x, 200, "/items", `[{"greeting":"Hello, again"},{"greeting":"Hello, two"}]`)
	r.Expect(t, 200, `[{"greeting":"Hello, again"},{"greeting":"Hello, two"}]`,
		"content-type", "application/json", "etag", "AQIABg==")

	// Unchanged since that etag: 304.
	x.Curl(t, "/items/1", "-H", "if-none-match: AQIABA==").Expect(t, 304, "", "etag", "AQIABA==")
	x.Curl(t, "/items", "-H", "if-none-match: AQIABg==").Expect(t, 304, "", "etag", "AQIABg==")

	// Over HTTP/2 too.
	x.Curl(t, "--http2-prior-knowledge", "/items/1").Expect(t, 200, `{"greeting":"Hello, again"}`, "etag", "AQIABA==")

	// Delete it: a tombstone; the item is gone.
	x.Curl(t, "-X", "DELETE", "/items/1").Expect(t, 204, "")
	eventually(t, x, 404, "/items/1").Expect(t, 404, "")
	eventually(t, x, 200, "/items", `[{"greeting":"Hello, two"}]`)
	x.Curl(t, "/items/3").Expect(t, 404, "")

	// What Kafka holds: keys, content-type headers, values, the tombstone.
	want := []string{
		`key=1 headers=content-type=application/json value={"greeting":"Hello, world"}`,
		`key=1 headers=content-type=application/json value={"greeting":"Hello, again"}`,
		`key=2 headers=content-type=application/json value={"greeting":"Hello, two"}`,
		`key=1 headers= value=`,
	}
	if got := x.Records(t, "items-snapshots"); !slices.Equal(got, want) {
		t.Errorf("records:\n%q\nwant\n%q", got, want)
	}
}

// eventually repeats a GET until it answers status (and body, when given):
// the cache sees a record a moment after Kafka acknowledged it.
func eventually(t *testing.T, x *httpkafkatest.Example, status int, path string, body ...string) *httpkafkatest.Response {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := x.Curl(t, path)
		if r.Status == status && (len(body) == 0 || r.Body == body[0]) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %d %q, want %d %v", path, r.Status, r.Body, status, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
