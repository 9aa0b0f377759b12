package http_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/enginetest"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2client is a raw HTTP/2 client speaking frames, for cases a real client
// would not produce.
type h2client struct {
	t    *testing.T
	conn net.Conn
	fr   *http2.Framer
	enc  *hpack.Encoder
	buf  bytes.Buffer
}

func dialH2(t *testing.T, addr string) *h2client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	c := &h2client{t: t, conn: conn, fr: http2.NewFramer(conn, conn)}
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	c.enc = hpack.NewEncoder(&c.buf)
	io.WriteString(conn, http2.ClientPreface)
	c.fr.WriteSettings()
	return c
}

func (c *h2client) headers(id uint32, end bool, fields ...string) {
	c.t.Helper()
	c.buf.Reset()
	for i := 0; i+1 < len(fields); i += 2 {
		c.enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.buf.Bytes(), EndStream: end, EndHeaders: true}); err != nil {
		c.t.Fatal(err)
	}
}

func get(path string) []string {
	return []string{":method", "GET", ":scheme", "http", ":authority", "localhost", ":path", path}
}

// next reads frames until one matches want (skipping SETTINGS, WINDOW_UPDATE
// and PING), failing on EOF.
func (c *h2client) next(want func(http2.Frame) bool) http2.Frame {
	c.t.Helper()
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			c.t.Fatalf("reading frames: %v", err)
		}
		if want(f) {
			return f
		}
	}
}

func isType[T http2.Frame](f http2.Frame) bool { _, ok := f.(T); return ok }

func TestHTTP2ConcurrentStreams(t *testing.T) {
	addr := startEcho(t, "")
	c := dialH2(t, addr)
	for id := uint32(1); id < 200; id += 2 {
		c.headers(id, true, get("/echo")...)
	}
	seen := map[uint32]bool{}
	for len(seen) < 100 {
		f := c.next(func(f http2.Frame) bool {
			return isType[*http2.MetaHeadersFrame](f) || isType[*http2.RSTStreamFrame](f)
		})
		if rst, ok := f.(*http2.RSTStreamFrame); ok {
			t.Fatalf("stream %d reset: %v", rst.StreamID, rst.ErrCode)
		}
		mh := f.(*http2.MetaHeadersFrame)
		if mh.PseudoValue("status") != "200" || !mh.StreamEnded() {
			t.Fatalf("stream %d: status %q ended %v", mh.StreamID, mh.PseudoValue("status"), mh.StreamEnded())
		}
		seen[mh.StreamID] = true
	}
}

func TestHTTP2RefusedBeyondConcurrency(t *testing.T) {
	addr := startEcho(t, "    options: { limits: { concurrent-streams: 2 } }")
	c := dialH2(t, addr)
	// Three streams left open (no END_STREAM): the third is refused.
	for id := uint32(1); id <= 5; id += 2 {
		c.headers(id, false, append(get("/echo"), "content-length", "1")...)
	}
	f := c.next(isType[*http2.RSTStreamFrame]).(*http2.RSTStreamFrame)
	if f.StreamID != 5 || f.ErrCode != http2.ErrCodeRefusedStream {
		t.Fatalf("got RST_STREAM %d %v", f.StreamID, f.ErrCode)
	}
	c.fr.WriteData(1, true, []byte("a"))
	c.fr.WriteData(3, true, []byte("b"))
}

func TestHTTP2ClientResetAbortsExchange(t *testing.T) {
	addr := startEcho(t, "")
	c := dialH2(t, addr)
	c.headers(1, false, get("/echo")...)
	c.fr.WriteData(1, false, []byte("partial"))
	c.fr.WriteRSTStream(1, http2.ErrCodeCancel)
	// The connection goes on.
	c.headers(3, true, get("/echo")...)
	f := c.next(func(f http2.Frame) bool { return isType[*http2.MetaHeadersFrame](f) && f.Header().StreamID == 3 })
	if f.(*http2.MetaHeadersFrame).PseudoValue("status") != "200" {
		t.Fatal("no 200 after a reset stream")
	}
}

func TestHTTP2InvalidFrames(t *testing.T) {
	addr := startEcho(t, "")
	for _, c := range []struct {
		name string
		send func(c *h2client)
		code http2.ErrCode
	}{
		{"data on idle stream", func(c *h2client) { c.fr.WriteData(7, true, []byte("x")) }, http2.ErrCodeProtocol},
		{"even stream id", func(c *h2client) { c.headers(2, true, get("/echo")...) }, http2.ErrCodeProtocol},
		{"window overflow", func(c *h2client) { c.fr.WriteWindowUpdate(0, 1<<31-1) }, http2.ErrCodeFlowControl},
		{"frame too large", func(c *h2client) {
			c.fr.AllowIllegalWrites = true
			c.fr.WriteData(1, true, make([]byte, 20000))
		}, http2.ErrCodeFrameSize},
		{"push promise", func(c *h2client) {
			c.fr.WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, EndHeaders: true})
		}, http2.ErrCodeProtocol},
		{"bad hpack", func(c *h2client) {
			c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte{0xff, 0xff, 0xff}, EndHeaders: true})
		}, http2.ErrCodeCompression},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := dialH2(t, addr)
			c.send(h)
			g := h.next(isType[*http2.GoAwayFrame]).(*http2.GoAwayFrame)
			if g.ErrCode != c.code {
				t.Fatalf("GOAWAY %v, want %v", g.ErrCode, c.code)
			}
			if _, err := io.ReadAll(h.conn); err != nil {
				t.Fatalf("connection not closed cleanly: %v", err)
			}
		})
	}
}

func TestHTTP2HeaderTooLarge(t *testing.T) {
	addr := startEcho(t, "    options: { limits: { request-header-bytes: 1024 } }")
	c := dialH2(t, addr)
	c.headers(1, true, append(get("/echo"), "x-big", strings.Repeat("a", 2000))...)
	f := c.next(func(f http2.Frame) bool {
		return isType[*http2.MetaHeadersFrame](f) || isType[*http2.GoAwayFrame](f) || isType[*http2.RSTStreamFrame](f)
	})
	mh, ok := f.(*http2.MetaHeadersFrame)
	if !ok || mh.PseudoValue("status") != "431" {
		t.Fatalf("got %v", f)
	}
}

func TestHTTP2GoAwayOnShutdown(t *testing.T) {
	e := enginetest.Start(t, echoConfig(""))
	addr := enginetest.Addr(t, e, "test:tcp0")
	c := dialH2(t, addr)
	c.headers(1, true, get("/echo")...)
	c.next(isType[*http2.MetaHeadersFrame])
	done := make(chan error, 1)
	go func() { done <- e.Shutdown(context.Background()) }()
	g := c.next(isType[*http2.GoAwayFrame]).(*http2.GoAwayFrame)
	if g.ErrCode != http2.ErrCodeNo || g.LastStreamID != 1 {
		t.Fatalf("GOAWAY %v last %d", g.ErrCode, g.LastStreamID)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestHTTP2StreamResetOnAbortedResponse(t *testing.T) {
	// A response aborted after its head: RST_STREAM, the connection goes on.
	addr := startEcho(t, "")
	c := dialH2(t, addr)
	c.headers(1, false, get("/echo")...)
	c.next(isType[*http2.MetaHeadersFrame])
	// The echo mirrors an abort of the request as an abort of the response.
	c.fr.WriteRSTStream(1, http2.ErrCodeCancel)
	c.headers(3, true, get("/echo")...)
	f := c.next(func(f http2.Frame) bool { return isType[*http2.MetaHeadersFrame](f) && f.Header().StreamID == 3 })
	if !f.(*http2.MetaHeadersFrame).StreamEnded() {
		t.Fatal("stream 3 not ended")
	}
}

func TestHTTP2RapidReset(t *testing.T) {
	addr := startEcho(t, "")
	c := dialH2(t, addr)
	for id := uint32(1); id < 2*1000; id += 2 {
		c.headers(id, false, get("/echo")...)
		c.fr.WriteRSTStream(id, http2.ErrCodeCancel)
	}
	g := c.next(isType[*http2.GoAwayFrame]).(*http2.GoAwayFrame)
	if g.ErrCode != http2.ErrCodeEnhanceYourCalm {
		t.Fatalf("GOAWAY %v", g.ErrCode)
	}
}
