// Package tls holds the tls binding's schema fragment and spec scripts.
//
// The tls binding has no extension types of its own: both sides of each of
// its kinds are "tcp" streams, octets with a proxy.BeginEx. On the network
// side the octets are TLS records; on the application side they are the
// plaintext, and the proxy.BeginEx the tls server opens with carries what
// the handshake learned in its Infos: Authority (the client's server name),
// ALPN (the negotiated protocol), Secure (true) and Identity (the subject of
// a verified client certificate).
package tls

import _ "embed"

// Schema is the JSON Schema fragment for `type: tls` bindings.
//
//go:embed schema.json
var Schema []byte
