package sse

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/bench/internal/hist"
)

// The clients role holds event-source connections and times the events
// they get. It is its own process because each process may open only as
// many files as the container's RLIMIT_NOFILE allows (20,000 here). It
// reads commands on stdin, one per line, and answers each with a JSON line:
//
//	open FROM N    open clients FROM..FROM+N-1, answer when all have their response head
//	report         the latency counts since the last report (then cleared)
//	close          close every connection
type clientWorker struct {
	addr    string
	path    string // with %d for the client number
	sources []net.IP

	mu     sync.Mutex
	conns  []net.Conn
	hist   hist.Histogram
	events atomic.Int64
	lost   atomic.Int64 // connections closed by the server
}

func runClients(args []string) error {
	fs := flag.NewFlagSet("clients", flag.ContinueOnError)
	addr := fs.String("addr", "", "server address")
	path := fs.String("path", "/keyed/k%d", "request path, %d is the client number")
	sources := fs.String("sources", "127.0.0.1", "comma-separated source addresses, used in turn")
	if err := fs.Parse(args); err != nil {
		return err
	}
	w := &clientWorker{addr: *addr, path: *path}
	for _, s := range strings.Split(*sources, ",") {
		w.sources = append(w.sources, net.ParseIP(s))
	}
	in := bufio.NewScanner(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "open":
			from, _ := strconv.Atoi(f[1])
			n, _ := strconv.Atoi(f[2])
			out.Encode(w.open(from, n))
		case "report":
			out.Encode(map[string]any{"counts": w.hist.Snapshot(true), "events": w.events.Swap(0), "lost": w.lost.Load()})
		case "close":
			w.mu.Lock()
			for _, c := range w.conns {
				c.Close()
			}
			w.conns = nil
			w.mu.Unlock()
			out.Encode(map[string]any{"closed": true})
		}
	}
	return in.Err()
}

// openResult says how many clients got their response head.
type openResult struct {
	Opened int      `json:"opened"`
	Failed int      `json:"failed"`
	Errors []string `json:"errors,omitempty"`
}

func (w *clientWorker) open(from, n int) openResult {
	var res openResult
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64) // connections being set up at once
	for i := from; i < from+n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := w.connect(i, func() { <-sem })
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.Failed++
				if len(res.Errors) < 5 {
					res.Errors = append(res.Errors, err.Error())
				}
				return
			}
			res.Opened++
		}()
	}
	wg.Wait()
	return res
}

// connect opens client i, waits for its response head, then reads its
// events until the connection closes. ready is called once the head came
// (or the attempt failed).
func (w *clientWorker) connect(i int, ready func()) error {
	src := w.sources[i%len(w.sources)]
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", w.addr)
	if err != nil {
		ready()
		return err
	}
	// Close with a reset, so that each server learns of the close at once
	// on its next read and thousands of closing clients do not linger into
	// the next measure.
	c.(*net.TCPConn).SetLinger(0)
	path := fmt.Sprintf(w.path, i)
	req := "GET " + path + " HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n"
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write([]byte(req)); err != nil {
		c.Close()
		ready()
		return err
	}
	buf := make([]byte, 1024)
	n, err := c.Read(buf)
	if err != nil || !bytes.HasPrefix(buf[:n], []byte("HTTP/1.1 200")) {
		c.Close()
		ready()
		if err == nil {
			err = fmt.Errorf("answer %q", buf[:min(n, 40)])
		}
		return err
	}
	c.SetDeadline(time.Time{})
	w.mu.Lock()
	w.conns = append(w.conns, c)
	w.mu.Unlock()
	ready()
	go w.read(c, buf[:n])
	return nil
}

// read parses events whose data is the time the record was due to be
// produced, in unix nanoseconds, and records how long each took to arrive
// from then. (Chunk-size lines of the HTTP/1.1 framing fall between
// events, never inside the short ones the benchmark sends.)
func (w *clientWorker) read(c net.Conn, pending []byte) {
	buf := make([]byte, 0, 1024)
	buf = append(buf, pending...)
	for {
		for {
			i := bytes.Index(buf, []byte("\ndata:"))
			if i < 0 {
				break
			}
			end := bytes.IndexByte(buf[i+6:], '\n')
			if end < 0 {
				break
			}
			if ts, err := strconv.ParseInt(string(buf[i+6:i+6+end]), 10, 64); err == nil {
				w.hist.Record(time.Duration(time.Now().UnixNano() - ts))
				w.events.Add(1)
			}
			buf = append(buf[:0], buf[i+6+end:]...)
		}
		// Keep only the last, incomplete line (from its preceding LF).
		if j := bytes.LastIndexByte(buf, '\n'); j > 0 {
			buf = append(buf[:0], buf[j:]...)
		}
		if len(buf) == cap(buf) {
			buf = buf[:0]
		}
		n, err := c.Read(buf[len(buf):cap(buf)])
		if err != nil {
			w.lost.Add(1)
			return
		}
		buf = buf[:len(buf)+n]
	}
}
