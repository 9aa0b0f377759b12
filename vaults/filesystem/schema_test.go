package filesystem

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestSchema checks schema.json against the option structs: the same
// property names, store required, the three types, nothing else allowed.
func TestSchema(t *testing.T) {
	var doc struct {
		Type                 string                     `json:"type"`
		Properties           map[string]json.RawMessage `json:"properties"`
		AdditionalProperties *bool                      `json:"additionalProperties"`
		Defs                 struct {
			Store struct {
				Type                 string   `json:"type"`
				Required             []string `json:"required"`
				AdditionalProperties *bool    `json:"additionalProperties"`
				Properties           map[string]struct {
					Type    string   `json:"type"`
					Enum    []string `json:"enum"`
					Default string   `json:"default"`
					Items   *struct {
						Type string `json:"type"`
					} `json:"items"`
				} `json:"properties"`
			} `json:"store"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(Schema, &doc); err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	if doc.Type != "object" || doc.AdditionalProperties == nil || *doc.AdditionalProperties {
		t.Error("options must be an object without additional properties")
	}
	if got, want := sortedKeys(doc.Properties), jsonNames(Options{}); !slices.Equal(got, want) {
		t.Errorf("options properties = %q, Options fields = %q", got, want)
	}
	for name, raw := range doc.Properties {
		if !strings.Contains(string(raw), `"$ref": "#/$defs/store"`) {
			t.Errorf("%s does not use the store definition", name)
		}
	}
	st := doc.Defs.Store
	if st.Type != "object" || st.AdditionalProperties == nil || *st.AdditionalProperties {
		t.Error("a store must be an object without additional properties")
	}
	if !slices.Equal(st.Required, []string{"store"}) {
		t.Errorf("store required = %q, want [store]", st.Required)
	}
	props := make(map[string]json.RawMessage)
	for k := range st.Properties {
		props[k] = nil
	}
	if got, want := sortedKeys(props), jsonNames(StoreOptions{}); !slices.Equal(got, want) {
		t.Errorf("store properties = %q, StoreOptions fields = %q", got, want)
	}
	typ := st.Properties["type"]
	if !slices.Equal(typ.Enum, []string{TypePKCS12, TypeJKS, TypePEM}) || typ.Default != TypePKCS12 {
		t.Errorf("type enum = %q default %q", typ.Enum, typ.Default)
	}
	if e := st.Properties["entries"]; e.Type != "array" || e.Items == nil || e.Items.Type != "string" {
		t.Error("entries must be an array of strings")
	}
	for _, k := range []string{"store", "password"} {
		if st.Properties[k].Type != "string" {
			t.Errorf("%s must be a string", k)
		}
	}

	// The struct decodes the documented shape.
	var o Options
	src := `{"keys":{"store":"tls/localhost.p12","type":"pkcs12","password":"x","entries":["localhost"]},"trust":{"store":"tls/truststore.p12"}}`
	if err := json.Unmarshal([]byte(src), &o); err != nil {
		t.Fatal(err)
	}
	if o.Keys == nil || o.Keys.Store != "tls/localhost.p12" || !slices.Equal(o.Keys.Entries, []string{"localhost"}) ||
		o.Trust == nil || o.Signers != nil {
		t.Errorf("decoded %+v", o)
	}
}

func sortedKeys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func jsonNames(v any) []string {
	var out []string
	rt := reflect.TypeOf(v)
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
