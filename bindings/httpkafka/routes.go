package httpkafka

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// route is a configured route, compiled: its conditions as patterns and
// its `with` block as templates.
type route struct {
	*engine.Route
	index   int
	conds   []condition
	fetch   *fetchWith
	produce *produceWith
}

// condition is one compiled `when` item.
type condition struct {
	method *regexp.Regexp // nil: any method, or the literal one below
	// literalMethod is the method when the pattern has no wildcard,
	// compared without running an expression.
	literalMethod string
	path          *regexp.Regexp // nil: any path
	// prefix is the literal start of the path pattern: most paths that do
	// not match are told apart without running the expression.
	prefix string
	// query is set when the path pattern itself mentions a query (`?`):
	// it is then matched against the whole :path. Otherwise the query
	// string is left out of the match, and out of the captures.
	query bool
}

// param is a {name} captured from the request path.
type param struct{ name, value string }

// fetchWith is a compiled fetch `with`.
type fetchWith struct {
	topic   *Template
	filters []filterTemplate
	merge   bool
}

type filterTemplate struct {
	key     *Template // nil: no key condition
	headers []headerTemplate
}

type headerTemplate struct {
	name  string
	value *Template
}

// produceWith is a compiled produce `with`.
type produceWith struct {
	topic     *Template
	acks      kafkaspec.AckMode
	key       *Template // nil: a null key
	overrides []headerTemplate
	// replyTo is nil without a reply topic: the request is produced and
	// answered 204 once acknowledged.
	replyTo *Template
	// correlationIDHeader names the Kafka header carrying the correlation
	// id, on the request and on the reply.
	correlationIDHeader string
	async               []headerTemplate
	location            *locationPattern // from async.location
}

// Which expressions each value may use.
const (
	allowTopic   = AllowParams | AllowGuarded | AllowHeaders
	allowFilter  = AllowParams | AllowGuarded | AllowHeaders
	allowRecord  = AllowParams | AllowIdempotencyKey | AllowGuarded | AllowHeaders
	allowReplyTo = AllowParams | AllowGuarded
	allowAsync   = AllowParams | AllowCorrelationID
)

// compileRoutes compiles every route, reporting each problem with its
// path in the configuration.
func compileRoutes(bc *engine.BindingContext, cfg config) ([]*route, error) {
	var errs []error
	out := make([]*route, 0, len(bc.Routes))
	for i, r := range bc.Routes {
		path := fmt.Sprintf("routes.%d", i)
		cr := &route{Route: r, index: i}
		captured := map[string]bool{}
		for j, w := range r.When() {
			c, err := compileCondition(w.(*Condition))
			if err != nil {
				errs = append(errs, engine.FieldErrorf(fmt.Sprintf("%s.when.%d.path", path, j), "%v", err))
				continue
			}
			if c.path != nil {
				for _, n := range c.path.SubexpNames() {
					captured[n] = true
				}
			}
			cr.conds = append(cr.conds, c)
		}
		w, _ := r.With().(*With)
		if w == nil {
			errs = append(errs, engine.FieldErrorf(path, "a route needs a `with` block"))
			continue
		}
		c := &compiler{bc: bc, path: path + ".with", captured: captured}
		switch w.Capability {
		case "fetch":
			cr.fetch = c.fetch(w)
		default:
			cr.produce = c.produce(w, cfg)
		}
		errs = append(errs, c.errs...)
		out = append(out, cr)
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return out, nil
}

func compileCondition(w *Condition) (condition, error) {
	var c condition
	var err error
	switch {
	case w.Method == "":
	case !strings.ContainsAny(w.Method, "*{"):
		c.literalMethod = w.Method
	default:
		if c.method, err = engine.CompilePattern(w.Method); err != nil {
			return c, err
		}
	}
	if w.Path != "" {
		if c.path, err = engine.CompilePattern(w.Path); err != nil {
			return c, err
		}
		c.prefix, _ = c.path.LiteralPrefix()
		c.query = strings.Contains(w.Path, "?")
	}
	return c, nil
}

// compiler compiles one `with` block, collecting errors.
type compiler struct {
	bc       *engine.BindingContext
	path     string
	captured map[string]bool
	errs     []error
}

func (c *compiler) template(path, text string, allowed Allowed) *Template {
	t, err := CompileTemplate(text, allowed)
	if err != nil {
		c.errs = append(c.errs, engine.FieldErrorf(path, "%v", err))
		return nil
	}
	for _, p := range t.Parts() {
		switch p.Kind {
		case ExprParam:
			if !c.captured[p.Text] {
				c.errs = append(c.errs, engine.FieldErrorf(path, "${params.%s}: no `when.path` of this route captures {%s}", p.Text, p.Text))
			}
		case ExprGuarded:
			if err := c.checkGuard(p); err != nil {
				c.errs = append(c.errs, engine.FieldErrorf(path, "%v", err))
			}
		}
	}
	return t
}

// checkGuard checks that a guard named in ${guarded[...]} exists and
// supplies what the expression reads.
func (c *compiler) checkGuard(p Part) error {
	g := c.bc.Guard(p.Text)
	if g == nil {
		return fmt.Errorf("${guarded['%s']...}: no guard named %s", p.Text, p.Text)
	}
	if p.Attribute == "" {
		if _, ok := g.(engine.GuardIdentity); !ok {
			return fmt.Errorf("${guarded['%s'].identity}: guard %s does not supply identities", p.Text, p.Text)
		}
	} else if _, ok := g.(engine.GuardAttributes); !ok {
		return fmt.Errorf("${guarded['%s'].attributes.%s}: guard %s does not supply attributes", p.Text, p.Attribute, p.Text)
	}
	return nil
}

func (c *compiler) headers(path string, m map[string]string, allowed Allowed) []headerTemplate {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names) // a map has no order; a sorted one is the same on every instance
	out := make([]headerTemplate, 0, len(m))
	for _, n := range names {
		if t := c.template(path+"."+n, m[n], allowed); t != nil {
			out = append(out, headerTemplate{name: n, value: t})
		}
	}
	return out
}

func (c *compiler) fetch(w *With) *fetchWith {
	f := &fetchWith{topic: c.template(c.path+".topic", w.Topic, allowTopic), merge: w.Merge != nil}
	for i, fc := range w.Filters {
		path := fmt.Sprintf("%s.filters.%d", c.path, i)
		var ft filterTemplate
		if fc.Key != nil {
			ft.key = c.template(path+".key", *fc.Key, allowFilter)
		}
		ft.headers = c.headers(path+".headers", fc.Headers, allowFilter)
		f.filters = append(f.filters, ft)
	}
	return f
}

func (c *compiler) produce(w *With, cfg config) *produceWith {
	p := &produceWith{topic: c.template(c.path+".topic", w.Topic, allowTopic), correlationIDHeader: cfg.correlationIDHeader}
	acks, ok := kafkaspec.ParseAckMode(w.Acks)
	if !ok {
		c.errs = append(c.errs, engine.FieldErrorf(c.path+".acks", "unknown ack mode %q", w.Acks))
	}
	p.acks = acks
	if w.Key != nil {
		p.key = c.template(c.path+".key", *w.Key, allowRecord)
	}
	p.overrides = c.headers(c.path+".overrides", w.Overrides, allowRecord)
	if w.ReplyTo != "" {
		p.replyTo = c.template(c.path+".reply-to", w.ReplyTo, allowReplyTo)
	}
	if w.CorrelationID != "" {
		p.correlationIDHeader = w.CorrelationID
	}
	if len(w.Async) > 0 {
		p.async = c.headers(c.path+".async", w.Async, allowAsync)
		loc, ok := w.Async["location"]
		if !ok {
			c.errs = append(c.errs, engine.FieldErrorf(c.path+".async", "async needs a location holding ${correlationId}, where the client fetches the reply"))
			return p
		}
		if t := c.template(c.path+".async.location", loc, allowAsync); t != nil {
			lp, err := compileLocation(t)
			if err != nil {
				c.errs = append(c.errs, engine.FieldErrorf(c.path+".async.location", "%v", err))
			}
			p.location = lp
		}
	}
	return p
}

// resolve returns the first route the request may take, with the
// parameters its path captured, or nil.
func resolveRoute(routes []*route, method, path string, authorization uint64) (*route, []param) {
	bare := path
	if i := strings.IndexByte(path, '?'); i >= 0 {
		bare = path[:i]
	}
	for _, r := range routes {
		if len(r.Config.Guarded) > 0 && !r.Authorized(authorization) {
			continue
		}
		if len(r.conds) == 0 {
			return r, nil
		}
		for _, c := range r.conds {
			if c.literalMethod != "" && c.literalMethod != method || c.method != nil && !c.method.MatchString(method) {
				continue
			}
			if c.path == nil {
				return r, nil
			}
			subject := bare
			if c.query {
				subject = path
			}
			if !strings.HasPrefix(subject, c.prefix) {
				continue
			}
			if c.path.NumSubexp() == 0 {
				if c.path.MatchString(subject) {
					return r, nil
				}
				continue
			}
			m := c.path.FindStringSubmatch(subject)
			if m == nil {
				continue
			}
			return r, captures(c.path, m)
		}
	}
	return nil, nil
}

func captures(re *regexp.Regexp, m []string) []param {
	names := re.SubexpNames()
	if len(names) <= 1 {
		return nil
	}
	out := make([]param, 0, len(names)-1)
	for i := 1; i < len(names) && i < len(m); i++ {
		if names[i] != "" {
			out = append(out, param{names[i], m[i]})
		}
	}
	return out
}

// locationPattern matches the path of a GET of an async location: the
// location template with its expressions turned into captures.
type locationPattern struct {
	re    *regexp.Regexp
	query bool
	// groups says what capture group i+1 holds: a parameter name, or ""
	// for the correlation id.
	groups []string
}

func compileLocation(t *Template) (*locationPattern, error) {
	if !t.Uses(ExprCorrelationID) {
		return nil, fmt.Errorf("the async location %q holds no ${correlationId}: a client could never fetch its reply", t.Text())
	}
	var b strings.Builder
	lp := &locationPattern{query: strings.Contains(t.Text(), "?")}
	b.WriteString("^")
	for _, p := range t.Parts() {
		switch p.Kind {
		case ExprLiteral:
			b.WriteString(regexp.QuoteMeta(p.Text))
		case ExprCorrelationID:
			b.WriteString("(.+)")
			lp.groups = append(lp.groups, "")
		case ExprParam:
			b.WriteString("(.+)")
			lp.groups = append(lp.groups, p.Text)
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, err
	}
	lp.re = re
	return lp, nil
}

// match returns the correlation id and parameters a GET path holds, or
// false.
func (lp *locationPattern) match(path string) (string, []param, bool) {
	if !lp.query {
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
	}
	m := lp.re.FindStringSubmatch(path)
	if m == nil {
		return "", nil, false
	}
	var cid string
	var params []param
	for i, g := range lp.groups {
		if g == "" {
			cid = m[i+1]
		} else {
			params = append(params, param{g, m[i+1]})
		}
	}
	return cid, params, cid != ""
}

func joinErrors(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return joined(errs)
}

// joined is errors.Join without its newline rendering, whose Unwrap lets
// the engine place each FieldError.
type joined []error

func (j joined) Error() string {
	parts := make([]string, len(j))
	for i, e := range j {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

func (j joined) Unwrap() []error { return j }
