package httpkafka

import (
	"time"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
	hkspec "github.com/sluicehq/sluice/specs/httpkafka"
)

func init() { engine.RegisterBinding(Type) }

// kafkaProtocol names the merged streams opened toward the kafka
// cache_client (or client), as the kafka binding accepts them.
const kafkaProtocol = "kafka"

// Type registers the http-kafka binding.
var Type = engine.BindingType{
	Name:         "http-kafka",
	Kinds:        []engine.KindSpec{{Kind: engine.KindProxy, Accepts: httpspec.Protocol, Opens: kafkaProtocol}},
	Schema:       hkspec.Schema,
	NewOptions:   func() any { return new(Options) },
	NewCondition: func() any { return new(Condition) },
	NewWith:      func() any { return new(With) },
	New:          newProxy,
}

// Options are the binding's options.
type Options struct {
	Idempotency *struct {
		// Header names the request header holding the idempotency key;
		// "idempotency-key" when empty.
		Header string `json:"header"`
	} `json:"idempotency"`
	Correlation *struct {
		Headers *struct {
			// ReplyTo names the Kafka header carrying the reply topic;
			// "zilla:reply-to" when empty.
			ReplyTo string `json:"reply-to"`
			// CorrelationID names the Kafka header carrying the
			// correlation id; "zilla:correlation-id" when empty.
			CorrelationID string `json:"correlation-id"`
		} `json:"headers"`
	} `json:"correlation"`
	// Timeouts bound the waits that Zilla leaves unbounded (a Sluice
	// extension).
	Timeouts *Timeouts `json:"timeouts"`
}

// Timeouts bound how long an exchange waits for Kafka (Sluice extension).
type Timeouts struct {
	// Reply bounds how long a synchronous request waits for its reply,
	// from the end of the request: 504 after it. Default 30s.
	Reply *engine.Duration `json:"reply"`
	// Wait is how long a GET of an async location waits for the reply
	// when the request has no `prefer: wait=N`: 202 with the location
	// after it. Default 30s.
	Wait *engine.Duration `json:"wait"`
}

// Condition is one `when` item of a route.
type Condition struct {
	// Method is a wildcard pattern on :method; any method when empty.
	Method string `json:"method"`
	// Path is a pattern on :path with {name} captures; any path when
	// empty.
	Path string `json:"path"`
}

// With is the `with` block of a route: a fetch or a produce, by
// Capability (the schema keeps the other capability's fields out).
type With struct {
	Capability string `json:"capability"`
	Topic      string `json:"topic"`

	// fetch
	Filters []FilterConfig `json:"filters"`
	Merge   *Merge         `json:"merge"`

	// produce
	Acks          string            `json:"acks"`
	Key           *string           `json:"key"`
	Overrides     map[string]string `json:"overrides"`
	ReplyTo       string            `json:"reply-to"`
	CorrelationID string            `json:"correlation-id"`
	Async         map[string]string `json:"async"`
}

// FilterConfig is one item of a fetch route's `filters`: every condition
// it names must hold.
type FilterConfig struct {
	Key     *string           `json:"key"`
	Headers map[string]string `json:"headers"`
}

// Merge turns a fetch into a collection: a JSON array of every value.
type Merge struct {
	ContentType string `json:"content-type"`
	Patch       *struct {
		Initial string `json:"initial"`
		Path    string `json:"path"`
	} `json:"patch"`
}

// Defaults of the options.
const (
	defaultIdempotencyHeader   = "idempotency-key"
	defaultReplyToHeader       = "zilla:reply-to"
	defaultCorrelationIDHeader = "zilla:correlation-id"
	defaultReplyTimeout        = 30 * time.Second
	defaultWait                = 30 * time.Second
)

// config is the binding's options with defaults applied.
type config struct {
	idempotencyHeader   string
	replyToHeader       string
	correlationIDHeader string
	replyTimeout        time.Duration
	wait                time.Duration
}

func newConfig(o *Options) config {
	c := config{
		idempotencyHeader:   defaultIdempotencyHeader,
		replyToHeader:       defaultReplyToHeader,
		correlationIDHeader: defaultCorrelationIDHeader,
		replyTimeout:        defaultReplyTimeout,
		wait:                defaultWait,
	}
	if o == nil {
		return c
	}
	if o.Idempotency != nil && o.Idempotency.Header != "" {
		c.idempotencyHeader = o.Idempotency.Header
	}
	if o.Correlation != nil && o.Correlation.Headers != nil {
		if h := o.Correlation.Headers.ReplyTo; h != "" {
			c.replyToHeader = h
		}
		if h := o.Correlation.Headers.CorrelationID; h != "" {
			c.correlationIDHeader = h
		}
	}
	if t := o.Timeouts; t != nil {
		if t.Reply != nil && *t.Reply > 0 {
			c.replyTimeout = time.Duration(*t.Reply)
		}
		if t.Wait != nil && *t.Wait > 0 {
			c.wait = time.Duration(*t.Wait)
		}
	}
	return c
}
