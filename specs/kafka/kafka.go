package kafka

import _ "embed"

// Schema is the JSON Schema fragment for `type: kafka` bindings.
//
//go:embed schema.json
var Schema []byte
