package kafka

import (
	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// PassExit returns the exit a cache_client would pass a merged stream on
// to, frame for frame, or nil when it serves the stream itself (a fetch
// from its cache) or has no route for it. An opener (http-kafka) opens
// such a stream there directly: a produce then costs no relay hop and no
// stream per cache kind, as in a proxy -> client pipeline. Routes apply
// exactly as if the stream had been opened here.
func (cc *cacheClient) PassExit(begin *kafkaspec.BeginEx, authorization uint64) *engine.Exit {
	if cacheable(begin) {
		return nil
	}
	r := resolve(cc.routes, begin.Topic, authorization)
	if r == nil || r.Exit == nil {
		return nil
	}
	return passExit(r.Exit, begin, authorization)
}

// PassExit is the cache_server's (see cacheClient.PassExit).
func (cs *cacheServer) PassExit(begin *kafkaspec.BeginEx, authorization uint64) *engine.Exit {
	if cacheable(begin) {
		return nil
	}
	r := resolve(cs.routes, begin.Topic, authorization)
	if r == nil || r.Exit == nil {
		return nil
	}
	return passExit(r.Exit, begin, authorization)
}

// passExit follows exits that would only pass the stream on.
func passExit(exit *engine.Exit, begin *kafkaspec.BeginEx, authorization uint64) *engine.Exit {
	for range 8 { // cache kinds do not form cycles (the engine refuses them); bound it anyway
		p, ok := exit.Target().(interface {
			PassExit(*kafkaspec.BeginEx, uint64) *engine.Exit
		})
		if !ok {
			return exit
		}
		next := p.PassExit(begin, authorization)
		if next == nil {
			return exit
		}
		exit = next
	}
	return exit
}
