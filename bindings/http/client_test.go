package http_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine/enginetest"
)

// proxyConfig is tcp -> http server -> http client -> tcp client -> origin.
func proxyConfig(origin, clientOptions string) string {
	host, port, _ := net.SplitHostPort(origin)
	return fmt.Sprintf(`
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
    exit: client0
  client0:
    type: http
    kind: client
%s
    exit: tcp1
  tcp1:
    type: tcp
    kind: client
    options: { host: %s, port: %s }
`, clientOptions, host, port)
}

func originHandler(w nethttp.ResponseWriter, r *nethttp.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Origin-Proto", r.Proto)
	w.Header().Set("X-Method", r.Method)
	w.Header().Set("X-Host", r.Host)
	w.Header().Set("X-Path", r.URL.RequestURI())
	if r.URL.Path == "/big" {
		w.Write([]byte(strings.Repeat("x", 1<<20)))
		return
	}
	w.Write(body)
}

func TestProxyHTTP1(t *testing.T) {
	origin := httptest.NewServer(nethttp.HandlerFunc(originHandler))
	defer origin.Close()
	e := enginetest.Start(t, proxyConfig(origin.Listener.Addr().String(), ""))
	addr := enginetest.Addr(t, e, "test:tcp0")
	client := &nethttp.Client{Transport: &nethttp.Transport{}}
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				body := strings.Repeat(fmt.Sprint(i), 1000*(j+1))
				resp, err := client.Post("http://"+addr+"/p?x=1", "text/plain", strings.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(got) != body || resp.Header.Get("X-Path") != "/p?x=1" || resp.Header.Get("X-Origin-Proto") != "HTTP/1.1" {
					t.Errorf("got %d %d bytes %v", resp.StatusCode, len(got), resp.Header)
				}
			}
		}(i)
	}
	wg.Wait()
	// A body of unknown length goes chunked both ways.
	chunked := strings.Repeat("chunk", 20000)
	resp, err := client.Post("http://"+addr+"/c", "text/plain", io.MultiReader(strings.NewReader(chunked[:50000]), strings.NewReader(chunked[50000:])))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != chunked || len(resp.TransferEncoding) == 0 && resp.ContentLength != int64(len(chunked)) {
		t.Fatalf("chunked upload: %d bytes, %v", len(got), resp.TransferEncoding)
	}
	resp, err = client.Get("http://" + addr + "/big")
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(got) != 1<<20 {
		t.Fatalf("big: %d bytes", len(got))
	}
}

func TestProxyH2PriorKnowledge(t *testing.T) {
	// The origin allows 3 concurrent streams: the 8 clients queue for them.
	origin := httptest.NewUnstartedServer(nethttp.HandlerFunc(originHandler))
	origin.Config.Protocols = new(nethttp.Protocols)
	origin.Config.Protocols.SetHTTP1(true)
	origin.Config.Protocols.SetUnencryptedHTTP2(true)
	origin.Config.HTTP2 = &nethttp.HTTP2Config{MaxConcurrentStreams: 3}
	origin.Start()
	defer origin.Close()
	e := enginetest.Start(t, proxyConfig(origin.Listener.Addr().String(), "    options: { versions: [h2], timeouts: { keep-alive: 0.2 } }"))
	addr := enginetest.Addr(t, e, "test:tcp0")
	tr := h2cTransport()
	defer tr.CloseIdleConnections()
	client := &nethttp.Client{Transport: tr}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				body := strings.Repeat(fmt.Sprint(i), 30000*(j+1))
				resp, err := client.Post("http://"+addr+"/p", "text/plain", strings.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(got) != body || resp.Header.Get("X-Origin-Proto") != "HTTP/2.0" {
					t.Errorf("got %d %d bytes %v", resp.StatusCode, len(got), resp.Header)
				}
			}
		}(i)
	}
	wg.Wait()
}

func TestProxyOriginUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	e := enginetest.Start(t, proxyConfig(dead, ""))
	resp, err := nethttp.Get("http://" + enginetest.Addr(t, e, "test:tcp0") + "/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 502 {
		t.Fatalf("got %d", resp.StatusCode)
	}
}

// TestProxyBodyStallBeforeResponse: an origin that waits for the whole
// body, a client that stalls in the middle of it: 408, and the origin
// connection is abandoned.
func TestProxyBodyStallBeforeResponse(t *testing.T) {
	origin := httptest.NewServer(nethttp.HandlerFunc(originHandler))
	defer origin.Close()
	cfg := strings.Replace(proxyConfig(origin.Listener.Addr().String(), ""),
		"    kind: server\n    exit: client0", "    kind: server\n    options: { timeouts: { request-body: 0.3 } }\n    exit: client0", 1)
	e := enginetest.Start(t, cfg)
	conn, err := net.Dial("tcp", enginetest.Addr(t, e, "test:tcp0"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	b, _ := io.ReadAll(conn)
	if !strings.HasPrefix(string(b), "HTTP/1.1 408 Request Timeout\r\n") {
		t.Fatalf("got %q", b)
	}
}

// TestProxyRetriesStaleConnection: the origin answers the first request of
// each connection with keep-alive, then closes the connection when the
// second request arrives, without answering (a keep-alive timeout racing
// the reuse). The proxy sends that request again on a new connection.
func TestProxyRetriesStaleConnection(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				if _, err := nethttp.ReadRequest(br); err != nil {
					return
				}
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				nethttp.ReadRequest(br) // the reuse: hang up without answering
			}()
		}
	}()
	e := enginetest.Start(t, proxyConfig(l.Addr().String(), ""), enginetest.Options{AllowOpenStreams: true})
	addr := enginetest.Addr(t, e, "test:tcp0")
	for i := 0; i < 3; i++ {
		resp, err := nethttp.Get("http://" + addr + "/x")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "ok" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
	}
}

// TestProxyChunkedBodyOverLimit: the origin reads the whole body before
// answering, so the server is still waiting when the chunked body goes over
// its limit: 413.
func TestProxyChunkedBodyOverLimit(t *testing.T) {
	origin := httptest.NewServer(nethttp.HandlerFunc(originHandler))
	defer origin.Close()
	cfg := strings.Replace(proxyConfig(origin.Listener.Addr().String(), ""),
		"    kind: server\n    exit: client0", "    kind: server\n    options: { limits: { request-body-bytes: 10 } }\n    exit: client0", 1)
	e := enginetest.Start(t, cfg, enginetest.Options{AllowOpenStreams: true})
	got := rawExchange(t, enginetest.Addr(t, e, "test:tcp0"),
		"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n14\r\n01234567890123456789\r\n0\r\n\r\n")
	if !strings.HasPrefix(got, "HTTP/1.1 413 ") {
		t.Fatalf("got %q", got)
	}
}
