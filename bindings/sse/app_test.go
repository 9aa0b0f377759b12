package sse_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/sluicehq/sluice/engine"
	ssespec "github.com/sluicehq/sluice/specs/sse"
)

// counterType is a test application behind the sse server: a stream for
// /count/N/SIZE sends events numbered from the one after the last event id
// (from 1), each with SIZE bytes of data (a line `event N` padded with
// dots), up to event N (0: forever), within its credit, then ends. A
// stream for /idle sends nothing.
var counterType = engine.BindingType{
	Name:   "counter",
	Kinds:  []engine.KindSpec{{Kind: engine.KindServer, Accepts: ssespec.Protocol}},
	Schema: []byte(`{"properties": {"options": false, "routes": false, "exit": false}}`),
	New: func(*engine.BindingContext) (engine.Binding, error) {
		return &counterBinding{}, nil
	},
}

type counterBinding struct {
	sent atomic.Int64 // payload bytes sent, across streams
	open atomic.Int64 // streams open
}

func (b *counterBinding) Accept(s *engine.Stream, begin *engine.Frame) (engine.Receiver, error) {
	be, ok := begin.Ext.(*ssespec.BeginEx)
	if !ok {
		return nil, fmt.Errorf("counter: no sse begin extension")
	}
	c := &counter{b: b}
	if be.Path == "/idle" {
		c.idle = true
		return c, nil
	}
	parts := strings.Split(strings.TrimPrefix(be.Path, "/count/"), "/")
	if len(parts) != 2 {
		return nil, fmt.Errorf("counter: path %q is not /count/N/SIZE", be.Path)
	}
	c.last, _ = strconv.Atoi(parts[0])
	c.size, _ = strconv.Atoi(parts[1])
	c.next, _ = strconv.Atoi(be.LastID)
	c.next++
	return c, nil
}

type counter struct {
	b          *counterBinding
	last, size int
	next       int
	idle       bool // send nothing
	ended      bool // the reply ended
	done       bool // the stream closed
}

func (c *counter) Receive(s *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.BeginFrame:
		c.b.open.Add(1)
		s.Begin(nil)
		c.pump(s)
	case engine.WindowFrame:
		c.pump(s)
	case engine.AbortFrame, engine.ResetFrame, engine.EndFrame:
		if !c.done {
			c.done = true
			c.b.open.Add(-1)
		}
		s.Terminate(nil)
	}
}

func (c *counter) pump(s *engine.Stream) {
	if c.done || c.ended || c.idle {
		return
	}
	for c.last == 0 || c.next <= c.last {
		data := c.event(c.next)
		if s.Credit() < len(data) {
			return
		}
		s.Data(engine.FlagsComplete, data, &ssespec.DataEx{ID: strconv.Itoa(c.next)})
		c.b.sent.Add(int64(len(data)))
		c.next++
	}
	c.ended = true
	s.End(&ssespec.EndEx{ID: strconv.Itoa(c.last)})
}

func (c *counter) event(n int) []byte {
	line := "event " + strconv.Itoa(n)
	if len(line) < c.size {
		line += strings.Repeat(".", c.size-len(line))
	}
	return []byte(line)
}
