// Package ssekafka holds the sse-kafka binding's schema fragment and its
// stream scenarios.
//
// sse-kafka sits between two stream protocols and defines no extension
// type of its own: it accepts "sse" streams (specs/sse) and opens "kafka"
// merged fetch streams (specs/kafka). Each scenario is a folder
// streams/application/<behaviour>/ with one pair of scripts per side:
//
//	sse/client.rpt    the event-source request, as the sse server sends it
//	sse/server.rpt    what sse-kafka answers, for the pair check
//	kafka/client.rpt  the fetch sse-kafka opens, for the pair check
//	kafka/server.rpt  the kafka side's answers, as a kafka cache sends them
//
// A binding test replays sse/client.rpt and kafka/server.rpt against the
// binding, whose exit is the test binding kafka0.
//
// # Event ids
//
// An event id is the merged fetch's progress after the event's record
// (specs/kafka Progress, base64url): the next offset of every partition.
// A client reconnecting with it as Last-Event-ID, to any instance, resumes
// each partition at that offset: nothing it missed is skipped and nothing
// it received comes again. A record with an `etag` header adds it after a
// `/`; the key form wraps the id in a JSON array with the base64url key:
// ["a2V5","AQIAAg=="].
package ssekafka

import (
	_ "embed"

	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// Schema is the JSON Schema fragment for `type: sse-kafka` bindings.
//
//go:embed schema.json
var Schema []byte

// KafkaExtensions names the merged-stream extension types of specs/kafka
// for spec scripts (`kafka:begin {"Topic": "events"}`), until specs/kafka
// exports its own map. The JSON field names are the Go field names;
// []byte fields (keys, header values) are base64, as encoding/json writes
// them.
var KafkaExtensions = map[string]func() any{
	"begin":      func() any { return new(kafkaspec.BeginEx) },
	"replybegin": func() any { return new(kafkaspec.ReplyBeginEx) },
	"data":       func() any { return new(kafkaspec.DataEx) },
	"flush":      func() any { return new(kafkaspec.FlushEx) },
	"error":      func() any { return new(kafkaspec.ErrorEx) },
}
