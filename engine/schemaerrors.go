package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var printer = message.NewPrinter(language.English)

// schemaErrors turns a validation failure into one ConfigError per leaf
// problem, phrased for someone editing YAML rather than JSON Schema.
func (v *validator) schemaErrors(d *document, verr error) ConfigErrors {
	ve, ok := verr.(*jsonschema.ValidationError)
	if !ok {
		return ConfigErrors{{Pos: Position{File: d.file}, Msg: verr.Error()}}
	}
	var resources map[string]any
	var errs ConfigErrors
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if k, ok := e.ErrorKind.(*kind.PropertyNames); ok {
			errs = append(errs, &ConfigError{Pos: d.findKey(k.Property),
				Msg: fmt.Sprintf("invalid name %q: a name starts with a letter, then letters, digits, '.', '_' or '-'", k.Property)})
			return
		}
		if len(e.Causes) > 0 {
			for _, c := range preferredCauses(e) {
				walk(c)
			}
			return
		}
		loc := e.InstanceLocation
		switch k := e.ErrorKind.(type) {
		case *kind.AdditionalProperties:
			if resources == nil {
				resources = schemaResources(v.doc)
			}
			allowed := allowedProperties(resources, e.SchemaURL)
			for _, p := range k.Properties {
				msg := fmt.Sprintf("unknown key %q", p)
				if s := suggest(p, allowed); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				} else if len(allowed) > 0 {
					msg += fmt.Sprintf(" (expected one of: %s)", strings.Join(allowed, ", "))
				}
				errs = append(errs, &ConfigError{Pos: d.keyPosition(appendToken(loc, p)), Msg: msg})
			}
		case *kind.FalseSchema:
			errs = append(errs, &ConfigError{Pos: d.keyPosition(loc), Msg: "not allowed here"})
		case *kind.Required:
			for _, p := range k.Missing {
				errs = append(errs, &ConfigError{Pos: d.keyPosition(loc), Msg: fmt.Sprintf("missing required key %q", p)})
			}
		case *kind.Type:
			errs = append(errs, &ConfigError{Pos: d.position(loc),
				Msg: fmt.Sprintf("expected %s, got %s", strings.Join(k.Want, " or "), k.Got)})
		case *kind.Enum:
			want := make([]string, len(k.Want))
			for i, w := range k.Want {
				want[i] = fmt.Sprintf("%v", w)
			}
			what := "value"
			if n := len(loc); n > 0 && loc[n-1] == "type" {
				what = "type"
			}
			msg := fmt.Sprintf("unknown %s %v: expected one of %s", what, display(k.Got), strings.Join(want, ", "))
			if len(want) == 0 && what == "type" {
				// catalogs and exporters, say, when no type of that
				// component is compiled into this build
				msg = fmt.Sprintf("unknown type %v: this build has no %s type (sluice list shows what it has)", display(k.Got), componentOf(loc))
			}
			errs = append(errs, &ConfigError{Pos: d.position(loc), Msg: msg})
		case *kind.Const:
			errs = append(errs, &ConfigError{Pos: d.position(loc),
				Msg: fmt.Sprintf("expected %v, got %v", display(k.Want), display(k.Got))})
		default:
			errs = append(errs, &ConfigError{Pos: d.position(loc), Msg: e.ErrorKind.LocalizedString(printer)})
		}
	}
	walk(ve)
	return errs
}

// preferredCauses picks which nested failures to report. For oneOf and
// anyOf every alternative fails; the one that got furthest into the value
// explains the mistake best, so only its causes are kept.
func preferredCauses(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	switch e.ErrorKind.(type) {
	case *kind.OneOf, *kind.AnyOf:
	default:
		return e.Causes
	}
	best, bestDepth := e.Causes[:1], -1
	for _, c := range e.Causes {
		if d := deepest(c); d > bestDepth {
			best, bestDepth = []*jsonschema.ValidationError{c}, d
		}
	}
	return best
}

func deepest(e *jsonschema.ValidationError) int {
	d := len(e.InstanceLocation)
	if _, ok := e.ErrorKind.(*kind.Type); ok {
		d-- // a wrong type means the alternative did not fit at all
	}
	for _, c := range e.Causes {
		if cd := deepest(c); cd > d {
			d = cd
		}
	}
	return d
}

func display(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%v", v)
}

// schemaResources indexes the composed schema's resources by $id.
func schemaResources(root map[string]any) map[string]any {
	out := map[string]any{}
	var walk func(v any)
	walk = func(v any) {
		switch c := v.(type) {
		case map[string]any:
			if id, ok := c["$id"].(string); ok {
				out[id] = c
			}
			for _, child := range c {
				walk(child)
			}
		case []any:
			for _, child := range c {
				walk(child)
			}
		}
	}
	walk(any(root))
	return out
}

// allowedProperties finds the `properties` of the schema whose
// additionalProperties failed, to tell the user what was expected.
func allowedProperties(resources map[string]any, schemaURL string) []string {
	base, ptr, _ := strings.Cut(schemaURL, "#")
	v, ok := resources[base]
	if !ok {
		return nil
	}
	var tokens []string
	if ptr = strings.TrimPrefix(ptr, "/"); ptr != "" {
		tokens = strings.Split(ptr, "/")
	}
	for _, t := range tokens {
		t = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
		next, ok := lookup(v, t)
		if !ok {
			return nil
		}
		v = next
	}
	props, _ := lookup(v, "properties")
	m, _ := props.(map[string]any)
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// suggest returns the allowed name closest to a misspelt one, if close.
func suggest(got string, allowed []string) string {
	best, bestDist := "", len(got)/2+1
	for _, a := range allowed {
		if d := editDistance(got, a); d < bestDist {
			best, bestDist = a, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// componentOf names the kind of component whose type loc points at:
// catalogs.NAME.type is a catalog, telemetry.exporters.NAME.type an
// exporter.
func componentOf(loc []string) string {
	if len(loc) < 3 {
		return "such"
	}
	return strings.TrimSuffix(loc[len(loc)-3], "s")
}
