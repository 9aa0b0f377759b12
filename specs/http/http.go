// Package http defines the "http" stream protocol: the extension types that
// the http binding and the bindings sitting on it (sse, http-kafka, grpc)
// exchange, and the http binding's schema fragment.
//
// # One stream per exchange
//
// Each HTTP request, whether it arrived over HTTP/1.1 or HTTP/2, is one
// stream. The initial direction is the request:
//
//   - Begin carries a *BeginEx whose Headers hold the request head: the
//     pseudo-headers first, in the order :method, :scheme, :authority, :path,
//     then the regular headers in the order they arrived, names lower-case.
//     Hop-by-hop fields of HTTP/1.1 (connection, keep-alive, proxy-connection,
//     transfer-encoding, upgrade, te other than "trailers", expect, http2-settings)
//     are not carried: the binding handles them. Host becomes :authority.
//   - Data frames carry the body bytes, in order, each within the receiver's
//     window (Data frames carry FlagsComplete; they are not messages).
//   - End closes the body; an *EndEx carries trailers when the client sent
//     any. Abort means the client went away or the request failed mid-way.
//
// The reply direction is the response, in the same shape: Begin with a
// *BeginEx whose Headers start with :status (a reply without :status is
// answered 200), Data for the body, End (with an *EndEx for trailers) or
// Abort (the connection is aborted for HTTP/1.1, RST_STREAM for HTTP/2; a
// 502 is answered when the response had not started).
//
// A reply may stay open as long as its producer likes (an SSE stream stays
// open for hours): no timeout applies to a response in progress.
//
// # Refusing a request
//
// A binding that refuses a request before replying resets the initial
// direction, optionally with a *ResetEx whose Headers are the response to
// send (":status" first, for example 401 with a www-authenticate header).
// Without headers the server answers 404. The rest of the body, if any, is
// dropped (or the HTTP/1.1 connection closed after the answer when it is
// large). This holds after the request's End too: the engine lets one Reset
// travel after a clean End, as Zilla's http does for a request refused
// once fully received. Replying with a Begin whose :status says why works
// as well. A stream whose exit refuses to open it is answered 502.
//
// # Challenge
//
// A Challenge frame on the initial direction, sent by the http server to
// the application with a *ChallengeEx, asks the client to re-authorize (SSE
// turns it into an event). The guard-driven runtime arrives with the JWT
// guard; the type is defined here so that sse can be written against it.
package http

import (
	_ "embed"
)

// Schema is the JSON Schema fragment for `type: http` bindings.
//
//go:embed schema.json
var Schema []byte

// Protocol names the streams of this package in engine.KindSpec: one HTTP
// exchange per stream.
const Protocol = "http"

// Pseudo-header names, as HTTP/2 spells them. Request streams carry the
// first four; response streams carry Status.
const (
	Method    = ":method"
	Scheme    = ":scheme"
	Authority = ":authority"
	Path      = ":path"
	Status    = ":status"
)

// BeginEx is the begin extension of both directions of an http stream: the
// request head on the initial direction, the response head on the reply.
type BeginEx struct {
	// Headers lists the fields in order, pseudo-headers first, names
	// lower-case. A name may repeat; values are not joined.
	Headers Headers `json:"headers"`
}

// EndEx is the end extension of an http stream direction that has
// trailers.
type EndEx struct {
	// Trailers lists the trailer fields in order, names lower-case.
	Trailers Headers `json:"trailers"`
}

// ResetEx is the extension of a Reset of the request direction sent before
// any response: the response the server should send instead of its default
// 404.
type ResetEx struct {
	// Headers holds the response head, :status first.
	Headers Headers `json:"headers"`
}

// ChallengeEx is the extension of a Challenge frame: the request the client
// should make to re-authorize (":method" and headers such as content-type).
type ChallengeEx struct {
	// Headers holds the challenge request head.
	Headers Headers `json:"headers"`
}

// Extensions names the http extension types for spec scripts
// (`http:begin {"headers": [...]}`).
var Extensions = map[string]func() any{
	"begin":     func() any { return new(BeginEx) },
	"end":       func() any { return new(EndEx) },
	"reset":     func() any { return new(ResetEx) },
	"challenge": func() any { return new(ChallengeEx) },
}
