package httpkafka

import (
	"fmt"
	"regexp"
	"strings"
)

// Expressions are the ${...} references that `with` values may hold,
// resolved per request. A Template is compiled once, when the binding is
// built, and expanded per stream without parsing. Nothing in this file is
// specific to http-kafka: sse-kafka and grpc-kafka templates use the same
// syntax with a different Allowed set.
//
//	${params.NAME}                   a {NAME} captured by the route's path
//	${idempotencyKey}                the request's idempotency key
//	${correlationId}                 the request's correlation id
//	${guarded['GUARD'].identity}     the identity of the guard's session
//	${guarded['GUARD'].attributes.A} an attribute of that session
//	${headers.NAME}                  the request header NAME (a Sluice addition)
//
// Anything else written ${...} is an error at load, so that a misspelt
// expression never reaches Kafka as literal text.

// Allowed is the set of expressions a value may use.
type Allowed uint8

// The expressions, as bits of Allowed.
const (
	AllowParams Allowed = 1 << iota
	AllowIdempotencyKey
	AllowCorrelationID
	AllowGuarded
	AllowHeaders
)

// ExprKind says what one part of a Template is.
type ExprKind uint8

// The kinds of template parts.
const (
	ExprLiteral ExprKind = iota
	ExprParam
	ExprIdempotencyKey
	ExprCorrelationID
	ExprGuarded
	ExprHeader
)

// Part is one piece of a Template: literal text or an expression.
type Part struct {
	Kind ExprKind
	// Text is the literal text, the parameter name, the header name
	// (lower-case) or the guard name.
	Text string
	// Attribute is the guard session attribute; "" means the identity.
	Attribute string
}

// Vars supplies the values expressions stand for when a Template is
// expanded. A value that is not there (a header the request lacks, a
// session without that attribute) is the empty string.
type Vars interface {
	Param(name string) string
	IdempotencyKey() string
	CorrelationID() string
	Guarded(guard, attribute string) string
	Header(name string) string
}

// Template is a compiled value with expressions.
type Template struct {
	text  string
	parts []Part
}

var guardedExpr = regexp.MustCompile(`^guarded\[(?:'([^']+)'|"([^"]+)")\]\.(?:(identity)|attributes\.([A-Za-z0-9_.-]+))$`)

var exprName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

var headerToken = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9a-zA-Z-]+$")

// CompileTemplate compiles text, refusing expressions outside allowed.
func CompileTemplate(text string, allowed Allowed) (*Template, error) {
	t := &Template{text: text}
	rest := text
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			break
		}
		if i > 0 {
			t.parts = append(t.parts, Part{Kind: ExprLiteral, Text: rest[:i]})
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("unclosed expression in %q", text)
		}
		p, err := parseExpr(rest[i+2:i+j], allowed)
		if err != nil {
			return nil, err
		}
		t.parts = append(t.parts, p)
		rest = rest[i+j+1:]
	}
	if rest != "" {
		t.parts = append(t.parts, Part{Kind: ExprLiteral, Text: rest})
	}
	return t, nil
}

func parseExpr(e string, allowed Allowed) (Part, error) {
	var p Part
	var need Allowed
	switch {
	case strings.HasPrefix(e, "params."):
		p, need = Part{Kind: ExprParam, Text: strings.TrimPrefix(e, "params.")}, AllowParams
		if !exprName.MatchString(p.Text) {
			return p, fmt.Errorf("invalid parameter name in ${%s}", e)
		}
	case e == "idempotencyKey":
		p, need = Part{Kind: ExprIdempotencyKey}, AllowIdempotencyKey
	case e == "correlationId":
		p, need = Part{Kind: ExprCorrelationID}, AllowCorrelationID
	case strings.HasPrefix(e, "headers."):
		name := strings.TrimPrefix(e, "headers.")
		if !headerToken.MatchString(name) {
			return p, fmt.Errorf("invalid header name in ${%s}", e)
		}
		p, need = Part{Kind: ExprHeader, Text: strings.ToLower(name)}, AllowHeaders
	case strings.HasPrefix(e, "guarded["):
		m := guardedExpr.FindStringSubmatch(e)
		if m == nil {
			return p, fmt.Errorf("invalid expression ${%s}: expected ${guarded['GUARD'].identity} or ${guarded['GUARD'].attributes.NAME}", e)
		}
		p, need = Part{Kind: ExprGuarded, Text: m[1] + m[2], Attribute: m[4]}, AllowGuarded
	default:
		return p, fmt.Errorf("unknown expression ${%s}: expected one of %s", e, describeAllowed(allowed))
	}
	if allowed&need == 0 {
		return p, fmt.Errorf("${%s} is not allowed here: expected %s", e, describeAllowed(allowed))
	}
	return p, nil
}

func describeAllowed(a Allowed) string {
	var out []string
	for _, x := range []struct {
		bit  Allowed
		text string
	}{
		{AllowParams, "${params.NAME}"},
		{AllowIdempotencyKey, "${idempotencyKey}"},
		{AllowCorrelationID, "${correlationId}"},
		{AllowGuarded, "${guarded['GUARD'].identity}"},
		{AllowHeaders, "${headers.NAME}"},
	} {
		if a&x.bit != 0 {
			out = append(out, x.text)
		}
	}
	if len(out) == 0 {
		return "no expression"
	}
	return strings.Join(out, ", ")
}

// Text returns the template as written.
func (t *Template) Text() string { return t.text }

// Parts returns the compiled parts, in order.
func (t *Template) Parts() []Part { return t.parts }

// Literal returns the value when the template has no expression.
func (t *Template) Literal() (string, bool) {
	for _, p := range t.parts {
		if p.Kind != ExprLiteral {
			return "", false
		}
	}
	return t.text, true
}

// Uses reports whether the template holds an expression of kind k.
func (t *Template) Uses(k ExprKind) bool {
	for _, p := range t.parts {
		if p.Kind == k {
			return true
		}
	}
	return false
}

// AppendTo appends the expanded value to dst.
func (t *Template) AppendTo(dst []byte, v Vars) []byte {
	for _, p := range t.parts {
		dst = append(dst, p.value(v)...)
	}
	return dst
}

// Expand returns the expanded value. A template that is one literal or one
// expression costs no allocation beyond what Vars returns.
func (t *Template) Expand(v Vars) string {
	switch len(t.parts) {
	case 0:
		return ""
	case 1:
		return t.parts[0].value(v)
	}
	var b strings.Builder
	for _, p := range t.parts {
		b.WriteString(p.value(v))
	}
	return b.String()
}

func (p *Part) value(v Vars) string {
	switch p.Kind {
	case ExprParam:
		return v.Param(p.Text)
	case ExprIdempotencyKey:
		return v.IdempotencyKey()
	case ExprCorrelationID:
		return v.CorrelationID()
	case ExprGuarded:
		return v.Guarded(p.Text, p.Attribute)
	case ExprHeader:
		return v.Header(p.Text)
	}
	return p.Text
}
