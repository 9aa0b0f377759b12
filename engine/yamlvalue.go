package engine

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// document is one YAML document turned into plain values (map[string]any,
// []any, string, int64, float64, bool, nil) for schema validation and
// decoding, with the position of every value and key kept by path.
type document struct {
	file   string
	root   any
	values map[string]Position // path key -> position of the value
	keys   map[string]Position // path key -> position of the mapping key
	errs   ConfigErrors
}

// pathKey joins path tokens into a map key.
func pathKey(tokens []string) string { return strings.Join(tokens, "\x00") }

// displayPath renders tokens as a YAML path: bindings.tcp0.routes[0].exit.
func displayPath(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		if _, err := strconv.Atoi(t); err == nil && b.Len() > 0 {
			b.WriteString("[" + t + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(t)
	}
	return b.String()
}

// position returns the position of the value at tokens, falling back to
// the closest enclosing value that has one.
func (d *document) position(tokens []string) Position {
	for n := len(tokens); n >= 0; n-- {
		if p, ok := d.values[pathKey(tokens[:n])]; ok {
			p.Path = displayPath(tokens)
			return p
		}
	}
	return Position{File: d.file, Path: displayPath(tokens)}
}

// keyPosition returns the position of the mapping key at tokens (for an
// unexpected property), or of the value when there is no key.
func (d *document) keyPosition(tokens []string) Position {
	if p, ok := d.keys[pathKey(tokens)]; ok {
		p.Path = displayPath(tokens)
		return p
	}
	return d.position(tokens)
}

// findKey locates a mapping key by name alone, for errors that do not say
// where the key is; it falls back to the file.
func (d *document) findKey(name string) Position {
	var found []string
	for k := range d.keys {
		tokens := strings.Split(k, "\x00")
		if tokens[len(tokens)-1] == name {
			if found != nil {
				return Position{File: d.file, Path: name}
			}
			found = tokens
		}
	}
	if found == nil {
		return Position{File: d.file, Path: name}
	}
	return d.keyPosition(found)
}

func (d *document) errorf(tokens []string, format string, args ...any) {
	d.errs = append(d.errs, &ConfigError{Pos: d.position(tokens), Msg: fmt.Sprintf(format, args...)})
}

func newDocument(file string, n *yaml.Node) *document {
	d := &document{file: file, values: map[string]Position{}, keys: map[string]Position{}}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	d.root = d.convert(n, nil, 0)
	return d
}

func (d *document) convert(n *yaml.Node, tokens []string, depth int) any {
	if depth > 100 {
		d.errorf(tokens, "nesting deeper than 100 levels")
		return nil
	}
	d.values[pathKey(tokens)] = Position{File: d.file, Line: n.Line, Column: n.Column}
	switch n.Kind {
	case yaml.AliasNode:
		return d.convert(n.Alias, tokens, depth+1)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		d.mapping(n, tokens, m, depth)
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			s[i] = d.convert(c, appendToken(tokens, strconv.Itoa(i)), depth+1)
		}
		return s
	case yaml.ScalarNode:
		return d.scalar(n, tokens)
	}
	return nil
}

func (d *document) mapping(n *yaml.Node, tokens []string, m map[string]any, depth int) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(tokens, "mapping keys must be plain strings")
			continue
		}
		if k.Tag == "!!merge" {
			// `<<: *anchor` merges the anchored mapping's keys not set here.
			src := v
			if src.Kind == yaml.AliasNode {
				src = src.Alias
			}
			if src.Kind != yaml.MappingNode {
				d.errorf(tokens, "merge key `<<` needs a mapping")
				continue
			}
			merged := map[string]any{}
			d.mapping(src, tokens, merged, depth+1)
			for mk, mv := range merged {
				if _, set := m[mk]; !set {
					m[mk] = mv
				}
			}
			continue
		}
		child := appendToken(tokens, k.Value)
		if _, dup := m[k.Value]; dup {
			d.errs = append(d.errs, &ConfigError{
				Pos: Position{File: d.file, Line: k.Line, Column: k.Column, Path: displayPath(child)},
				Msg: fmt.Sprintf("key %q appears twice", k.Value)})
			continue
		}
		d.keys[pathKey(child)] = Position{File: d.file, Line: k.Line, Column: k.Column}
		m[k.Value] = d.convert(v, child, depth+1)
	}
}

var yamlInt = regexp.MustCompile(`^[-+]?(0|[1-9][0-9_]*)$`)

func (d *document) scalar(n *yaml.Node, tokens []string) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			d.errorf(tokens, "invalid boolean %q", n.Value)
		}
		return b
	case "!!int":
		var i int64
		if err := n.Decode(&i); err != nil {
			d.errorf(tokens, "invalid integer %q", n.Value)
		}
		return i
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.errorf(tokens, "invalid number %q", n.Value)
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 && yamlInt.MatchString(n.Value) {
			return int64(f)
		}
		return f
	default:
		return n.Value
	}
}

func appendToken(tokens []string, t string) []string {
	out := make([]string, len(tokens)+1)
	copy(out, tokens)
	out[len(tokens)] = t
	return out
}

// lookup returns the value at tokens in root.
func lookup(root any, tokens ...string) (any, bool) {
	v := root
	for _, t := range tokens {
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = c[t]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	return v, true
}
