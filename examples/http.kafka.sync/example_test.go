// Package httpkafkasync_test runs the http.kafka.sync example with the
// README's curl and kcat commands and its responder, on the embedded
// broker, or on real Kafka when KAFKA_BOOTSTRAP_SERVERS is set.
package httpkafkasync_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/examples/internal/httpkafkatest"
)

var topics = []httpkafkatest.Topic{{Name: "items-requests"}, {Name: "items-responses", Cached: true}}

// requestHeaders is what http-kafka copies from curl's request to the
// record, then the reply-to header.
func requestHeaders(t *testing.T, x *httpkafkatest.Example, method, path string, extra ...[2]string) [][2]string {
	h := [][2]string{{":method", method}, {":scheme", "http"}, {":authority", "localhost:" + x.Port}, {":path", path},
		{"user-agent", httpkafkatest.CurlUserAgent(t)}, {"accept", "*/*"}}
	h = append(h, extra...)
	return append(h, [2]string{"zilla:reply-to", x.Topic("items-responses")})
}

// record renders a record as the README's kcat command prints it.
func record(key string, headers [][2]string, value string) string {
	return "key=" + key + " headers=" + httpkafkatest.HeaderList(headers) + " value=" + value
}

func TestSync(t *testing.T) {
	x := httpkafkatest.Start(t, ".", topics...)
	x.Responder(t, "items-requests")

	put := []string{"-X", "PUT", "/items/1", "-H", "content-type: application/json", "-H", "idempotency-key: put-1", "-d", `{"greeting":"Hello"}`}
	x.Curl(t, put...).Expect(t, 200, `{"greeting":"Hello"}`, "content-type", "application/json", "content-length", "20")

	// The same request again: answered from the reply already there, not
	// produced a second time.
	x.Curl(t, put...).Expect(t, 200, `{"greeting":"Hello"}`, "content-type", "application/json")

	// DELETE: a tombstone request, whose reply is a 204.
	x.Curl(t, "-X", "DELETE", "/items/1", "-H", "idempotency-key: delete-1").Expect(t, 204, "")

	// A large body, over HTTP/2: streamed into the request record in
	// fragments, and its reply back to the client as the client takes it.
	big := `{"blob":"` + strings.Repeat("0123456789abcdef", 24<<10) + `"}`
	file := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(file, []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	x.Curl(t, "--http2-prior-knowledge", "-X", "PUT", "/items/2", "-H", "content-type: application/json",
		"-H", "idempotency-key: put-2", "--data-binary", "@"+file).Expect(t, 200, big, "content-length", strconv.Itoa(len(big)))

	putHeaders := requestHeaders(t, x, "PUT", "/items/1", [2]string{"content-type", "application/json"}, [2]string{"idempotency-key", "put-1"})
	putCID := httpkafkatest.CorrelationID("put-1", "1", putHeaders, `{"greeting":"Hello"}`)
	deleteHeaders := requestHeaders(t, x, "DELETE", "/items/1", [2]string{"idempotency-key", "delete-1"})
	deleteCID := httpkafkatest.CorrelationID("delete-1", "1", deleteHeaders, "")
	wantRequests := []string{
		record("1", append(putHeaders, [2]string{"zilla:correlation-id", putCID}), `{"greeting":"Hello"}`),
		record("1", append(deleteHeaders, [2]string{"zilla:correlation-id", deleteCID}), ""),
	}
	requests := x.Records(t, "items-requests")
	if len(requests) == 3 && strings.HasPrefix(requests[2], "key=2 ") && strings.HasSuffix(requests[2], " value="+big) {
		requests = requests[:2]
	}
	if got := requests; !slices.Equal(got, wantRequests) {
		t.Errorf("requests:\n%q\nwant\n%q", got, wantRequests)
	}
	wantReplies := []string{
		record("1", [][2]string{{":status", "200"}, {"content-type", "application/json"}, {"zilla:correlation-id", putCID}}, `{"greeting":"Hello"}`),
		record("1", [][2]string{{":status", "204"}, {"zilla:correlation-id", deleteCID}}, ""),
	}
	replies := x.Records(t, "items-responses")
	if len(replies) == 3 && strings.HasSuffix(replies[2], " value="+big) {
		replies = replies[:2]
	}
	if got := replies; !slices.Equal(got, wantReplies) {
		t.Errorf("replies:\n%q\nwant\n%q", got, wantReplies)
	}
}

// TestSyncTimeout: without a responder the request is answered 504 after
// timeouts.reply; once the responder has answered it, the same request
// (same idempotency key and content) gets that answer without being
// produced again.
func TestSyncTimeout(t *testing.T) {
	x := httpkafkatest.StartReplacing(t, ".", []string{"reply: 10s", "reply: 1s"}, topics...)
	post := []string{"-X", "POST", "/items", "-H", "content-type: application/json", "-H", "idempotency-key: post-1", "-d", `{"greeting":"Hi"}`}
	x.Curl(t, post...).Expect(t, 504, "")

	x.Responder(t, "items-requests")
	httpkafkatest.Eventually(t, "the responder's reply", func() bool {
		return len(x.Records(t, "items-responses")) == 1 && x.Records(t, "items-responses")[0] != ""
	})
	x.Curl(t, post...).Expect(t, 200, `{"greeting":"Hi"}`, "content-type", "application/json", "content-length", "17")
	if got := x.Records(t, "items-requests"); len(got) != 1 {
		t.Errorf("requests: %q, want the first one only", got)
	}
}
