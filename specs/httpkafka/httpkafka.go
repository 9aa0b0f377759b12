// Package httpkafka holds the http-kafka binding's schema fragment and its
// stream scenarios.
//
// http-kafka sits between two stream protocols and defines no extension
// type of its own: it accepts "http" streams (specs/http) and opens
// "kafka" merged streams (specs/kafka). Its scenarios live under
// streams/application/<behaviour>/, each a pair of scripts per side:
//
//	streams/application/<behaviour>/http/client.rpt   the http request, as the http server sends it
//	streams/application/<behaviour>/http/server.rpt   what http-kafka answers, for the pair check
//	streams/application/<behaviour>/kafka/client.rpt  the kafka streams http-kafka opens, for the pair check
//	streams/application/<behaviour>/kafka/server.rpt  the kafka side's answers, as a kafka cache would send them
//
// A binding test replays http/client.rpt and kafka/server.rpt against the
// http-kafka binding, configured with config/<behaviour>.yaml or the
// config the scenario's README names (see config.go). The kafka scripts
// accept their streams at app://<name>, one block per stream in the order
// http-kafka opens them; the test routes the n-th stream on a topic to the
// n-th block that reads a begin on that topic.
package httpkafka

import (
	_ "embed"

	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// Schema is the JSON Schema fragment for `type: http-kafka` bindings.
//
//go:embed schema.json
var Schema []byte

// KafkaExtensions names the merged-stream extension types of specs/kafka
// for spec scripts (`kafka:begin {"Topic": "items"}`), until specs/kafka
// exports its own map. The JSON field names are the Go field names;
// []byte fields (keys, header values) are base64, as encoding/json writes
// them.
var KafkaExtensions = map[string]func() any{
	"begin":      func() any { return new(kafkaspec.BeginEx) },
	"replybegin": func() any { return new(kafkaspec.ReplyBeginEx) },
	"data":       func() any { return new(kafkaspec.DataEx) },
	"flush":      func() any { return new(kafkaspec.FlushEx) },
	"ack":        func() any { return new(kafkaspec.AckEx) },
	"error":      func() any { return new(kafkaspec.ErrorEx) },
}
