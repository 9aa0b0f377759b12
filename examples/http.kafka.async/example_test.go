// Package httpkafkaasync_test runs the http.kafka.async example with the
// README's curl and kcat commands and the http.kafka.sync responder, on the
// embedded broker, or on real Kafka when KAFKA_BOOTSTRAP_SERVERS is set.
package httpkafkaasync_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/examples/internal/httpkafkatest"
)

func TestAsync(t *testing.T) {
	x := httpkafkatest.Start(t, ".", httpkafkatest.Topic{Name: "items-requests"}, httpkafkatest.Topic{Name: "items-responses", Cached: true})
	// Replies take two seconds, so that the request is seen pending.
	x.Responder(t, "items-requests", "-delay", "2s")

	body := `{"greeting":"Hello, later"}`
	r := x.Curl(t, "-X", "PUT", "/items/1", "-H", "prefer: respond-async", "-H", "idempotency-key: put-1",
		"-H", "content-type: application/json", "-d", body)
	headers := [][2]string{{":method", "PUT"}, {":scheme", "http"}, {":authority", "localhost:" + x.Port}, {":path", "/items/1"},
		{"user-agent", httpkafkatest.CurlUserAgent(t)}, {"accept", "*/*"}, {"idempotency-key", "put-1"},
		{"content-type", "application/json"}, {"zilla:reply-to", x.Topic("items-responses")}}
	cid := httpkafkatest.CorrelationID("put-1", "1", headers, body)
	location := "/items/1;cid=" + cid
	r.Expect(t, 202, "", "content-length", "0", "location", location)

	// Not answered within a second: 202 and the location again.
	x.Curl(t, location, "-H", "prefer: wait=1").Expect(t, 202, "", "content-length", "0", "location", location)

	// Another instance answers the GET as well as this one: the reply is
	// looked up in Kafka, nothing about the request is held in memory.
	other := x.Instance(t)
	other.Curl(t, location, "-H", "prefer: wait=10").Expect(t, 200, body, "content-type", "application/json", "content-length", "27")
	x.Curl(t, location, "-H", "prefer: wait=10").Expect(t, 200, body, "content-type", "application/json")

	// Without prefer: respond-async, the same route answers synchronously.
	x.Curl(t, "-X", "PUT", "/items/2", "-H", "content-type: application/json", "-d", `{"greeting":"Hello, now"}`).
		Expect(t, 200, `{"greeting":"Hello, now"}`, "content-type", "application/json")

	requests := x.Records(t, "items-requests")
	want := "key=1 headers=" + httpkafkatest.HeaderList(append(headers, [2]string{"zilla:correlation-id", cid})) + " value=" + body
	if len(requests) != 2 || requests[0] != want || !strings.HasPrefix(requests[1], "key=2 headers=:method=PUT,") {
		t.Errorf("requests:\n%q\nwant first\n%q", requests, want)
	}
	replies := x.Records(t, "items-responses")
	wantReply := "key=1 headers=:status=200,content-type=application/json,zilla:correlation-id=" + cid + " value=" + body
	if len(replies) != 2 || !slices.Contains(replies, wantReply) {
		t.Errorf("replies:\n%q\nwant\n%q", replies, wantReply)
	}
}
