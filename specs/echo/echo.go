// Package echo holds the echo binding's schema fragment and spec scripts.
// The echo server mirrors every frame of a stream back to its origin.
package echo

import _ "embed"

// Schema is the JSON Schema fragment for `type: echo` bindings.
//
//go:embed schema.json
var Schema []byte
