package httpkafka

import (
	"time"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// maxCollectionBytes bounds the values a collection response gathers
// before it is sent; beyond it the request fails with 500 and a log
// event, rather than holding an unbounded response.
const maxCollectionBytes = 64 << 20

// JSON array punctuation, shared by every response (receivers never
// modify payloads).
var (
	jsonOpen  = []byte("[")
	jsonComma = []byte(",")
	jsonClose = []byte("]")
	jsonEmpty = []byte("[]")
)

// collectionFetch answers a GET of a merge route: a JSON array of the
// latest value of every key the filters select, values copied as they
// are (they are JSON documents), tombstones and empty values left out,
// records without a key each kept.
//
// The topic is read from its earliest record until caught up; the values
// are held by reference until then, so that a key written twice appears
// once, with its latest value. The etag is the latest offset of every
// partition when the fetch began: an If-None-Match equal to it is
// answered 304 at once, or, with `prefer: wait=N`, when N seconds pass
// without a new matching record; a new record ends the wait with the new
// collection.
type collectionFetch struct {
	x       *exchange
	f       *fetchWith
	topic   string
	inm     kafkaspec.Progress
	inmText string
	hasINM  bool
	wait    int

	fetch   *engine.Stream
	etag    string
	items   []heldRecord
	byKey   map[string]int
	current int // index in items of the record being received, -1 none
	held    int
	watch   *engine.Stream // the wait for a change, when not modified
	timer   *time.Timer
}

func newCollectionFetch(x *exchange) *collectionFetch {
	c := &collectionFetch{x: x, f: x.route.fetch, current: -1}
	c.inm, c.inmText, c.hasINM = ifNoneMatch(x.headers)
	_, c.wait = preferences(x.headers)
	if c.wait == 0 {
		c.wait = -1 // wait=0: no wait, answer once caught up
	}
	return c
}

func (c *collectionFetch) begin()               {}
func (c *collectionFetch) data(f *engine.Frame) { c.x.s.Window(len(f.Payload)) }

func (c *collectionFetch) end() { c.open() }

// open starts the fetch of the whole collection.
func (c *collectionFetch) open() {
	b := fetchBegin(c.f, c.x, nil, true)
	c.topic = b.Topic
	k, err := c.x.openKafka(c.receive, b)
	if err != nil {
		c.x.answer(500)
		return
	}
	c.fetch = k
	k.Window(fetchWindow)
}

func (c *collectionFetch) receive(k *engine.Stream, f *engine.Frame) {
	x := c.x
	if x.done || k != c.fetch {
		return
	}
	switch f.Type {
	case engine.BeginFrame:
		ex, _ := f.Ext.(*kafkaspec.ReplyBeginEx)
		latest := latestProgress(ex)
		c.etag = latest.String()
		if c.hasINM && sameProgress(latest, c.inm) {
			closeKafka(k)
			c.fetch = nil
			c.hasINM = false // what follows a change is a new collection
			if c.wait > 0 {
				c.awaitChange()
				return
			}
			c.notModified()
		}
	case engine.DataFrame:
		k.Window(len(f.Payload))
		c.add(f)
	case engine.FlushFrame:
		if ex, ok := f.Ext.(*kafkaspec.FlushEx); ok && ex.CaughtUp {
			c.respond()
		}
	case engine.EndFrame:
		c.fetch = nil
		c.respond()
	case engine.AbortFrame, engine.ResetFrame:
		c.fetch = nil
		x.fail("kafka fetch failed", c.topic, errorOf(f), 500)
	}
}

// add keeps a record's value, replacing an older value of its key.
func (c *collectionFetch) add(f *engine.Frame) {
	if f.Flags&engine.FlagInit != 0 {
		ex, _ := f.Ext.(*kafkaspec.DataEx)
		if ex == nil {
			ex = &kafkaspec.DataEx{}
		}
		c.current = -1
		if ex.Key != nil {
			if c.byKey == nil {
				c.byKey = map[string]int{}
			}
			if i, ok := c.byKey[string(ex.Key)]; ok {
				c.held -= c.items[i].size
				c.items[i] = heldRecord{} // superseded: left out
			}
			c.byKey[string(ex.Key)] = len(c.items)
		}
		c.current = len(c.items)
		c.items = append(c.items, heldRecord{})
	}
	if c.current < 0 {
		return
	}
	c.items[c.current].add(f)
	c.held += len(f.Payload)
	if c.held > maxCollectionBytes {
		c.x.p.log.Warn("collection too large to answer", "request", c.x.request(), "topic", c.topic, "limit", maxCollectionBytes)
		c.items = nil
		c.x.answer(500)
	}
}

// respond sends the collection held.
func (c *collectionFetch) respond() {
	x := c.x
	if x.resp.answered() {
		return
	}
	closeKafka(c.fetch)
	c.fetch = nil
	x.resp.begin(statusHeaders(200,
		httpspec.Header{Name: "content-type", Value: "application/json"},
		httpspec.Header{Name: "etag", Value: c.etag}))
	first := true
	for i := range c.items {
		it := &c.items[i]
		if it.ex == nil || it.ex.Tombstone || it.size == 0 || !it.complete {
			continue
		}
		if first {
			x.resp.write(jsonOpen)
			first = false
		} else {
			x.resp.write(jsonComma)
		}
		for _, b := range it.frames {
			x.resp.write(b)
		}
	}
	if first {
		x.resp.write(jsonEmpty)
	} else {
		x.resp.write(jsonClose)
	}
	c.items, c.byKey = nil, nil
	x.resp.end()
	x.checkDone()
}

func (c *collectionFetch) notModified() {
	c.x.answer(304, httpspec.Header{Name: "etag", Value: c.inmText})
}

// awaitChange waits, for up to the request's wait, for a record newer
// than its etag: then the whole collection is fetched again and sent.
func (c *collectionFetch) awaitChange() {
	x := c.x
	b := fetchBegin(c.f, x, c.inm, false)
	k, err := x.openKafka(c.watched, b)
	if err != nil {
		x.answer(500)
		return
	}
	c.watch = k
	k.Window(fetchWindow)
	c.timer = time.AfterFunc(time.Duration(c.wait)*time.Second, func() { x.s.Execute(c.unchanged) })
}

// watched takes the frames of the wait for a change.
func (c *collectionFetch) watched(k *engine.Stream, f *engine.Frame) {
	x := c.x
	if x.done || k != c.watch {
		return
	}
	switch f.Type {
	case engine.DataFrame:
		closeKafka(k)
		c.watch = nil
		c.timer.Stop()
		c.open()
	case engine.EndFrame, engine.AbortFrame, engine.ResetFrame:
		c.watch = nil
		x.fail("kafka fetch failed", c.topic, errorOf(f), 500)
	}
}

// unchanged ends a wait that saw no change.
func (c *collectionFetch) unchanged() {
	if c.x.done || c.x.resp.answered() || c.watch == nil {
		return
	}
	c.notModified()
}

func (c *collectionFetch) stop() {
	if c.timer != nil {
		c.timer.Stop()
	}
	closeKafka(c.fetch)
	closeKafka(c.watch)
	c.fetch, c.watch = nil, nil
}
