// Package httpkafkaoneway_test runs the http.kafka.oneway example with the
// README's curl and kcat commands, on the embedded broker, or on real
// Kafka when KAFKA_BOOTSTRAP_SERVERS is set.
package httpkafkaoneway_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/examples/internal/httpkafkatest"
)

func TestOneway(t *testing.T) {
	x := httpkafkatest.Start(t, ".", httpkafkatest.Topic{Name: "events"})

	x.Curl(t, "-X", "POST", "/events", "-H", "idempotency-key: evt-1", "-H", "x-tenant: acme",
		"-H", "content-type: application/json", "-d", `{"type":"login","user":"ada"}`).Expect(t, 204, "")
	x.Curl(t, "-X", "POST", "/events", "-H", "idempotency-key: evt-2", "-H", "x-tenant: acme",
		"-H", "content-type: text/plain", "-d", "logout ada").Expect(t, 204, "")

	// A body larger than a Kafka record may be: 413, and nothing produced.
	big := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(big, []byte(strings.Repeat("x", 1200000)), 0o644); err != nil {
		t.Fatal(err)
	}
	x.Curl(t, "-X", "POST", "/events", "-H", "idempotency-key: evt-3", "--data-binary", "@"+big).Expect(t, 413, "")

	want := []string{
		`key=evt-1 headers=content-type=application/json,x-tenant=acme value={"type":"login","user":"ada"}`,
		`key=evt-2 headers=content-type=text/plain,x-tenant=acme value=logout ada`,
	}
	if got := x.Records(t, "events"); !slices.Equal(got, want) {
		t.Errorf("records:\n%q\nwant\n%q", got, want)
	}
}

// TestRecordUpToTopicLimit posts a body under Kafka's default largest
// message (message.max.bytes 1048588) but over 1000012 bytes, franz-go's
// default batch limit: Kafka takes it, so it is 204. The kafka binding
// reads the topic's max.message.bytes rather than assume a fixed limit.
func TestRecordUpToTopicLimit(t *testing.T) {
	x := httpkafkatest.Start(t, ".", httpkafkatest.Topic{Name: "events"})
	body := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(body, []byte(strings.Repeat("x", 1040000)), 0o644); err != nil {
		t.Fatal(err)
	}
	x.Curl(t, "-X", "POST", "/events", "--data-binary", "@"+body).Expect(t, 204, "")
}
