package tls_test

import (
	"crypto/tls"
	"io"
	"testing"

	"github.com/sluicehq/sluice/engine/enginetest"
)

// BenchmarkEcho measures echo throughput over one TLS 1.3 connection: through
// tcp -> tls -> echo, and, as the reference measured in the same run, against
// a Go crypto/tls server echoing with io.Copy. Compare the two MB/s figures.
func BenchmarkEcho(b *testing.B) {
	p := newPKI(b)
	b.Run("sluice", func(b *testing.B) {
		e := start(b, `
name: test
vaults:
  server:
    type: fake
    options: { name: server }
bindings:
  net0:
    type: tcp
    kind: server
    options: { host: 127.0.0.1, port: 0 }
    exit: tls0
  tls0:
    type: tls
    kind: server
    vault: server
    options: { keys: [localhost] }
    exit: echo0
  echo0: { type: echo, kind: server }
`)
		benchEcho(b, enginetest.Addr(b, e, "test:net0"), p)
	})
	b.Run("crypto-tls", func(b *testing.B) {
		l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{p.server}})
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go func() { io.Copy(c, c); c.Close() }()
			}
		}()
		benchEcho(b, l.Addr().String(), p)
	})
}

func benchEcho(b *testing.B, addr string, p *pki) {
	c, err := tls.Dial("tcp", addr, p.clientConfig("localhost"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	msg := make([]byte, 64<<10)
	got := make([]byte, len(msg))
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	done := make(chan error, 1)
	go func() {
		for range b.N {
			if _, err := c.Write(msg); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for range b.N {
		if _, err := io.ReadFull(c, got); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
