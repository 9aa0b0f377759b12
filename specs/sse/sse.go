// Package sse defines the "sse" stream protocol: the extension types that
// the sse server binding and the applications behind it (sse-kafka)
// exchange, the sse binding's schema fragment, and its spec scripts.
//
// # One stream per event source
//
// The sse server turns each accepted `GET` on an http stream into one sse
// stream toward its exit. The initial direction carries no data: it opens
// with Begin and a *BeginEx (the request's scheme, authority, path without
// its query, and the Last-Event-ID the client resumes from), and stays open
// while the client is connected. The client going away closes it (Abort),
// and resets the reply.
//
// The reply direction is the event stream:
//
//   - Begin opens it; the sse server then answers `200` with
//     `content-type: text/event-stream`.
//   - Each event is one message of Data frames: the first carries FlagInit
//     and a *DataEx (id, event type, timestamp), the last FlagFin; a whole
//     event in one frame has engine.FlagsComplete. The payload is the
//     event's data: the server writes one `data:` line per line of it (CR,
//     LF and CRLF all end a line). A nil payload on a complete frame writes
//     no `data:` field at all (the browser then only moves its last event
//     id); an empty payload writes one empty `data:` line.
//   - End closes the event stream; an *EndEx with an ID writes a last
//     `id:` field first, so that a client reconnecting resumes after events
//     it was not sent (filtered out). Abort drops the connection.
//
// Window credit on the reply counts payload bytes only. The server writes
// more than that (field names, ids, line prefixes) and grants its
// application credit in proportion to what the client's connection takes,
// so an application never needs to know the framing. While the client's
// connection has room, the server keeps at least 4 KiB of credit open, so
// that an application relaying a source that sends records only when they
// fit whole (a kafka fetch, specs/kafka) is never stuck.
//
// # Refusing a stream
//
// An application that refuses a stream before beginning its reply resets
// the initial direction, optionally with a *ResetEx giving the HTTP status
// the server answers with instead of 404. A browser's EventSource does not
// reconnect after a non-200 answer; an application that wants it to try
// again later (Kafka unavailable) begins the reply and ends it instead.
//
// # Challenge
//
// A Challenge frame with an http.ChallengeEx that the http server sends to
// the sse server (a guard asking the client to re-authorize) becomes an
// event of type ChallengeEventType whose data is the JSON object built by
// ChallengeData. Applications never see it.
//
// # Spec scripts
//
// streams/network holds the http side of each scenario (http streams with
// http extensions, what the sse server accepts) and streams/application
// the sse side (what it opens to its exit).
package sse

import (
	_ "embed"
	"encoding/json"
	"strings"
	"time"

	httpspec "github.com/sluicehq/sluice/specs/http"
)

// Schema is the JSON Schema fragment for `type: sse` bindings.
//
//go:embed schema.json
var Schema []byte

// Protocol names the streams of this package in engine.KindSpec: one event
// source per stream.
const Protocol = "sse"

// MaxLastIDLength is the longest Last-Event-ID (in bytes) the server passes
// on; a longer one is answered 400, as Zilla does.
const MaxLastIDLength = 254

// BeginEx is the begin extension of the initial direction of an sse
// stream.
type BeginEx struct {
	// Scheme and Authority are the request's :scheme and :authority.
	Scheme    string `json:"scheme,omitempty"`
	Authority string `json:"authority,omitempty"`
	// Path is the request's :path without its query string.
	Path string `json:"path"`
	// LastID is the id of the last event the client received: the
	// Last-Event-ID header, or else the lastEventId query parameter
	// (URL-decoded); empty when the client sent neither.
	LastID string `json:"lastId,omitempty"`
}

// DataEx is the extension of the first Data frame of an event.
type DataEx struct {
	// ID is written as the event's `id:` field; empty writes none.
	ID string `json:"id,omitempty"`
	// Type is written as the `event:` field; empty writes none (the
	// browser dispatches a "message" event).
	Type string `json:"type,omitempty"`
	// Timestamp is written as a `timestamp:` field (milliseconds since the
	// epoch, in hexadecimal) to clients that asked for it with
	// `accept: text/event-stream;ext=timestamp`; zero writes none.
	Timestamp time.Time `json:"timestamp,omitzero"`
}

// EndEx is the extension of the End of the reply direction.
type EndEx struct {
	// ID, when set, is written as a last `id:` field before the stream
	// ends.
	ID string `json:"id,omitempty"`
}

// ResetEx is the extension of a Reset of the initial direction sent before
// the reply began.
type ResetEx struct {
	// Status is the HTTP status to answer with; 404 when zero.
	Status int `json:"status,omitempty"`
}

// ChallengeEventType is the `event:` type of the event written for a
// Challenge frame, as Zilla names it.
const ChallengeEventType = "challenge"

// ChallengeData returns the data of the challenge event for a challenge
// request head: a JSON object with "method" (from :method) and "headers"
// (the other fields, in order; pseudo-headers other than :method are
// left out), such as
// {"method":"POST","headers":{"content-type":"application/x-challenge-response"}}.
func ChallengeData(headers httpspec.Headers) []byte {
	var b strings.Builder
	b.WriteString(`{`)
	sep := ""
	if m, ok := headers.Get(httpspec.Method); ok {
		b.WriteString(`"method":`)
		writeJSONString(&b, m)
		sep = ","
	}
	b.WriteString(sep)
	b.WriteString(`"headers":{`)
	n := 0
	for _, h := range headers {
		if strings.HasPrefix(h.Name, ":") {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, h.Name)
		b.WriteByte(':')
		writeJSONString(&b, h.Value)
		n++
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

func writeJSONString(b *strings.Builder, s string) {
	q, _ := json.Marshal(s)
	b.Write(q)
}

// Extensions names the sse extension types for spec scripts
// (`sse:begin {"path": "/events"}`).
var Extensions = map[string]func() any{
	"begin": func() any { return new(BeginEx) },
	"data":  func() any { return new(DataEx) },
	"end":   func() any { return new(EndEx) },
	"reset": func() any { return new(ResetEx) },
}
