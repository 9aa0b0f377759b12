package spectest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// Extensions maps protocol names to their extension types by name, for
// scripts that write `http:begin {...}`: Extensions{"http": httpspec.Extensions}.
// Each spec package exports such a map of constructors.
type Extensions map[string]map[string]func() any

// build decodes a script extension into a new value of its registered type.
func (x Extensions) build(e *ExtValue) (any, error) {
	ctor, err := x.lookup(e.Type)
	if err != nil {
		return nil, err
	}
	v := ctor()
	dec := json.NewDecoder(bytes.NewReader(e.JSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, fmt.Errorf("extension %s: %v", e.Type, err)
	}
	return v, nil
}

func (x Extensions) lookup(typ string) (func() any, error) {
	proto, name, _ := strings.Cut(typ, ":")
	types, ok := x[proto]
	if !ok {
		return nil, fmt.Errorf("unknown extension protocol %q (the test registers none)", proto)
	}
	ctor, ok := types[name]
	if !ok {
		names := make([]string, 0, len(types))
		for n := range types {
			names = append(names, proto+":"+n)
		}
		return nil, fmt.Errorf("unknown extension %q (known: %s)", typ, strings.Join(names, ", "))
	}
	return ctor, nil
}

// match checks an actual extension against the script's expectation: it
// must be of the registered type, and every field the script names must
// have the value the script gives. Objects match when each named key
// matches; arrays when the script's items appear, in order, among the
// actual ones; other values when equal.
func (x Extensions) match(e *ExtValue, actual any) error {
	ctor, err := x.lookup(e.Type)
	if err != nil {
		return err
	}
	if want := reflect.TypeOf(ctor()); reflect.TypeOf(actual) != want {
		return fmt.Errorf("extension: expected %s (%v), got %T", e.Type, want, actual)
	}
	var expected any
	if err := json.Unmarshal(e.JSON, &expected); err != nil {
		return fmt.Errorf("extension %s: %v", e.Type, err)
	}
	raw, err := json.Marshal(actual)
	if err != nil {
		return fmt.Errorf("extension %s: %v", e.Type, err)
	}
	var got any
	if err := json.Unmarshal(raw, &got); err != nil {
		return err
	}
	if path, ok := subset(expected, got, ""); !ok {
		return fmt.Errorf("extension %s differs at %s:\n  expected %s\n  got      %s", e.Type, path, e.JSON, raw)
	}
	return nil
}

// subset reports whether want is matched by got, and where not.
func subset(want, got any, path string) (string, bool) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return pathOr(path), false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				if wv == nil {
					continue
				}
				return path + "." + k, false
			}
			if p, ok := subset(wv, gv, path+"."+k); !ok {
				return p, false
			}
		}
		return "", true
	case []any:
		g, ok := got.([]any)
		if !ok {
			return pathOr(path), false
		}
		j := 0
		for i, wv := range w {
			for ; j < len(g); j++ {
				if _, ok := subset(wv, g[j], ""); ok {
					break
				}
			}
			if j == len(g) {
				return fmt.Sprintf("%s[%d]", path, i), false
			}
			j++
		}
		return "", true
	default:
		if !reflect.DeepEqual(want, got) {
			return pathOr(path), false
		}
		return "", true
	}
}

func pathOr(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}
