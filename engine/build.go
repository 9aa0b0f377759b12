package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// buildNamespace decodes a schema-valid document into the typed model.
func (r *Registry) buildNamespace(d *document) (*Namespace, ConfigErrors) {
	root := d.root.(map[string]any)
	ns := &Namespace{Name: root["name"].(string)}
	var errs ConfigErrors

	for _, name := range d.orderedKeys(root, "bindings") {
		b, bErrs := r.buildBinding(d, ns.Name, name)
		errs = append(errs, bErrs...)
		ns.Bindings = append(ns.Bindings, b)
	}
	for _, c := range []struct {
		key  string
		into *[]*ComponentConfig
		opts func(string) func() any
	}{
		{"guards", &ns.Guards, func(t string) func() any { return componentOptions(r, r.guards, t) }},
		{"vaults", &ns.Vaults, func(t string) func() any { return componentOptions(r, r.vaults, t) }},
		{"catalogs", &ns.Catalogs, func(t string) func() any { return componentOptions(r, r.catalogs, t) }},
	} {
		for _, name := range d.orderedKeys(root, c.key) {
			cc, cErrs := d.buildComponent(ns.Name, []string{c.key, name}, c.opts)
			errs = append(errs, cErrs...)
			*c.into = append(*c.into, cc)
		}
	}
	if t, ok := root["telemetry"].(map[string]any); ok {
		if attrs, ok := t["attributes"].(map[string]any); ok {
			ns.Telemetry.Attributes = stringMap(attrs)
		}
		if metrics, ok := t["metrics"].([]any); ok {
			ns.Telemetry.Metrics = stringSlice(metrics)
		}
		for _, name := range d.orderedKeys(t, "exporters") {
			cc, cErrs := d.buildComponent(ns.Name, []string{"telemetry", "exporters", name},
				func(t string) func() any { return componentOptions(r, r.exporters, t) })
			errs = append(errs, cErrs...)
			ns.Telemetry.Exporters = append(ns.Telemetry.Exporters, cc)
		}
	}
	return ns, errs
}

func componentOptions[T any](r *Registry, m map[string]*ComponentType[T], typ string) func() any {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if t, ok := m[typ]; ok {
		return t.NewOptions
	}
	return nil
}

func (d *document) buildComponent(ns string, tokens []string, options func(string) func() any) (*ComponentConfig, ConfigErrors) {
	v, _ := lookup(d.root, tokens...)
	m := v.(map[string]any)
	c := &ComponentConfig{Namespace: ns, Name: tokens[len(tokens)-1], Pos: d.position(tokens), doc: d, tokens: tokens}
	c.Type, _ = m["type"].(string)
	if vault, ok := m["vault"].(string); ok {
		c.Vault = qualify(ns, vault)
	}
	var errs ConfigErrors
	if raw, ok := m["options"]; ok {
		c.Options, errs = d.decodeTyped(raw, options(c.Type), appendToken(tokens, "options"))
	}
	return c, errs
}

func (r *Registry) buildBinding(d *document, ns, name string) (*BindingConfig, ConfigErrors) {
	tokens := []string{"bindings", name}
	v, _ := lookup(d.root, tokens...)
	m := v.(map[string]any)
	b := &BindingConfig{Namespace: ns, Name: name, Pos: d.position(tokens), doc: d}
	b.Type, _ = m["type"].(string)
	kindName, _ := m["kind"].(string)
	b.Kind = Kind(kindName)
	t, _ := r.Binding(b.Type)
	var errs ConfigErrors

	if vault, ok := m["vault"].(string); ok {
		b.Vault = qualify(ns, vault)
	}
	if cat, ok := m["catalog"].(map[string]any); ok {
		for catName, refs := range cat {
			ref := CatalogRef{Catalog: qualify(ns, catName)}
			for i, raw := range refs.([]any) {
				var s SchemaRef
				if err := decodeStrict(raw, &s); err != nil {
					errs = append(errs, d.decodeError(appendToken(appendToken(tokens, "catalog"), catName+"."+strconv.Itoa(i)), err))
				}
				ref.Schemas = append(ref.Schemas, s)
			}
			b.Catalogs = append(b.Catalogs, ref)
		}
	}
	if raw, ok := m["options"]; ok && t != nil {
		var oErrs ConfigErrors
		b.Options, oErrs = d.decodeTyped(raw, t.NewOptions, appendToken(tokens, "options"))
		errs = append(errs, oErrs...)
	}
	if routes, ok := m["routes"].([]any); ok {
		for i, raw := range routes {
			rt, rErrs := d.buildRoute(ns, t, raw.(map[string]any), appendToken(appendToken(tokens, "routes"), strconv.Itoa(i)))
			rt.path = "routes." + strconv.Itoa(i)
			errs = append(errs, rErrs...)
			b.Routes = append(b.Routes, rt)
		}
	}
	if exit, ok := m["exit"].(string); ok {
		b.Exit = qualify(ns, exit)
		b.Routes = append(b.Routes, &RouteConfig{Exit: b.Exit, Pos: d.position(appendToken(tokens, "exit")), path: "exit"})
	}
	if entry, ok := m["entry"].(string); ok {
		b.Entry = qualify(ns, entry)
	}
	if tel, ok := m["telemetry"].(map[string]any); ok {
		if metrics, ok := tel["metrics"].([]any); ok {
			b.Telemetry.Metrics = stringSlice(metrics)
		}
		if attrs, ok := tel["attributes"].(map[string]any); ok {
			b.Telemetry.Attributes = stringMap(attrs)
		}
	}
	return b, errs
}

func (d *document) buildRoute(ns string, t *BindingType, m map[string]any, tokens []string) (*RouteConfig, ConfigErrors) {
	rt := &RouteConfig{Pos: d.position(tokens)}
	var errs ConfigErrors
	if exit, ok := m["exit"].(string); ok {
		rt.Exit = qualify(ns, exit)
	}
	if when, ok := m["when"].([]any); ok {
		for i, raw := range when {
			var cond any
			var cErrs ConfigErrors
			if t != nil {
				cond, cErrs = d.decodeTyped(raw, t.NewCondition, appendToken(appendToken(tokens, "when"), strconv.Itoa(i)))
			}
			errs = append(errs, cErrs...)
			rt.When = append(rt.When, cond)
		}
	}
	if raw, ok := m["with"]; ok && t != nil {
		var wErrs ConfigErrors
		rt.With, wErrs = d.decodeTyped(raw, t.NewWith, appendToken(tokens, "with"))
		errs = append(errs, wErrs...)
	}
	if guarded, ok := m["guarded"].(map[string]any); ok {
		rt.Guarded = map[string][]string{}
		for g, roles := range guarded {
			rt.Guarded[qualify(ns, g)] = stringSlice(roles.([]any))
		}
	}
	return rt, errs
}

// decodeTyped strictly decodes a validated value into the type's struct.
// A type without a struct for this block gets the plain value: the schema
// already decided whether it is allowed.
func (d *document) decodeTyped(raw any, newValue func() any, tokens []string) (any, ConfigErrors) {
	if newValue == nil {
		return raw, nil
	}
	v := newValue()
	if err := decodeStrict(raw, v); err != nil {
		return v, ConfigErrors{d.decodeError(tokens, err)}
	}
	return v, nil
}

// decodeStrict decodes a plain value into v, refusing unknown fields.
func decodeStrict(raw any, v any) error {
	data, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// decodeError positions a JSON decoding error at the field it names.
func (d *document) decodeError(tokens []string, err error) *ConfigError {
	var typeErr *json.UnmarshalTypeError
	var fe *FieldError
	switch {
	case errors.As(err, &typeErr):
		at := tokens
		if typeErr.Field != "" {
			at = append(slices.Clone(tokens), strings.Split(typeErr.Field, ".")...)
		}
		return &ConfigError{Pos: d.position(at), Msg: fmt.Sprintf("expected %s, got %s", typeErr.Type, typeErr.Value)}
	case errors.As(err, &fe):
		return &ConfigError{Pos: d.position(append(slices.Clone(tokens), splitPath(fe.Path)...)), Msg: fe.Err.Error()}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &ConfigError{Pos: d.keyPosition(appendToken(tokens, field)), Msg: fmt.Sprintf("unknown key %q", field)}
	}
	return &ConfigError{Pos: d.position(tokens), Msg: strings.TrimPrefix(err.Error(), "json: ")}
}

// splitPath splits a relative path such as "routes[0].when[1].cidr" or
// "routes.0.when" into tokens.
func splitPath(p string) []string {
	if p == "" {
		return nil
	}
	p = strings.NewReplacer("[", ".", "]", "").Replace(p)
	return strings.Split(strings.Trim(p, "."), ".")
}

// orderedKeys returns the keys of root[key] in file order.
func (d *document) orderedKeys(root map[string]any, key string) []string {
	m, ok := root[key].(map[string]any)
	if !ok {
		return nil
	}
	prefix := []string{key}
	if _, top := d.keys[pathKey(prefix)]; !top {
		// nested mapping such as telemetry.exporters
		prefix = []string{"telemetry", key}
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int {
		pa, pb := d.keys[pathKey(appendToken(prefix, a))], d.keys[pathKey(appendToken(prefix, b))]
		if pa.Line != pb.Line {
			return pa.Line - pb.Line
		}
		return strings.Compare(a, b)
	})
	return names
}

func stringSlice(v []any) []string {
	out := make([]string, 0, len(v))
	for _, s := range v {
		out = append(out, fmt.Sprint(s))
	}
	return out
}

func stringMap(m map[string]any) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}
