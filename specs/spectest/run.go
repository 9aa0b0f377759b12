package spectest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/engine"
)

const (
	defaultWindow  = 65536
	defaultTimeout = 10 * time.Second

	flagInit       = engine.FlagInit
	flagFin        = engine.FlagFin
	flagIncomplete = engine.FlagIncomplete
)

// Options configure a run.
type Options struct {
	// Extensions registers the extension types scripts may name.
	Extensions Extensions
	// Properties override the scripts' `property` values.
	Properties map[string]string
	// Timeout bounds each read, await and the wait for credit or for a
	// connection; 10 seconds when zero.
	Timeout time.Duration
	// Addresses maps a tcp:// authority written in scripts (host:port) to
	// the address really used, for a binding listening on a port chosen at
	// run time.
	Addresses map[string]string
}

func (o *Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return defaultTimeout
}

// transport connects blocks to their peers: sockets or an in-memory pipe
// at network level; engine streams or an in-memory stream at application
// level.
type transport interface {
	// prepare is called for every block before any runs, so that listeners
	// exist before anything connects.
	prepare(b *Block) error
	dialNet(ctx context.Context, b *Block) (netConn, error)
	// acceptNet and acceptApp take the k-th arrival for the block's URI:
	// accept blocks of a URI are served in script order.
	acceptNet(ctx context.Context, b *Block, k int) (netConn, error)
	// openApp opens an application stream with its Begin frame.
	openApp(ctx context.Context, b *Block, begin engine.Frame) (appConn, error)
	acceptApp(ctx context.Context, b *Block, k int) (appConn, error)
	close()
}

// appConn is one application-level stream seen from a script.
type appConn interface {
	// send sends a frame; Data waits for credit and never exceeds it.
	send(ctx context.Context, f engine.Frame) error
	// credit returns the credit available now.
	credit() int
	// awaitCredit waits until a frame fits: one with a byte of payload, or
	// an empty one when empty is set.
	awaitCredit(ctx context.Context, empty bool) error
	// next returns the next frame received, Window frames excepted.
	next(ctx context.Context) (engine.Frame, error)
}

// run executes every block of every script concurrently and returns the
// first failure, if any.
func run(ctx context.Context, tr transport, opts Options, scripts ...*Script) error {
	defer tr.close()
	for _, s := range scripts {
		for _, b := range s.Blocks {
			if err := tr.prepare(b); err != nil {
				return fmt.Errorf("%s:%d: %w", s.Name, b.Line, err)
			}
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	barriers := &barriers{m: map[string]chan struct{}{}}
	ordinals := map[*Block]int{}
	counts := map[string]int{}
	for _, s := range scripts {
		for _, b := range s.Blocks {
			if b.Accept {
				ordinals[b] = counts[b.URI]
				counts[b.URI]++
			}
		}
	}
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	for _, s := range scripts {
		for _, b := range s.Blocks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := &blockRun{script: s, block: b, tr: tr, opts: opts, barriers: barriers, ordinal: ordinals[b]}
				if err := r.run(ctx); err != nil {
					mu.Lock()
					if first == nil && !errors.Is(err, context.Canceled) {
						first = err
						cancel()
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	return first
}

type barriers struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

func (b *barriers) get(name string) chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.m[name]
	if !ok {
		c = make(chan struct{})
		b.m[name] = c
	}
	return c
}

func (b *barriers) notify(name string) {
	c := b.get(name)
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-c:
	default:
		close(c)
	}
}

// blockRun executes one block's commands in order.
type blockRun struct {
	script   *Script
	block    *Block
	tr       transport
	opts     Options
	barriers *barriers
	ordinal  int // among the accept blocks of the same URI

	net     *netReader
	netConn netConn
	app     appConn
	pending []byte // application data received but not yet read
}

func (r *blockRun) fail(c *Command, format string, args ...any) error {
	line := r.block.Line
	text := r.block.URI
	if c != nil {
		line, text = c.Line, c.Text
	}
	return fmt.Errorf("%s:%d: %s: %s", r.script.Name, line, text, fmt.Sprintf(format, args...))
}

func (r *blockRun) run(ctx context.Context) error {
	var err error
	b := r.block
	switch {
	case b.Level() == "network" && b.Accept:
		r.netConn, err = r.tr.acceptNet(ctx, b, r.ordinal)
	case b.Level() == "network":
		r.netConn, err = r.tr.dialNet(ctx, b)
	case b.Accept:
		r.app, err = r.tr.acceptApp(ctx, b, r.ordinal)
	}
	if err != nil {
		return r.fail(nil, "%v", err)
	}
	if r.netConn != nil {
		r.net = newNetReader(r.netConn)
	}
	for _, c := range b.Commands {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.command(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

func (r *blockRun) command(ctx context.Context, c *Command) error {
	switch c.Op {
	case "notify":
		r.barriers.notify(c.Barrier)
		return nil
	case "await":
		select {
		case <-r.barriers.get(c.Barrier):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(r.opts.timeout()):
			return r.fail(c, "barrier %q was not notified within %v", c.Barrier, r.opts.timeout())
		}
	}
	if r.block.Level() == "network" {
		return r.netCommand(ctx, c)
	}
	if c.Write {
		return r.appWrite(ctx, c)
	}
	return r.appRead(ctx, c)
}

var frameTypes = map[string]engine.FrameType{
	"begin": engine.BeginFrame, "data": engine.DataFrame, "end": engine.EndFrame,
	"abort": engine.AbortFrame, "flush": engine.FlushFrame, "reset": engine.ResetFrame,
	"challenge": engine.ChallengeFrame,
}

func (r *blockRun) appWrite(ctx context.Context, c *Command) error {
	f := engine.Frame{Type: frameTypes[c.Op]}
	if c.Ext != nil {
		ext, err := r.opts.Extensions.build(c.Ext)
		if err != nil {
			return r.fail(c, "%v", err)
		}
		f.Ext = ext
	}
	if r.app == nil {
		if c.Op != "begin" {
			return r.fail(c, "the first command after connect must be write begin")
		}
		app, err := r.tr.openApp(ctx, r.block, f)
		if err != nil {
			return r.fail(c, "%v", err)
		}
		r.app = app
		return nil
	}
	if c.Op != "data" {
		if err := r.app.send(ctx, f); err != nil {
			return r.fail(c, "%v", err)
		}
		return nil
	}
	payload := c.Value.Bytes
	flags := engine.FlagsComplete
	if c.HasFlag {
		flags = c.Flags
	}
	if c.Value.Null || len(payload) == 0 {
		f.Flags, f.Payload = flags, payload
		if c.Value.Null {
			f.Payload = nil
		}
		wctx, cancel := context.WithTimeout(ctx, r.opts.timeout())
		err := r.app.awaitCredit(wctx, true)
		cancel()
		if err != nil {
			return r.fail(c, "no window to write an empty frame: %v", err)
		}
		if err := r.app.send(ctx, f); err != nil {
			return r.fail(c, "%v", err)
		}
		return nil
	}
	// Fragment the payload to the credit available, as a binding would.
	for first := true; len(payload) > 0; first = false {
		wctx, cancel := context.WithTimeout(ctx, r.opts.timeout())
		err := r.app.awaitCredit(wctx, false)
		cancel()
		if err != nil {
			return r.fail(c, "no window to write %d bytes: %v", len(payload), err)
		}
		n := min(len(payload), r.app.credit())
		frag := engine.Frame{Type: engine.DataFrame, Payload: payload[:n]}
		if first {
			frag.Flags |= flags & (flagInit | flagIncomplete)
			frag.Ext = f.Ext
		}
		if n == len(payload) {
			frag.Flags |= flags & flagFin
		}
		if err := r.app.send(ctx, frag); err != nil {
			return r.fail(c, "%v", err)
		}
		payload = payload[n:]
	}
	return nil
}

func (r *blockRun) nextFrame(ctx context.Context, c *Command) (engine.Frame, error) {
	rctx, cancel := context.WithTimeout(ctx, r.opts.timeout())
	defer cancel()
	f, err := r.app.next(rctx)
	if err != nil {
		if ctx.Err() != nil {
			return f, ctx.Err()
		}
		return f, r.fail(c, "nothing received within %v", r.opts.timeout())
	}
	return f, nil
}

func (r *blockRun) appRead(ctx context.Context, c *Command) error {
	if r.app == nil {
		return r.fail(c, "read before the stream is open: a connect block starts with write begin")
	}
	want := frameTypes[c.Op]
	if want == engine.DataFrame && c.Ext == nil && !c.HasFlag && !c.Value.Null {
		return r.readStream(ctx, c)
	}
	if len(r.pending) > 0 {
		return r.fail(c, "expected %s, but %d bytes of data are unread: %q", c.Op, len(r.pending), preview(r.pending))
	}
	f, err := r.nextFrame(ctx, c)
	if err != nil {
		return err
	}
	if f.Type != want {
		return r.fail(c, "expected %s, got %s", c.Op, describe(&f))
	}
	if c.Ext != nil {
		if err := r.opts.Extensions.match(c.Ext, f.Ext); err != nil {
			return r.fail(c, "%v", err)
		}
	}
	if want != engine.DataFrame {
		return nil
	}
	if c.HasFlag && f.Flags != c.Flags {
		return r.fail(c, "expected flags %#x, got %#x", c.Flags, f.Flags)
	}
	switch v := c.Value; {
	case v.Null:
		if f.Payload != nil {
			return r.fail(c, "expected no payload (null), got %d bytes", len(f.Payload))
		}
	case v.Pattern != nil:
		if loc := v.Pattern.FindIndex(f.Payload); loc == nil || loc[1] != len(f.Payload) {
			return r.fail(c, "payload %q does not match /%s/", preview(f.Payload), v.Pattern)
		}
	default:
		if !bytes.Equal(f.Payload, v.Bytes) {
			return r.fail(c, "expected payload %q, got %q", preview(v.Bytes), preview(f.Payload))
		}
	}
	return nil
}

// readStream reads data across frame boundaries, as a byte stream.
func (r *blockRun) readStream(ctx context.Context, c *Command) error {
	v := c.Value
	for {
		if v.Pattern != nil {
			if loc := v.Pattern.FindIndex(r.pending); loc != nil {
				r.pending = r.pending[loc[1]:]
				return nil
			}
		} else if len(r.pending) >= len(v.Bytes) {
			got := r.pending[:len(v.Bytes)]
			if !bytes.Equal(got, v.Bytes) {
				return r.fail(c, "expected %q, got %q", preview(v.Bytes), preview(got))
			}
			r.pending = r.pending[len(v.Bytes):]
			return nil
		} else if !bytes.HasPrefix(v.Bytes, r.pending) {
			return r.fail(c, "expected %q, got %q", preview(v.Bytes), preview(r.pending))
		}
		f, err := r.nextFrame(ctx, c)
		if err != nil {
			if len(r.pending) > 0 && !errors.Is(err, context.Canceled) {
				return r.fail(c, "expected %s, got only %q before the wait ended", expectation(v), preview(r.pending))
			}
			return err
		}
		if f.Type != engine.DataFrame {
			return r.fail(c, "expected data %s, got %s after %q", expectation(v), describe(&f), preview(r.pending))
		}
		r.pending = append(r.pending, f.Payload...)
	}
}

func expectation(v *Value) string {
	if v.Pattern != nil {
		return "/" + strings.TrimSuffix(strings.TrimPrefix(v.Pattern.String(), "^(?s:"), ")") + "/"
	}
	return fmt.Sprintf("%q", preview(v.Bytes))
}

func describe(f *engine.Frame) string {
	switch f.Type {
	case engine.DataFrame:
		return fmt.Sprintf("data %q (flags %#x, ext %s)", preview(f.Payload), f.Flags, extString(f.Ext))
	default:
		return fmt.Sprintf("%s (ext %s)", f.Type, extString(f.Ext))
	}
}

func extString(ext any) string {
	if ext == nil {
		return "none"
	}
	return fmt.Sprintf("%T %+v", ext, ext)
}

func preview(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + fmt.Sprintf("... (%d bytes)", len(b))
	}
	return string(b)
}
