// Package tcp holds the tcp binding's schema fragment and spec scripts.
// Streams opened by the tcp server, and accepted by the tcp client, carry
// a proxy.BeginEx with the connection's addresses.
package tcp

import _ "embed"

// Schema is the JSON Schema fragment for `type: tcp` bindings.
//
//go:embed schema.json
var Schema []byte
