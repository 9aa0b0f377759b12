package http

import (
	"testing"

	httpspec "github.com/sluicehq/sluice/specs/http"
)

const sampleHead = "POST /events?x=1 HTTP/1.1\r\n" +
	"Host: localhost:7114\r\n" +
	"User-Agent: h2load nghttp2/1.64.0\r\n" +
	"Content-Type: application/json\r\n" +
	"Content-Length: 11\r\n" +
	"Idempotency-Key: 3f9c\r\n" +
	"X-Custom:  padded value \t\r\n" +
	"\r\n"

func TestParseHeadFields(t *testing.T) {
	h, herr := parseHead([]byte(sampleHead), false)
	if herr != nil {
		t.Fatal(herr)
	}
	want := httpspec.Headers{
		{Name: ":method", Value: "POST"},
		{Name: ":scheme", Value: "http"},
		{Name: ":authority", Value: "localhost:7114"},
		{Name: ":path", Value: "/events?x=1"},
		{Name: "user-agent", Value: "h2load nghttp2/1.64.0"},
		{Name: "content-type", Value: "application/json"},
		{Name: "content-length", Value: "11"},
		{Name: "idempotency-key", Value: "3f9c"},
		{Name: "x-custom", Value: "padded value"},
	}
	if len(h.headers) != len(want) {
		t.Fatalf("headers = %q, want %q", h.headers, want)
	}
	for i := range want {
		if h.headers[i] != want[i] {
			t.Errorf("header %d = %q, want %q", i, h.headers[i], want[i])
		}
	}
	if h.line != "POST /events?x=1 HTTP/1.1" || h.target != "/events?x=1" || h.contentLength != 11 || !h.keepAlive {
		t.Errorf("line %q target %q content-length %d keep-alive %v", h.line, h.target, h.contentLength, h.keepAlive)
	}
}

// TestParseHeadAllocations pins what parsing one head costs: the head
// struct, its header list, one string holding the request line and every
// value, and the lower-case form of a name outside the common set
// (x-custom). A string per value would show here as one more per header.
func TestParseHeadAllocations(t *testing.T) {
	b := []byte(sampleHead)
	n := testing.AllocsPerRun(100, func() {
		if _, err := parseHead(b, false); err != nil {
			t.Fatal(err)
		}
	})
	if n > 4 {
		t.Errorf("parseHead made %.0f allocations, want at most 4", n)
	}
}
