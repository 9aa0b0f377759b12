package ssekafka

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// route is an engine route with its paths and `with` block compiled.
type route struct {
	*engine.Route
	paths   []*regexp.Regexp
	topic   template
	filters []filterTemplate
	keyID   bool // event ids in the key form
	start   kafkaspec.StartPosition
}

// filterTemplate is one filter whose values may hold parameters.
type filterTemplate struct {
	key     *template
	headers []headerTemplate // sorted by name
}

type headerTemplate struct {
	name  string
	value template
}

// template is a `with` value: literal text and ${params.NAME} references,
// compiled once and expanded per stream.
type template struct {
	parts []templatePart
}

type templatePart struct {
	text  string
	param bool // text names a parameter
}

var paramName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// compileTemplate compiles a value. Only ${params.NAME} is known; any other
// ${...} is an error, so that a misspelt expression never reaches Kafka as
// literal text.
func compileTemplate(text string) (template, []string, error) {
	var t template
	var params []string
	rest := text
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			break
		}
		if i > 0 {
			t.parts = append(t.parts, templatePart{text: rest[:i]})
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return t, nil, fmt.Errorf("unclosed expression in %q", text)
		}
		expr := rest[i+2 : i+j]
		switch {
		case strings.HasPrefix(expr, "params."):
			name := strings.TrimPrefix(expr, "params.")
			if !paramName.MatchString(name) {
				return t, nil, fmt.Errorf("invalid parameter name in ${%s}", expr)
			}
			t.parts = append(t.parts, templatePart{text: name, param: true})
			params = append(params, name)
		case strings.HasPrefix(expr, "guarded["):
			return t, nil, fmt.Errorf("${%s} is not supported yet: guards do not expose identities to bindings", expr)
		default:
			return t, nil, fmt.Errorf("unknown expression ${%s} (known: ${params.NAME})", expr)
		}
		rest = rest[i+j+1:]
	}
	if rest != "" || len(t.parts) == 0 {
		t.parts = append(t.parts, templatePart{text: rest})
	}
	return t, params, nil
}

// expand returns the value with the parameters of this request.
func (t *template) expand(params map[string]string) string {
	if len(t.parts) == 1 && !t.parts[0].param {
		return t.parts[0].text
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.param {
			b.WriteString(params[p.text])
		} else {
			b.WriteString(p.text)
		}
	}
	return b.String()
}

func compileRoutes(routes []*engine.Route) ([]*route, error) {
	var errs []error
	out := make([]*route, 0, len(routes))
	for i, r := range routes {
		cr := &route{Route: r}
		at := fmt.Sprintf("routes.%d", i)
		var captures []map[string]bool
		for j, w := range r.When() {
			re, err := engine.CompilePattern(w.(*Condition).Path)
			if err != nil {
				errs = append(errs, engine.FieldErrorf(fmt.Sprintf("%s.when.%d.path", at, j), "%v", err))
				continue
			}
			cr.paths = append(cr.paths, re)
			names := map[string]bool{}
			for _, n := range re.SubexpNames() {
				if n != "" {
					names[n] = true
				}
			}
			captures = append(captures, names)
		}
		with, _ := r.With().(*With)
		if with == nil {
			errs = append(errs, engine.FieldErrorf(at, "an sse-kafka route needs `with` naming a topic"))
			continue
		}
		// check records an error unless every `when.path` captures the
		// parameters a value uses.
		check := func(path string, params []string) {
			for _, p := range params {
				if len(captures) == 0 {
					errs = append(errs, engine.FieldErrorf(path, "${params.%s}: the route has no `when.path` to capture {%s}", p, p))
					return
				}
				for _, c := range captures {
					if !c[p] {
						errs = append(errs, engine.FieldErrorf(path, "${params.%s}: a `when.path` of this route does not capture {%s}", p, p))
						return
					}
				}
			}
		}
		compile := func(path, text string) template {
			t, params, err := compileTemplate(text)
			if err != nil {
				errs = append(errs, engine.FieldErrorf(path, "%v", err))
				return t
			}
			check(path, params)
			return t
		}
		cr.topic = compile(at+".with.topic", with.Topic)
		for k, f := range with.Filters {
			fp := fmt.Sprintf("%s.with.filters.%d", at, k)
			var ft filterTemplate
			if f.Key != nil {
				t := compile(fp+".key", *f.Key)
				ft.key = &t
			}
			names := make([]string, 0, len(f.Headers))
			for name := range f.Headers {
				names = append(names, name)
			}
			slices.Sort(names)
			for _, name := range names {
				ft.headers = append(ft.headers, headerTemplate{name: name, value: compile(fp+".headers."+name, f.Headers[name])})
			}
			cr.filters = append(cr.filters, ft)
		}
		if with.Event != nil {
			cr.keyID = with.Event.ID == idKeyEtag
		}
		switch with.DefaultOffset {
		case "live":
			cr.start = kafkaspec.StartLive
		case "historical":
			cr.start = kafkaspec.StartHistorical
		}
		out = append(out, cr)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// resolve returns the first route that takes path with this
// authorization, and the parameters its pattern captured.
func resolve(routes []*route, path string, authorization uint64) (*route, map[string]string) {
	for _, r := range routes {
		if !r.Authorized(authorization) {
			continue
		}
		if len(r.paths) == 0 {
			return r, nil
		}
		for _, re := range r.paths {
			m := re.FindStringSubmatch(path)
			if m == nil {
				continue
			}
			var params map[string]string
			for k, name := range re.SubexpNames() {
				if name != "" {
					if params == nil {
						params = map[string]string{}
					}
					params[name] = m[k]
				}
			}
			return r, params
		}
	}
	return nil, nil
}

// filters expands the route's filters for a request.
func (r *route) expandFilters(params map[string]string) []kafkaspec.Filter {
	if len(r.filters) == 0 {
		return nil
	}
	out := make([]kafkaspec.Filter, len(r.filters))
	for i, ft := range r.filters {
		if ft.key != nil {
			out[i].Key = []byte(ft.key.expand(params))
		}
		for _, h := range ft.headers {
			out[i].Headers = append(out[i].Headers, kafkaspec.Header{Name: h.name, Value: []byte(h.value.expand(params))})
		}
	}
	return out
}
