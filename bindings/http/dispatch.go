package http

import (
	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
)

// dispatch decides what happens to a request whose head is complete, the
// same way for both versions: the request body limit, access control, the
// route, the overrides, and the stream to the exit. It returns either the
// opened stream, or the response head the server answers with by itself
// (answer). corsOrigin is set when the response must carry CORS headers.
func (c *serverConn) dispatch(headers httpspec.Headers, contentLength int64, line string, recv engine.Receiver) (st *engine.Stream, answer httpspec.Headers, corsOrigin string) {
	srv := c.srv
	cfg := srv.cfg
	if cfg.bodyLimit > 0 && contentLength > cfg.bodyLimit {
		c.log.Warn("request body too large", "request", line, "length", contentLength, "limit", cfg.bodyLimit, "client", c.client())
		return nil, statusHeaders(413), ""
	}
	verdict, origin := cfg.cors.check(headers)
	switch verdict {
	case corsForbidden:
		c.log.Warn("cross-origin request forbidden", "request", line, "origin", origin, "client", c.client())
		return nil, statusHeaders(403), ""
	case corsPreflight:
		return nil, cfg.cors.preflight(headers, origin), ""
	case corsAllowed:
		corsOrigin = origin
	}
	r, params := resolveRoute(srv.routes, headers, 0)
	if r == nil || r.Exit == nil {
		c.log.Warn("no route for request", "request", line, "authority", headers.Value(httpspec.Authority), "client", c.client())
		return nil, statusHeaders(404), ""
	}
	if len(cfg.overrides) > 0 || len(r.overrides) > 0 {
		headers = headers.Clone()
		applyOverrides(&headers, cfg.overrides, r.overrides, params)
	}
	st, err := r.Exit.Open(c.net.Executor(), recv, engine.Frame{Ext: &httpspec.BeginEx{Headers: headers}})
	if err != nil {
		c.log.Warn("exit refused request", "exit", r.Exit.Name(), "request", line, "error", err, "client", c.client())
		return nil, statusHeaders(502), ""
	}
	return st, nil, corsOrigin
}
