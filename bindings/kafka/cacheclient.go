package kafka

import (
	"fmt"
	"log/slog"

	"github.com/sluicehq/sluice/engine"
)

// cacheClient is the kafka cache_client binding. Fetch streams routed to a
// cache_server are served from that binding's cache directly: the reader
// attaches to the cache rather than opening one more stream per reader.
// Everything else (produce, consumer groups) passes through to the
// cache_server's own exit, which is where the cache_server would pass it,
// or to the exit when that is not a cache_server.
type cacheClient struct {
	log    *slog.Logger
	routes []route
}

func newCacheClient(bc *engine.BindingContext, opts *Options) (*cacheClient, error) {
	routes, err := compileRoutes(bc.Routes)
	if err != nil {
		return nil, err
	}
	for i, t := range opts.Topics {
		if t.Key != nil || t.Value != nil {
			return nil, engine.FieldErrorf(fmt.Sprintf("options.topics.%d", i), "models on cached topics are not supported yet")
		}
	}
	return &cacheClient{log: bc.Log, routes: routes}, nil
}

// Accept routes a merged stream by topic.
func (cc *cacheClient) Accept(s *engine.Stream, begin *engine.Frame) (engine.Receiver, error) {
	ex, err := mergedBegin(begin)
	if err != nil {
		return nil, err
	}
	r := resolve(cc.routes, ex.Topic, begin.Authorization)
	if r == nil || r.Exit == nil {
		cc.log.Warn("no route for kafka topic", "topic", ex.Topic)
		return nil, fmt.Errorf("kafka: no route for topic %s", ex.Topic)
	}
	cs, ok := r.Exit.Target().(*cacheServer)
	if !ok {
		return &relay{exit: r.Exit, log: cc.log}, nil
	}
	sr := resolve(cs.routes, ex.Topic, begin.Authorization)
	if sr == nil || sr.Exit == nil {
		cs.log.Warn("no route for kafka topic", "topic", ex.Topic)
		return nil, fmt.Errorf("kafka: no route for topic %s", ex.Topic)
	}
	if cacheable(ex) {
		return newCacheReader(cs.cache(ex.Topic, sr.Exit), ex), nil
	}
	// The cache_server would only pass this stream on: it goes to the
	// cache_server's exit directly, one stream and one hop fewer.
	return &relay{exit: passExit(sr.Exit, ex, begin.Authorization), log: cc.log}, nil
}

var _ engine.Acceptor = (*cacheClient)(nil)
