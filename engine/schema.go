package engine

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"

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
	doc, err := r.composeSchema()
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

func (r *Registry) composeSchema() (map[string]any, error) {
	var root map[string]any
	if err := json.Unmarshal(baseSchema, &root); err != nil {
		return nil, fmt.Errorf("engine: base schema: %w", err)
	}
	defs := root["$defs"].(map[string]any)

	binding := defs["binding"].(map[string]any)
	var names []any
	var conds []any
	for _, name := range sortedKeys(r.bindings) {
		t := r.bindings[name]
		fragment, err := parseFragment("binding", name, t.Schema)
		if err != nil {
			return nil, err
		}
		kinds := make([]any, len(t.Kinds))
		for i, k := range t.Kinds {
			kinds[i] = string(k.Kind)
		}
		names = append(names, name)
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
			fragment, err := parseFragment(c.def, name, c.types[name])
			if err != nil {
				return nil, err
			}
			names = append(names, name)
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

// compiled returns the composed schema, compiled once until the next
// registration changes it.
func (r *Registry) compiled() (*jsonschema.Schema, error) {
	src, err := r.Schema()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.validator != nil && bytes.Equal(r.validatorSource, src) {
		return r.validator, nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("engine: composed schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaBase+"engine.json", doc); err != nil {
		return nil, fmt.Errorf("engine: composed schema: %w", err)
	}
	sch, err := c.Compile(schemaBase + "engine.json")
	if err != nil {
		return nil, fmt.Errorf("engine: composed schema does not compile: %w", err)
	}
	r.validator, r.validatorSource = sch, src
	return sch, nil
}
