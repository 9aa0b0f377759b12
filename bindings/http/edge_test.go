package http_test

import (
	"strings"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// TestHTTP1Requests covers what the HTTP/1.1 parser refuses or accepts, by
// the first line of the answer.
func TestHTTP1Requests(t *testing.T) {
	addr := startEcho(t, "    options: { limits: { request-body-bytes: 10 } }")
	for _, c := range []struct{ name, req, want string }{
		{"bad chunk size", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HTTP/1.1 400 "},
		// The echo answers at once (so no 100 Continue): the body going over
		// the limit after that aborts the connection.
		{"chunked body over the limit", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n14\r\n01234567890123456789\r\n0\r\n\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"},
		{"absolute form", "GET http://example.com/echo?x=1 HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 "},
		{"connect", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n", "HTTP/1.1 501 "},
		{"obs-fold", "GET /echo HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", "HTTP/1.1 400 "},
		{"space before colon", "GET /echo HTTP/1.1\r\nHost : x\r\n\r\n", "HTTP/1.1 400 "},
		{"two hosts", "GET /echo HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", "HTTP/1.1 400 "},
		{"length and chunked", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.1 400 "},
		{"gzip coding", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "HTTP/1.1 501 "},
		{"other expectation", "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: magic\r\nContent-Length: 1\r\n\r\na", "HTTP/1.1 417 "},
		{"bad content-length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", "HTTP/1.1 400 "},
		{"control character", "GET /echo HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", "HTTP/1.1 400 "},
		{"http/1.0 keep-alive", "GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /echo HTTP/1.0\r\n\r\n",
			"HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\nHTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"},
		{"http/1.0 close", "GET /echo HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n"},
		{"head", "HEAD /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"},
		{"empty lines first", "\r\n\r\nGET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 "},
		{"asterisk", "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 404 "},
		{"asterisk on GET", "GET * HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400 "},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := rawExchange(t, addr, c.req)
			if !strings.HasPrefix(got, c.want) {
				t.Fatalf("got %q, want %q first", got, c.want)
			}
		})
	}
}

func TestHTTP2TrailersAndContinuation(t *testing.T) {
	addr := startEcho(t, "")
	c := dialH2(t, addr)
	// The request head split over HEADERS and CONTINUATION.
	c.buf.Reset()
	for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":authority", "x"}, {":path", "/echo"}, {"x-long", strings.Repeat("v", 100)}} {
		c.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	block := c.buf.Bytes()
	c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block[:10]})
	c.fr.WriteContinuation(1, false, block[10:50])
	c.fr.WriteContinuation(1, true, block[50:])
	c.fr.WriteData(1, false, []byte("body"))
	c.buf.Reset()
	c.enc.WriteField(hpack.HeaderField{Name: "x-checksum", Value: "abc"})
	c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: c.buf.Bytes(), EndStream: true, EndHeaders: true})

	head := c.next(isType[*http2.MetaHeadersFrame]).(*http2.MetaHeadersFrame)
	if head.PseudoValue("status") != "200" || len(head.RegularFields()) == 0 {
		t.Fatalf("head %v", head.Fields)
	}
	data := c.next(isType[*http2.DataFrame]).(*http2.DataFrame)
	if string(data.Data()) != "body" {
		t.Fatalf("data %q", data.Data())
	}
	trailers := c.next(isType[*http2.MetaHeadersFrame]).(*http2.MetaHeadersFrame)
	if !trailers.StreamEnded() || len(trailers.Fields) != 1 || trailers.Fields[0].Value != "abc" {
		t.Fatalf("trailers %v", trailers.Fields)
	}
}
