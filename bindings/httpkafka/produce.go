package httpkafka

import (
	"encoding/binary"
	"hash"
	"strconv"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// tombstoneWindow is the credit granted for the body of a DELETE, which is
// read and dropped: a tombstone has no value.
const tombstoneWindow = 16 << 10

// recordWriter streams one request body into one Kafka record on a
// produce stream. Each body frame goes on as a record fragment, the same
// bytes without a copy, within the credit the produce stream grants (and
// which the writer grants the http stream in turn): the kafka binding
// assembles the record once, up to the topic's largest message, and
// refuses a larger one before producing anything.
type recordWriter struct {
	x     *exchange
	k     *engine.Stream // the produce stream
	topic string
	// first is the extension of the record's first fragment: key,
	// headers, tombstone.
	first *kafkaspec.DataEx
	// length is the request's content-length, -1 when it has none.
	length int64
	// finishWithBody puts FlagFin on the body's last fragment (a record
	// without a reply); otherwise the record stays open until commit.
	finishWithBody bool
	// digest, when set, hashes the record as it goes (correlation ids).
	digest hash.Hash

	started  bool // FlagInit sent
	finished bool // FlagFin sent
	received int64
	ack      *kafkaspec.AckEx

	// Outcome callbacks, on the exchange's Executor.
	acked  func(*kafkaspec.AckEx)
	failed func(*kafkaspec.ErrorEx)
}

// open opens the produce stream.
func (w *recordWriter) open(acks kafkaspec.AckMode) bool {
	k, err := w.x.openKafka(w.receive, &kafkaspec.BeginEx{Capabilities: kafkaspec.ProduceOnly, Topic: w.topic, Acks: acks})
	if err != nil {
		w.x.answer(500)
		return false
	}
	w.k = k
	if w.first.Tombstone {
		w.x.s.Window(tombstoneWindow)
	}
	return true
}

// receive takes the produce stream's frames.
func (w *recordWriter) receive(k *engine.Stream, f *engine.Frame) {
	if w.x.done || k != w.k {
		return
	}
	switch f.Type {
	case engine.WindowFrame:
		// Every byte the produce stream takes is a byte of the body.
		if !w.first.Tombstone && !w.x.s.InClosed() {
			w.x.s.Window(f.Credit)
		}
	case engine.FlushFrame:
		if ack, ok := f.Ext.(*kafkaspec.AckEx); ok && w.ack == nil {
			w.ack = ack
			if ack.Error != nil {
				w.failed(ack.Error)
			} else {
				w.acked(ack)
			}
		}
	case engine.EndFrame:
		if w.ack == nil {
			w.failed(&kafkaspec.ErrorEx{Code: kafkaspec.CodeUnknown, Retriable: true, Message: "kafka ended the produce stream without acknowledging the record"})
		}
	case engine.AbortFrame, engine.ResetFrame:
		if w.ack == nil {
			ex := errorOf(f)
			if ex == nil {
				ex = &kafkaspec.ErrorEx{Code: kafkaspec.CodeUnknown, Retriable: true, Message: "kafka closed the produce stream"}
			}
			w.failed(ex)
		}
	}
}

// data forwards a body frame.
func (w *recordWriter) data(p []byte) {
	if w.first.Tombstone {
		w.x.s.Window(len(p)) // a tombstone has no value: drop the body
		return
	}
	if w.digest != nil {
		w.digest.Write(p)
	}
	w.received += int64(len(p))
	flags := uint8(0)
	var ext any
	if !w.started {
		w.started, flags, ext = true, engine.FlagInit, w.first
		if w.length > 0 {
			w.first.Deferred = int(w.length - int64(len(p)))
		}
	}
	if w.finishWithBody && w.length >= 0 && w.received >= w.length {
		flags |= engine.FlagFin
		w.finished = true
	}
	w.k.Data(flags, p, ext)
}

// end is told the body is complete: it sends the first fragment if the
// body was empty, and finishes the record when finishWithBody.
func (w *recordWriter) end() {
	if w.k == nil {
		return
	}
	if !w.started {
		w.started = true
		flags := engine.FlagInit
		if w.finishWithBody {
			flags, w.finished = engine.FlagsComplete, true
		}
		w.k.Data(flags, []byte{}, w.first)
	} else if w.finishWithBody && !w.finished {
		w.finished = true
		w.k.Data(engine.FlagFin, nil, nil)
	}
	if w.finished {
		w.k.End(nil)
	}
}

// commit finishes a record left open, with trailer headers: what makes a
// correlated request visible to its responder.
func (w *recordWriter) commit(trailers []kafkaspec.Header) {
	if w.finished {
		return
	}
	w.finished = true
	w.k.Data(engine.FlagFin, nil, &kafkaspec.DataEx{Headers: trailers})
	w.k.End(nil)
}

// abandon drops a record not finished: the kafka binding never produces
// a record whose last fragment did not arrive.
func (w *recordWriter) abandon() {
	if w.k != nil && (!w.finished || w.ack == nil) {
		w.k.Abort(nil)
		w.k.Reset(nil)
	}
	w.k = nil
}

// hashField feeds a length-prefixed field to the digest, so that fields
// cannot run into each other.
func (w *recordWriter) hashField(b []byte) {
	var n [binary.MaxVarintLen64]byte
	w.digest.Write(n[:binary.PutUvarint(n[:], uint64(len(b)))])
	w.digest.Write(b)
}

// contentLength returns the request's content-length, or -1.
func contentLength(h httpspec.Headers) int64 {
	v, ok := h.Get("content-length")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// recordKey expands the route's key, nil for none.
func recordKey(p *produceWith, x *exchange) []byte {
	if p.key == nil {
		return nil
	}
	return p.key.AppendTo(make([]byte, 0, 32), x)
}

// appendOverrides appends the route's overrides as Kafka headers.
func appendOverrides(dst []kafkaspec.Header, p *produceWith, x *exchange) []kafkaspec.Header {
	for _, o := range p.overrides {
		dst = append(dst, kafkaspec.Header{Name: o.name, Value: o.value.AppendTo(nil, x)})
	}
	return dst
}

// onewayProduce is a produce without reply-to: the request becomes a
// record, and the answer is 204 once Kafka acknowledged it.
type onewayProduce struct {
	x *exchange
	w recordWriter
}

func newOnewayProduce(x *exchange) *onewayProduce {
	o := &onewayProduce{x: x}
	p := x.route.produce
	o.w = recordWriter{x: x, topic: p.topic.Expand(x), length: contentLength(x.headers), finishWithBody: true,
		acked: o.acked, failed: o.failed}
	ext := &kafkaspec.DataEx{Key: recordKey(p, x), Tombstone: x.method == "DELETE"}
	if ct, ok := x.headers.Get("content-type"); ok {
		ext.Headers = append(ext.Headers, kafkaspec.Header{Name: "content-type", Value: []byte(ct)})
	}
	ext.Headers = appendOverrides(ext.Headers, p, x)
	o.w.first = ext
	return o
}

func (o *onewayProduce) begin() { o.w.open(o.x.route.produce.acks) }

func (o *onewayProduce) data(f *engine.Frame) { o.w.data(f.Payload) }

func (o *onewayProduce) end() { o.w.end() }

func (o *onewayProduce) acked(*kafkaspec.AckEx) {
	o.w.k = nil // the stream ends by itself once acknowledged
	o.x.answer(204)
}

func (o *onewayProduce) failed(ex *kafkaspec.ErrorEx) {
	o.x.fail("kafka produce failed", o.w.topic, ex, 400)
}

func (o *onewayProduce) stop() { o.w.abandon() }
