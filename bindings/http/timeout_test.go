package http_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

const shortTimeouts = "    options: { timeouts: { request-header: 0.3, request-body: 0.3, keep-alive: 0.3 } }"

// readAllWithin reads until the server closes the connection, failing if
// that takes longer than d.
func readAllWithin(t *testing.T, conn net.Conn, d time.Duration) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(d))
	b, err := io.ReadAll(conn)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("connection not closed within %v: %v (read %q)", d, err, b)
	}
	return string(b)
}

func TestHTTP1Timeouts(t *testing.T) {
	addr := startEcho(t, shortTimeouts)
	for _, c := range []struct {
		name, send, want string
	}{
		{"silent connection", "", ""},
		{"head never completes", "GET /echo HTTP/1.1\r\nHost: x\r\n", "HTTP/1.1 408 Request Timeout\r\n"},
		// The echo answers before the body ends, so the stall aborts the
		// connection after the response head.
		{"body stalls", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"},
		{"idle after a response", "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK\r\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			io.WriteString(conn, c.send)
			got := readAllWithin(t, conn, 3*time.Second)
			if !strings.HasPrefix(got, c.want) {
				t.Fatalf("got %q, want %q first", got, c.want)
			}
		})
	}
}

func TestHTTP2BodyStall(t *testing.T) {
	addr := startEcho(t, shortTimeouts)
	c := dialH2(t, addr)
	c.headers(1, false, append(get("/echo"), "content-length", "10")...)
	c.fr.WriteData(1, false, []byte("abc"))
	f := c.next(func(f http2.Frame) bool {
		return isType[*http2.MetaHeadersFrame](f) || isType[*http2.RSTStreamFrame](f)
	})
	// The echo has mirrored the head already: the stall resets the stream.
	if mh, ok := f.(*http2.MetaHeadersFrame); ok {
		if mh.PseudoValue("status") != "200" {
			t.Fatalf("status %s", mh.PseudoValue("status"))
		}
		f = c.next(isType[*http2.RSTStreamFrame])
	}
	if rst := f.(*http2.RSTStreamFrame); rst.StreamID != 1 || rst.ErrCode != http2.ErrCodeCancel {
		t.Fatalf("got RST_STREAM %d %v", rst.StreamID, rst.ErrCode)
	}
	// With no stream left the connection idles out with GOAWAY.
	g := c.next(isType[*http2.GoAwayFrame]).(*http2.GoAwayFrame)
	if g.ErrCode != http2.ErrCodeNo {
		t.Fatalf("GOAWAY %v", g.ErrCode)
	}
}

func TestHTTP1KeepAliveAndChunked(t *testing.T) {
	addr := startEcho(t, "")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(3 * time.Second))
	br := bufio.NewReader(conn)
	// A chunked request is echoed back chunked or with a length; either
	// way the connection serves the next request.
	io.WriteString(conn, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n")
	resp := readResponse(t, br)
	if resp != "hello" {
		t.Fatalf("chunked echo: %q", resp)
	}
	io.WriteString(conn, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp := readResponse(t, br); resp != "" {
		t.Fatalf("second response: %q", resp)
	}
}

// readResponse reads one response with net/http's reader and returns its body.
func readResponse(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	r, err := readHTTPResponse(br)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
