package engine

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed schema/engine.schema.json
var baseSchema []byte

const schemaBase = "https://sluice.dev/schema/"

// Schema returns the composed JSON Schema of one zilla.yaml document: the
// engine's base schema with the fragment of every registered type embedded
// as its own resource. `sluice schema` prints it for editors.
func (r *Registry) Schema() ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.schema != nil {
		return r.schema, nil
	}
	doc, err := r.composeSchema(nil)
	if err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	r.schema = out
	return out, nil
}

// composeSchema builds the schema document: the base, every registered
// type's name, and the fragments of the types in used (all when nil). The
// caller holds r.mu.
func (r *Registry) composeSchema(used usedTypes) (map[string]any, error) {
	var root map[string]any
	if err := json.Unmarshal(baseSchema, &root); err != nil {
		return nil, fmt.Errorf("engine: base schema: %w", err)
	}
	defs := root["$defs"].(map[string]any)

	binding := defs["binding"].(map[string]any)
	var names []any
	var conds []any
	for _, name := range sortedKeys(r.bindings) {
		names = append(names, name)
		if !used.has("binding", name) {
			continue
		}
		t := r.bindings[name]
		fragment, err := parseFragment("binding", name, t.Schema)
		if err != nil {
			return nil, err
		}
		kinds := make([]any, len(t.Kinds))
		for i, k := range t.Kinds {
			kinds[i] = string(k.Kind)
		}
		conds = append(conds, map[string]any{
			"if": map[string]any{"properties": map[string]any{"type": map[string]any{"const": name}}, "required": []any{"type"}},
			"then": map[string]any{
				"properties": map[string]any{"kind": map[string]any{"enum": kinds}},
				"allOf":      []any{fragment},
			},
		})
	}
	setTypes(binding, names, conds)

	for _, c := range []struct {
		def   string
		types map[string][]byte
	}{
		{"guard", schemas(r.guards)},
		{"vault", schemas(r.vaults)},
		{"catalog", schemas(r.catalogs)},
		{"exporter", schemas(r.exporters)},
	} {
		var names, conds []any
		for _, name := range sortedKeys(c.types) {
			names = append(names, name)
			if !used.has(c.def, name) {
				continue
			}
			fragment, err := parseFragment(c.def, name, c.types[name])
			if err != nil {
				return nil, err
			}
			conds = append(conds, map[string]any{
				"if":   map[string]any{"properties": map[string]any{"type": map[string]any{"const": name}}, "required": []any{"type"}},
				"then": map[string]any{"properties": map[string]any{"options": fragment}},
			})
		}
		setTypes(defs[c.def].(map[string]any), names, conds)
	}
	return root, nil
}

func schemas[T any](m map[string]*ComponentType[T]) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = v.Schema
	}
	return out
}

func setTypes(def map[string]any, names, conds []any) {
	props := def["properties"].(map[string]any)
	if len(names) == 0 {
		names = []any{}
	}
	props["type"] = map[string]any{"type": "string", "enum": names}
	if len(conds) > 0 {
		def["allOf"] = conds
	}
}

func parseFragment(what, name string, raw []byte) (map[string]any, error) {
	var fragment map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&fragment); err != nil {
		return nil, fmt.Errorf("engine: schema fragment of %s type %q: %w", what, name, err)
	}
	delete(fragment, "$schema")
	fragment["$id"] = schemaBase + what + "/" + name + ".json"
	return fragment, nil
}

// usedTypes names the component types a configuration's documents use,
// by the schema definition they fall under (binding, guard, vault,
// catalog, exporter).
type usedTypes map[string]map[string]bool

func (u usedTypes) add(def, name string) {
	if u[def] == nil {
		u[def] = map[string]bool{}
	}
	u[def][name] = true
}

// has reports whether the type is used; a nil set uses every type.
func (u usedTypes) has(def, name string) bool { return u == nil || u[def][name] }

// key is a stable text for the set, to cache by.
func (u usedTypes) key() string {
	var b strings.Builder
	for _, def := range sortedKeys(u) {
		b.WriteString(def)
		b.WriteByte(':')
		for _, name := range sortedKeys(u[def]) {
			b.WriteString(name)
			b.WriteByte(',')
		}
		b.WriteByte(';')
	}
	return b.String()
}

// typesOf collects the types each document's components name, whatever
// else may be wrong with them: a type that is not a string, or not
// registered, adds nothing, and the schema reports it.
func typesOf(docs []*document) usedTypes {
	u := usedTypes{}
	for _, d := range docs {
		for _, c := range []struct {
			def  string
			path []string
		}{
			{"binding", []string{"bindings"}}, {"guard", []string{"guards"}}, {"vault", []string{"vaults"}},
			{"catalog", []string{"catalogs"}}, {"exporter", []string{"telemetry", "exporters"}},
		} {
			components, _ := lookup(d.root, c.path...)
			m, _ := components.(map[string]any)
			for _, v := range m {
				if t, ok := v.(map[string]any)["type"].(string); ok {
					u.add(c.def, t)
				}
			}
		}
	}
	return u
}

// maxValidators bounds the compiled schemas a registry keeps.
const maxValidators = 16

// compiledFor returns the schema that validates documents using the types
// in used: the base schema, every registered type's name (so that an
// unknown type is reported with the full list), and the fragments of the
// used types only. Compiling the fragments of every type took most of
// sluice's start-up; a configuration compiles only what it uses, once per
// set of types until the next registration.
func (r *Registry) compiledFor(used usedTypes) (*validator, error) {
	key := used.key()
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.validators[key]; ok {
		return v, nil
	}
	doc, err := r.composeSchema(used)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaBase+"engine.json", doc); err != nil {
		return nil, fmt.Errorf("engine: composed schema: %w", err)
	}
	sch, err := c.Compile(schemaBase + "engine.json")
	if err != nil {
		return nil, fmt.Errorf("engine: composed schema does not compile: %w", err)
	}
	if r.validators == nil || len(r.validators) >= maxValidators {
		r.validators = map[string]*validator{}
	}
	v := &validator{schema: sch, doc: doc}
	r.validators[key] = v
	return v, nil
}

// validator is a compiled schema and the document it was compiled from,
// whose parts name the keys a misspelt one may have meant.
type validator struct {
	schema *jsonschema.Schema
	doc    map[string]any
}
