package sse_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/sluicehq/sluice/bindings/http"
	_ "github.com/sluicehq/sluice/bindings/tcp"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/enginetest"
	"github.com/sluicehq/sluice/internal/testtool"
)

// pipeline is tcp -> http (HTTP/1.1 and h2c) -> sse -> counter.
type pipeline struct {
	e       *engine.Engine
	addr    string
	counter *counterBinding
}

func startPipeline(t *testing.T, sseOptions string) *pipeline {
	t.Helper()
	reg := engine.Global().Clone()
	reg.RegisterBinding(counterType)
	e := enginetest.Start(t, `
name: test
bindings:
  tcp0:
    type: tcp
    kind: server
    options: { host: 127.0.0.1, port: 0 }
    exit: http0
  http0:
    type: http
    kind: server
    exit: sse0
  sse0:
    type: sse
    kind: server
    options: {`+sseOptions+`}
    exit: app0
  app0:
    type: counter
    kind: server
`, enginetest.Options{Registry: reg})
	b, _ := e.Binding("test:app0")
	return &pipeline{e: e, addr: enginetest.Addr(t, e, "test:tcp0"), counter: b.(*counterBinding)}
}

// event is one event read from a stream.
type event struct {
	id, typ, data string
}

// sseReader parses an event stream as a browser does (WHATWG HTML 9.2.6),
// keeping the last event id across events.
type sseReader struct {
	r      *bufio.Reader
	lastID string
	retry  string
}

// next returns the next dispatched event.
func (sr *sseReader) next() (event, error) {
	var ev event
	var data []string
	hasData := false
	for {
		line, err := sr.r.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			if !hasData {
				ev = event{}
				continue // nothing to dispatch (retry field, comment, id only)
			}
			ev.id, ev.data = sr.lastID, strings.Join(data, "\n")
			return ev, nil
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch name {
		case "id":
			sr.lastID = value
		case "event":
			ev.typ = value
		case "data":
			data, hasData = append(data, value), true
		case "retry":
			sr.retry = value
		}
	}
}

func TestCurlWireFormat(t *testing.T) {
	curl := testtool.Require(t, "curl")
	p := startPipeline(t, "")
	cases := []struct {
		name, header, want string
	}{
		{"from the start", "", "retry:2000\n\nid:1\ndata:event 1\n\nid:2\ndata:event 2\n\nid:3\ndata:event 3\n\nid:3\n\n"},
		{"resumed", "Last-Event-ID: 1", "retry:2000\n\nid:2\ndata:event 2\n\nid:3\ndata:event 3\n\nid:3\n\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"-sS", "-N", "-i", "--max-time", "10", "-H", "Accept: text/event-stream"}
			if c.header != "" {
				args = append(args, "-H", c.header)
			}
			out, err := exec.Command(curl, append(args, "http://"+p.addr+"/count/3/0")...).CombinedOutput()
			if err != nil {
				t.Fatalf("curl: %v\n%s", err, out)
			}
			head, body, _ := strings.Cut(strings.ReplaceAll(string(out), "\r\n", "\n"), "\n\n")
			if !strings.HasPrefix(head, "HTTP/1.1 200") || !strings.Contains(strings.ToLower(head), "content-type: text/event-stream") {
				t.Errorf("response head:\n%s", head)
			}
			if body != c.want {
				t.Errorf("body\n got %q\nwant %q", body, c.want)
			}
		})
	}
}

func TestCurlHTTP2(t *testing.T) {
	curl := testtool.Require(t, "curl")
	p := startPipeline(t, "")
	out, err := exec.Command(curl, "-sS", "-N", "--http2-prior-knowledge", "--max-time", "10",
		"-H", "Accept: text/event-stream", "-w", "\n%{http_version}", "http://"+p.addr+"/count/2/0").CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	want := "retry:2000\n\nid:1\ndata:event 1\n\nid:2\ndata:event 2\n\nid:2\n\n\n2"
	if string(out) != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

// h2cClient returns an HTTP/2 client over cleartext (prior knowledge) and a
// count of the connections it opened.
func h2cClient() (*nethttp.Client, *atomic.Int32) {
	var dials atomic.Int32
	p := new(nethttp.Protocols)
	p.SetUnencryptedHTTP2(true)
	tr := &nethttp.Transport{
		Protocols: p,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	return &nethttp.Client{Transport: tr}, &dials
}

// TestHTTP2ManyStreams runs many event streams at once on one HTTP/2
// connection, each resuming from a different last event id.
func TestHTTP2ManyStreams(t *testing.T) {
	p := startPipeline(t, "")
	client, dials := h2cClient()
	const streams, events = 60, 50
	// The first stream opens the connection; net/http dials once per
	// request made while no connection is up yet.
	if err := readCounter(client, "http://"+p.addr, 0, events); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, streams)
	for i := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- readCounter(client, "http://"+p.addr, i%10, events)
		}()
	}
	wg.Wait()
	client.CloseIdleConnections()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// readCounter reads a /count stream resumed after event from, and checks
// that it holds exactly the events after it, in order, each once.
func readCounter(client *nethttp.Client, base string, from, last int) error {
	req, _ := nethttp.NewRequest("GET", fmt.Sprintf("%s/count/%d/200", base, last), nil)
	req.Header.Set("Accept", "text/event-stream")
	if from > 0 {
		req.Header.Set("Last-Event-ID", fmt.Sprint(from))
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		return fmt.Errorf("status %d, content-type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sr := &sseReader{r: bufio.NewReader(resp.Body)}
	for n := from + 1; n <= last; n++ {
		ev, err := sr.next()
		if err != nil {
			return fmt.Errorf("stream from %d: event %d: %v", from, n, err)
		}
		if ev.id != fmt.Sprint(n) || !strings.HasPrefix(ev.data, fmt.Sprintf("event %d.", n)) || len(ev.data) != 200 {
			return fmt.Errorf("stream from %d: got id %q data %.20q, want event %d", from, ev.id, ev.data, n)
		}
	}
	if _, err := sr.next(); err != io.EOF {
		return fmt.Errorf("stream from %d: after the last event: %v, want the end", from, err)
	}
	if sr.lastID != fmt.Sprint(last) {
		return fmt.Errorf("stream from %d: last id %q", from, sr.lastID)
	}
	return nil
}

// get opens an event stream on a raw connection and returns the reader
// positioned after the response head.
func get(t *testing.T, addr, path string, headers ...string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n"
	for _, h := range headers {
		req += h + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	resp, err := nethttp.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	return conn, bufio.NewReader(resp.Body)
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestClientGoneReleasesEverything: a client that disconnects ends every
// stream of its pipeline, the application's included: streams that were
// sending (and stalled on the client), and idle ones, which notice at the
// next keep-alive write.
func TestClientGoneReleasesEverything(t *testing.T) {
	p := startPipeline(t, "keep-alive: 0.05")
	var conns []net.Conn
	for i := range 20 {
		path := "/count/0/100"
		if i%2 == 1 {
			path = "/idle"
		}
		conn, body := get(t, p.addr, path)
		if _, err := body.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
	}
	waitFor(t, "20 application streams", time.Second, func() bool { return p.counter.open.Load() == 20 })
	time.Sleep(100 * time.Millisecond) // let the sending streams fill the socket buffers
	start := time.Now()
	for _, c := range conns {
		c.Close()
	}
	waitFor(t, "every stream to close", 5*time.Second, func() bool {
		return p.e.LiveStreams() == 0 && p.counter.open.Load() == 0
	})
	t.Logf("every stream closed %v after the clients left", time.Since(start).Round(time.Millisecond))
}

// TestClientGoneWithoutKeepAlive: an HTTP/1.1 client that closes its
// connection (FIN) while an idle event stream is open, with no keep-alive
// comments to find out by writing, releases everything at once.
func TestClientGoneWithoutKeepAlive(t *testing.T) {
	p := startPipeline(t, "keep-alive: 0")
	conn, body := get(t, p.addr, "/idle")
	if _, err := body.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	waitFor(t, "the idle stream to close", 5*time.Second, func() bool { return p.e.LiveStreams() == 0 })
}

// TestSlowClientStopsTheApplication: a client that does not read stops its
// application within what the connection buffers: the application's
// output stops growing, and resumes when the client reads.
func TestSlowClientStopsTheApplication(t *testing.T) {
	p := startPipeline(t, "")
	conn, body := get(t, p.addr, "/count/0/1000")
	var last int64
	stable := 0
	for stable < 20 {
		time.Sleep(10 * time.Millisecond)
		if n := p.counter.sent.Load(); n == last {
			stable++
		} else {
			last, stable = n, 0
		}
	}
	t.Logf("a client that reads nothing let the application send %d bytes (socket buffers included)", last)
	if last > 16<<20 {
		t.Errorf("the application sent %d bytes to a client that reads nothing", last)
	}
	// Reading resumes the flow, from the first event, in order, once the
	// socket buffers have drained enough for the kernel to take more.
	sr := &sseReader{r: body}
	for n := 1; p.counter.sent.Load() <= last; n++ {
		ev, err := sr.next()
		if err != nil || ev.id != fmt.Sprint(n) {
			t.Fatalf("event %d: %+v %v", n, ev, err)
		}
		if int64(n*1000) > 2*last {
			t.Fatalf("read %d events, and the application still sent no more", n)
		}
	}
	conn.Close()
}

// TestKeepAliveComments: a stream with nothing to send gets a comment line
// every keep-alive period; one that sends events gets none.
func TestKeepAliveComments(t *testing.T) {
	p := startPipeline(t, "keep-alive: 0.05")
	_, body := get(t, p.addr, "/idle")
	start := time.Now()
	want := []string{"retry:2000\n", "\n", ":\n", ":\n", ":\n"}
	for _, w := range want {
		line, err := body.ReadString('\n')
		if err != nil || line != w {
			t.Fatalf("read %q (%v), want %q", line, err, w)
		}
	}
	if d := time.Since(start); d < 140*time.Millisecond {
		t.Errorf("three keep-alive comments within %v: sent more often than every 50ms", d)
	}
}
