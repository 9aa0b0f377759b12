package sse

import (
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
)

// server is the sse server binding: it accepts http streams and turns each
// event-source request into an sse stream to the exit its route names.
type server struct {
	log *slog.Logger
	cfg *config
}

func newServer(bc *engine.BindingContext) (engine.Binding, error) {
	cfg, err := compileConfig(bc)
	if err != nil {
		return nil, err
	}
	return &server{log: bc.Log, cfg: cfg}, nil
}

// Accept takes an http stream; the request is examined when its Begin
// arrives.
func (srv *server) Accept(s *engine.Stream, begin *engine.Frame) (engine.Receiver, error) {
	return &exchange{srv: srv, http: s}, nil
}

// request is what the server reads from a request head.
type request struct {
	method     string
	path       string // without the query
	query      string
	lastID     string
	hasLastID  bool
	acceptable bool // accept admits text/event-stream (or is absent)
	timestamps bool // accept asks for ext=timestamp
	line       string
}

func parseRequest(h httpspec.Headers) request {
	var r request
	r.method = h.Value(httpspec.Method)
	target := h.Value(httpspec.Path)
	r.line = r.method + " " + target
	r.path, r.query, _ = strings.Cut(target, "?")
	if v, ok := h.Get("last-event-id"); ok {
		r.lastID, r.hasLastID = v, true
	} else if v, ok := queryParam(r.query, "lastEventId"); ok {
		r.lastID, r.hasLastID = v, true
	}
	r.acceptable = true
	if accept, ok := h.Get("accept"); ok {
		r.acceptable = acceptsEventStream(accept)
		r.timestamps = strings.Contains(accept, "ext=timestamp")
	}
	return r
}

// queryParam returns the URL-decoded value of the first parameter named
// name in a query string. A value that does not decode is taken as
// written.
func queryParam(query, name string) (string, bool) {
	for query != "" {
		var pair string
		pair, query, _ = strings.Cut(query, "&")
		k, v, _ := strings.Cut(pair, "=")
		if k != name {
			continue
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		return v, true
	}
	return "", false
}

// acceptsEventStream reports whether an accept header admits
// text/event-stream: the type itself, text/* or */*, with any parameters
// (q=0 excepted).
func acceptsEventStream(accept string) bool {
	for _, item := range strings.Split(accept, ",") {
		mt, params, _ := strings.Cut(item, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		if mt != "text/event-stream" && mt != "text/*" && mt != "*/*" {
			continue
		}
		if zeroQuality(params) {
			continue
		}
		return true
	}
	return false
}

func zeroQuality(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return err == nil && q == 0
	}
	return false
}

var _ engine.Acceptor = (*server)(nil)
