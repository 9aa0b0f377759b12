package ssekafka

import (
	"log/slog"
	"time"

	"github.com/sluicehq/sluice/engine"
	ssespec "github.com/sluicehq/sluice/specs/sse"
	ssekafkaspec "github.com/sluicehq/sluice/specs/ssekafka"
)

func init() { engine.RegisterBinding(Type) }

// kafkaProtocol names the merged streams of specs/kafka.
const kafkaProtocol = "kafka"

// Type registers the sse-kafka binding.
var Type = engine.BindingType{
	Name: "sse-kafka",
	Kinds: []engine.KindSpec{
		{Kind: engine.KindProxy, Accepts: ssespec.Protocol, Opens: kafkaProtocol},
	},
	Schema:       ssekafkaspec.Schema,
	NewOptions:   func() any { return new(Options) },
	NewCondition: func() any { return new(Condition) },
	NewWith:      func() any { return new(With) },
	New:          newBinding,
}

// DefaultStallTimeout is how long a client may leave a full window of
// events unread before it is dropped.
const DefaultStallTimeout = 30 * time.Second

// Options are the sse-kafka binding's options, a Sluice extension (Zilla
// takes none).
type Options struct {
	// StallTimeout is how long a client may go without taking any event
	// while its window is full before it is dropped; DefaultStallTimeout
	// when nil, never when 0.
	StallTimeout *engine.Duration `json:"stall-timeout"`
}

// Condition is one `when` item of a route.
type Condition struct {
	// Path is a pattern matched against the whole sse path (the query is
	// already gone): `*` matches any run of characters, `{name}` captures
	// a parameter for ${params.name}.
	Path string `json:"path"`
}

// With is a route's `with` block: what to fetch.
type With struct {
	// Topic is the topic to fetch; it may use ${params.name}.
	Topic string `json:"topic"`
	// Filters select records: any filter matches (OR), all conditions of
	// a filter must (AND). Values may use ${params.name}.
	Filters []FilterConfig `json:"filters"`
	// Event says how event ids are made.
	Event *struct {
		// ID is "${etag}" (the default) or `["${base64(key)}","${etag}"]`.
		ID string `json:"id"`
	} `json:"event"`
	// DefaultOffset is where a stream without a usable Last-Event-ID
	// starts: "historical" (every record still held) or "live" (records
	// written from now on). When unset the cache decides (its topic's
	// defaultOffset), historical otherwise. A Sluice extension.
	DefaultOffset string `json:"defaultOffset"`
}

// FilterConfig is one `with.filters` item.
type FilterConfig struct {
	// Key must equal the record key.
	Key *string `json:"key"`
	// Headers must each be present on the record with this value.
	Headers map[string]string `json:"headers"`
}

// Event id forms of `with.event.id`.
const (
	idEtag    = "${etag}"
	idKeyEtag = `["${base64(key)}","${etag}"]`
)

// binding is the runtime of one sse-kafka binding.
type binding struct {
	log          *slog.Logger
	routes       []*route
	stallTimeout time.Duration
}

func newBinding(bc *engine.BindingContext) (engine.Binding, error) {
	opts, _ := bc.Options().(*Options)
	b := &binding{log: bc.Log, stallTimeout: DefaultStallTimeout}
	if opts != nil && opts.StallTimeout != nil {
		b.stallTimeout = time.Duration(*opts.StallTimeout)
	}
	routes, err := compileRoutes(bc.Routes)
	if err != nil {
		return nil, err
	}
	b.routes = routes
	return b, nil
}
