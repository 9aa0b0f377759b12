package http_test

import (
	"io"
	"net"
	nethttp "net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// zeros is an endless reader of zero bytes, limited by io.LimitReader.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestLargeUploadMemoryBounded streams 256 MiB through the echo over
// HTTP/1.1 and HTTP/2 and checks that the heap never holds more than a
// small fraction of it: bodies flow within windows, end to end.
func TestLargeUploadMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 512 MiB")
	}
	addr := startEcho(t, "")
	const size = 256 << 20
	h2 := h2cTransport()
	defer h2.CloseIdleConnections()
	h1 := &nethttp.Transport{}
	defer h1.CloseIdleConnections()
	for _, tr := range []nethttp.RoundTripper{h1, h2} {
		var peak atomic.Uint64
		stop := make(chan struct{})
		go func() {
			var m runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}()
		req, _ := nethttp.NewRequest("POST", "http://"+addr+"/echo", io.LimitReader(zeros{}, size))
		req.ContentLength = size
		resp, err := (&nethttp.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		close(stop)
		if err != nil || n != size {
			t.Fatalf("echoed %d bytes: %v", n, err)
		}
		if p := peak.Load(); p > 48<<20 {
			t.Errorf("%T: heap in use peaked at %d MiB while moving %d MiB", tr, p>>20, size>>20)
		} else {
			t.Logf("%T: heap in use peaked at %d MiB", tr, p>>20)
		}
	}
}

// TestIdleConnectionsCheap keeps 500 HTTP/1.1 connections idle after one
// request each and reports what each costs (the tcp binding's reader
// goroutine and buffer included).
func TestIdleConnectionsCheap(t *testing.T) {
	addr := startEcho(t, "")
	const n = 500
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	goroutines := runtime.NumGoroutine()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	buf := make([]byte, 4096)
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		io.WriteString(c, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := c.Read(buf); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perConn := (int64(after.HeapInuse+after.StackInuse) - int64(before.HeapInuse+before.StackInuse)) / n
	perGoroutines := float64(runtime.NumGoroutine()-goroutines) / n
	t.Logf("%d idle connections: %d bytes of heap and stack each (client side included), %.1f goroutines each", n, perConn, perGoroutines)
	if perConn > 64<<10 {
		t.Errorf("an idle connection costs %d bytes", perConn)
	}
}
