package tcp

import (
	"io"
	"log/slog"
	"net"
	"testing"
)

// A write that the socket takes at once allocates nothing: the callback
// handed to the raw connection is made once per connection.
func TestTryWriteAllocations(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		peer, err := l.Accept()
		if err == nil {
			io.Copy(io.Discard, peer)
			peer.Close()
		}
	}()
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c := newConn(slog.New(slog.DiscardHandler))
	c.nc = nc.(*net.TCPConn)
	msg := []byte("HTTP/1.1 204 No Content\r\n\r\n")
	if n, err := c.tryWrite(msg); err != nil || n != len(msg) {
		t.Fatalf("tryWrite = %d, %v", n, err)
	}
	allocs := testing.AllocsPerRun(200, func() {
		if n, err := c.tryWrite(msg); err != nil || n != len(msg) {
			t.Fatalf("tryWrite = %d, %v", n, err)
		}
	})
	if allocs != 0 {
		t.Errorf("tryWrite allocates %.1f times per write, want 0", allocs)
	}
}
