package kafka

import (
	"fmt"
	"regexp"

	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

func init() { engine.RegisterBinding(Type) }

// Protocol names the merged streams the kafka binding accepts and opens
// (the contract of specs/kafka).
const Protocol = "kafka"

// Type registers the kafka binding.
var Type = engine.BindingType{
	Name: "kafka",
	Kinds: []engine.KindSpec{
		// The client dials the cluster itself: its exit, when it has one,
		// is a tcp or tls client whose DialContext it borrows.
		{Kind: engine.KindClient, Accepts: Protocol, Opens: "tcp", ExitOptional: true},
		{Kind: engine.KindCacheClient, Accepts: Protocol, Opens: Protocol},
		{Kind: engine.KindCacheServer, Accepts: Protocol, Opens: Protocol},
	},
	Schema:       kafkaspec.Schema,
	NewOptions:   func() any { return new(Options) },
	NewCondition: func() any { return new(Condition) },
	New:          newBinding,
}

// Options are the kafka binding's options; which fields apply depends on
// the kind (the schema rejects the others).
type Options struct {
	// client
	Servers       []string                       `json:"servers"`
	SASL          *Credentials                   `json:"sasl"`
	Authorization map[string]AuthorizationConfig `json:"authorization"`

	// cache_client and cache_server
	Topics []TopicOptions `json:"topics"`

	// cache_server
	Bootstrap []string   `json:"bootstrap"`
	Retention *Retention `json:"retention"`
}

// Credentials are SASL credentials: username and password for plain and
// scram mechanisms, a token for oauthbearer. Values may hold the
// templates {identity} and {credentials}, filled from the guard named in
// `authorization`.
type Credentials struct {
	Mechanism string `json:"mechanism"`
	Username  string `json:"username"`
	Password  string `json:"password"`
	Token     string `json:"token"`
}

// AuthorizationConfig is one entry of the client's `authorization` map.
type AuthorizationConfig struct {
	Credentials Credentials `json:"credentials"`
}

// TopicOptions configure one topic (or topic pattern) of a cache.
type TopicOptions struct {
	Name          string     `json:"name"`
	DefaultOffset string     `json:"defaultOffset"`
	DeltaType     string     `json:"deltaType"`
	Retention     *Retention `json:"retention"`
	Key           any        `json:"key"`
	Value         any        `json:"value"`
	Transforms    []any      `json:"transforms"`
}

// Retention bounds what a cache keeps per partition, in Kafka's own terms
// (retention.bytes, retention.ms). A sluice extension of the Zilla options.
type Retention struct {
	Bytes int64 `json:"bytes"`
	Ms    int64 `json:"ms"`
}

// Condition is one `when` item of a cache route.
type Condition struct {
	Topic string `json:"topic"`
}

func newBinding(bc *engine.BindingContext) (engine.Binding, error) {
	opts, _ := bc.Options().(*Options)
	if opts == nil {
		opts = &Options{}
	}
	switch bc.Config.Kind {
	case engine.KindClient:
		return newClient(bc, opts)
	case engine.KindCacheServer:
		return newCacheServer(bc, opts)
	default:
		return newCacheClient(bc, opts)
	}
}

// route is an engine route whose topic conditions are compiled.
type route struct {
	*engine.Route
	topics []*regexp.Regexp
}

// compileRoutes compiles `when.topic` patterns the Zilla way: `*` matches
// any run of characters, everything else is literal.
func compileRoutes(routes []*engine.Route) ([]route, error) {
	out := make([]route, 0, len(routes))
	for i, r := range routes {
		cr := route{Route: r}
		for j, w := range r.When() {
			re, err := engine.CompilePattern(w.(*Condition).Topic)
			if err != nil {
				return nil, engine.FieldErrorf(fmt.Sprintf("routes.%d.when.%d.topic", i, j), "%v", err)
			}
			cr.topics = append(cr.topics, re)
		}
		out = append(out, cr)
	}
	return out, nil
}

// resolve returns the first route that takes topic with this
// authorization, or nil.
func resolve(routes []route, topic string, authorization uint64) *route {
	for i := range routes {
		r := &routes[i]
		if !r.Authorized(authorization) {
			continue
		}
		if len(r.topics) == 0 {
			return r
		}
		for _, re := range r.topics {
			if re.MatchString(topic) {
				return r
			}
		}
	}
	return nil
}
