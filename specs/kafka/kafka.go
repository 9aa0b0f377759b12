package kafka

import _ "embed"

// Schema is the JSON Schema fragment for `type: kafka` bindings.
//
//go:embed schema.json
var Schema []byte

// Extensions names the merged stream's extension types for spec scripts
// (`kafka:begin {...}`), for spectest.Extensions{"kafka": kafka.Extensions}.
var Extensions = map[string]func() any{
	"begin":      func() any { return new(BeginEx) },
	"replybegin": func() any { return new(ReplyBeginEx) },
	"data":       func() any { return new(DataEx) },
	"flush":      func() any { return new(FlushEx) },
	"ack":        func() any { return new(AckEx) },
	"commit":     func() any { return new(CommitEx) },
	"error":      func() any { return new(ErrorEx) },
}
