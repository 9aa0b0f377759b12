// Package plain holds reference servers written as plain Go programs: a
// TCP echo, an HTTP echo, and the quickstart's job (REST and SSE over a
// Kafka topic) with net/http and franz-go. They run from bench/plain, a
// small program of their own, so that their start-up time and memory are
// those of a plain Go program, not of the bench tool that also links the
// engine and a plotting library.
package plain

import (
	"io"
	"net"
	"net/http"
	"strconv"
)

// Echo runs a TCP echo server: a goroutine per connection that reads into
// a 32 KiB buffer and writes it back ("loop"), or io.Copy, which Linux
// turns into splice(2) and so never copies the bytes into the process
// ("splice").
func Echo(addr, mode string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			if mode == "splice" {
				io.Copy(c, c)
				return
			}
			buf := make([]byte, 32<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					if _, werr := c.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
}

// HTTPEcho answers every request the way the http.echo pipeline does: 200,
// the request's headers (Host aside) as response headers, and the request
// body as the response body, over HTTP/1.1 and h2c.
func HTTPEcho(addr string) error {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range r.Header {
			w.Header()[k] = v
		}
		if r.ContentLength > 0 {
			w.Header().Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
		}
		w.WriteHeader(http.StatusOK)
		io.Copy(w, r.Body)
	})
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{Addr: addr, Handler: h, Protocols: &protocols}
	return srv.ListenAndServe()
}
