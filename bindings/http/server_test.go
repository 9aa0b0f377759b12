package http_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"strings"
	"testing"
	"time"

	_ "github.com/sluicehq/sluice/bindings/echo"
	_ "github.com/sluicehq/sluice/bindings/http"
	_ "github.com/sluicehq/sluice/bindings/tcp"
	"github.com/sluicehq/sluice/engine/enginetest"
)

// echoConfig is tcp -> http server -> echo, with options spliced in.
func echoConfig(options string) string {
	return `
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
` + options + `
    routes:
      - when:
          - headers: { ":path": "/echo*" }
        exit: echo0
  echo0:
    type: echo
    kind: server
`
}

func startEcho(t *testing.T, options string) string {
	t.Helper()
	e := enginetest.Start(t, echoConfig(options))
	return enginetest.Addr(t, e, "test:tcp0")
}

// rawExchange writes req on a fresh connection and reads until the server
// closes it or timeout passes.
func rawExchange(t *testing.T, addr, req string) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(conn)
	return string(b)
}

func TestHTTP1Echo(t *testing.T) {
	addr := startEcho(t, "")
	client := &nethttp.Client{Transport: &nethttp.Transport{}}
	defer client.CloseIdleConnections()
	for i := 0; i < 3; i++ {
		resp, err := client.Post("http://"+addr+"/echo", "text/plain", strings.NewReader("hello"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "hello" || resp.Header.Get("Content-Type") != "text/plain" {
			t.Fatalf("got %d %q %v", resp.StatusCode, body, resp.Header)
		}
	}
	resp, err := client.Get("http://" + addr + "/nowhere")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("no route: got %d", resp.StatusCode)
	}
}

func TestHTTP2PriorKnowledgeEcho(t *testing.T) {
	addr := startEcho(t, "")
	tr := h2cTransport()
	defer tr.CloseIdleConnections()
	client := &nethttp.Client{Transport: tr}
	for i := 0; i < 3; i++ {
		body := strings.Repeat(fmt.Sprint(i), 100000)
		resp, err := client.Post("http://"+addr+"/echo", "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(got) != body || resp.ProtoMajor != 2 {
			t.Fatalf("got %d %d bytes proto %s", resp.StatusCode, len(got), resp.Proto)
		}
	}
}

func TestHTTP1Raw(t *testing.T) {
	addr := startEcho(t, "")
	got := rawExchange(t, addr, "GET /echo HTTP/1.1\r\nHost: x\r\nX-Test: a\r\nConnection: close\r\n\r\n")
	r, err := nethttp.ReadResponse(bufio.NewReader(strings.NewReader(got)), nil)
	if err != nil {
		t.Fatalf("%v: %q", err, got)
	}
	if r.StatusCode != 200 || r.Header.Get("X-Test") != "a" {
		t.Fatalf("%q", got)
	}
	t.Logf("%q", got)
}

func readHTTPResponse(br *bufio.Reader) (string, error) {
	resp, err := nethttp.ReadResponse(br, nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// h2cTransport returns net/http's client speaking HTTP/2 over cleartext
// with prior knowledge, and nothing else.
func h2cTransport() *nethttp.Transport {
	p := new(nethttp.Protocols)
	p.SetUnencryptedHTTP2(true)
	return &nethttp.Transport{Protocols: p}
}
