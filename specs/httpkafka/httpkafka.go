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
// The pair check (this package's test) runs each side's client against its
// server. The binding test (bindings/httpkafka) replays http/client.rpt
// and kafka/server.rpt against the http-kafka binding configured with
// config/proxy.yaml, whose routes every scenario shares; a scenario that
// opens no Kafka stream has no kafka folder. The kafka server scripts
// accept their streams at app://<name>, one block per stream, each
// reading a begin that names its topic; the test routes the n-th stream
// http-kafka opens on a topic to the n-th block for that topic, so that
// blocks running at once each get the stream meant for them. Blocks on
// different streams order themselves with notify and await (the reply
// written after the request was committed, for example).
//
// Kafka extensions are written with the Go field names of specs/kafka;
// keys and header values are base64, as encoding/json writes []byte.
// Scenarios name a behaviour: post.item.produced, get.item.latest,
// post.order.replied.again, get.items.if.none.match.wait.modified...
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
