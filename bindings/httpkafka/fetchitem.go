package httpkafka

import (
	"strconv"
	"time"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// fetchWindow is the credit a fetch starts with; it is granted again as
// records arrive.
const fetchWindow = 64 << 10

// heldRecord is a fetched record kept by reference until it is answered:
// its extension and its value's fragments.
type heldRecord struct {
	ex       *kafkaspec.DataEx
	frames   [][]byte
	size     int
	complete bool
}

// add takes a Data frame of the fetch: a new record on FlagInit, a
// fragment of the current one otherwise. It reports the record the frame
// completed, if any.
func (h *heldRecord) add(f *engine.Frame) {
	if f.Flags&engine.FlagInit != 0 {
		ex, _ := f.Ext.(*kafkaspec.DataEx)
		if ex == nil {
			ex = &kafkaspec.DataEx{}
		}
		*h = heldRecord{ex: ex}
	} else if h.ex == nil || h.complete {
		return
	}
	if len(f.Payload) > 0 {
		h.frames = append(h.frames, f.Payload)
		h.size += len(f.Payload)
	}
	h.complete = f.Flags&engine.FlagFin != 0
}

// itemFetch answers a GET of one item: the latest record the route's
// filters select (usually by key).
//
// Without If-None-Match the topic is read from its earliest record until
// caught up, keeping the latest matching record (by reference): 200 with
// its value, 204 when empty, 404 for a tombstone or none. With an
// If-None-Match holding an http-kafka etag, the read starts from the etag's
// offsets, so that only a newer record answers, else 304. With
// `prefer: wait=N`, a request that found nothing (or nothing newer) stays
// until a matching record arrives, for up to N seconds.
type itemFetch struct {
	x        *exchange
	f        *fetchWith
	topic    string
	inm      kafkaspec.Progress
	inmText  string
	hasINM   bool
	wait     int // seconds, -1 without prefer: wait
	fetch    *engine.Stream
	latest   heldRecord
	caughtUp bool
	timer    *time.Timer
}

func newItemFetch(x *exchange) *itemFetch {
	i := &itemFetch{x: x, f: x.route.fetch}
	i.inm, i.inmText, i.hasINM = ifNoneMatch(x.headers)
	_, i.wait = preferences(x.headers)
	if i.wait == 0 {
		i.wait = -1 // wait=0: no wait, answer once caught up
	}
	return i
}

func (i *itemFetch) begin()               {}
func (i *itemFetch) data(f *engine.Frame) { i.x.s.Window(len(f.Payload)) }

func (i *itemFetch) end() {
	x := i.x
	b := fetchBegin(i.f, x, i.inm, i.wait < 0)
	i.topic = b.Topic
	k, err := x.openKafka(i.receive, b)
	if err != nil {
		x.answer(500)
		return
	}
	i.fetch = k
	k.Window(fetchWindow)
	if i.wait >= 0 {
		i.timer = time.AfterFunc(time.Duration(i.wait)*time.Second, func() { x.s.Execute(i.expired) })
	}
}

func (i *itemFetch) receive(k *engine.Stream, f *engine.Frame) {
	x := i.x
	if x.done || k != i.fetch {
		return
	}
	switch f.Type {
	case engine.DataFrame:
		k.Window(len(f.Payload)) // held by reference, at most one record
		if x.resp.answered() {
			return
		}
		i.latest.add(f)
		if i.latest.complete && i.caughtUp {
			i.respond() // a record written while the request waited
		}
	case engine.FlushFrame:
		if ex, ok := f.Ext.(*kafkaspec.FlushEx); ok && ex.CaughtUp {
			i.caughtUp = true
			i.settle()
		}
	case engine.EndFrame:
		i.fetch = nil
		i.caughtUp = true
		i.settle()
		if !x.resp.answered() {
			i.notFound()
		}
	case engine.AbortFrame, engine.ResetFrame:
		i.fetch = nil
		x.fail("kafka fetch failed", i.topic, errorOf(f), 500)
	}
}

// settle answers once caught up: with the latest record, or with 404 or
// 304 unless the request waits.
func (i *itemFetch) settle() {
	switch {
	case i.x.resp.answered():
	case i.latest.complete:
		i.respond()
	case i.wait < 0:
		i.notFound()
	}
}

// expired ends the wait.
func (i *itemFetch) expired() {
	if i.x.done || i.x.resp.answered() {
		return
	}
	if i.latest.complete {
		i.respond()
		return
	}
	i.notFound()
}

// notFound answers that there is no (newer) record.
func (i *itemFetch) notFound() {
	if i.hasINM {
		i.x.answer(304, httpspec.Header{Name: "etag", Value: i.inmText})
		return
	}
	i.x.answer(404)
}

// respond answers with the latest record.
func (i *itemFetch) respond() {
	x, rec := i.x, &i.latest
	if rec.ex.Tombstone {
		x.answer(404)
		return
	}
	etag := httpspec.Header{Name: "etag", Value: itemETag(rec.ex)}
	if rec.size == 0 {
		x.answer(204, etag)
		return
	}
	length := httpspec.Header{Name: "content-length", Value: strconv.Itoa(rec.size)}
	var h httpspec.Headers
	if ct, ok := recordContentType(rec.ex.Headers); ok {
		h = statusHeaders(200, length, httpspec.Header{Name: "content-type", Value: ct}, etag)
	} else {
		h = statusHeaders(200, length, etag)
	}
	x.resp.begin(h)
	for _, b := range rec.frames {
		x.resp.write(b)
	}
	rec.frames = nil
	closeKafka(i.fetch)
	i.fetch = nil
	x.resp.end()
	x.checkDone()
}

func (i *itemFetch) stop() {
	if i.timer != nil {
		i.timer.Stop()
	}
	closeKafka(i.fetch)
	i.fetch = nil
}
