package httpkafka

import (
	"strings"
	"testing"
)

type vars map[string]string

func (v vars) Param(name string) string { return v["params."+name] }
func (v vars) IdempotencyKey() string   { return v["idempotencyKey"] }
func (v vars) CorrelationID() string    { return v["correlationId"] }
func (v vars) Guarded(guard, attribute string) string {
	return v["guarded."+guard+"."+attribute]
}
func (v vars) Header(name string) string { return v["headers."+name] }

func TestTemplates(t *testing.T) {
	v := vars{"params.id": "42", "idempotencyKey": "k1", "correlationId": "k1-abc", "guarded.jwt0.": "alice",
		"guarded.jwt0.tenant": "acme", "headers.x-tenant": "t9"}
	all := AllowParams | AllowIdempotencyKey | AllowCorrelationID | AllowGuarded | AllowHeaders
	for _, tc := range []struct{ text, want string }{
		{"items", "items"},
		{"", ""},
		{"${params.id}", "42"},
		{"/items/${params.id};cid=${correlationId}", "/items/42;cid=k1-abc"},
		{"${idempotencyKey}", "k1"},
		{"${guarded['jwt0'].identity}", "alice"},
		{`${guarded["jwt0"].identity}`, "alice"},
		{"${guarded['jwt0'].attributes.tenant}-${headers.X-Tenant}", "acme-t9"},
		{"${headers.missing}", ""},
		{"price: $5 {x}", "price: $5 {x}"},
	} {
		tpl, err := CompileTemplate(tc.text, all)
		if err != nil {
			t.Errorf("%q: %v", tc.text, err)
			continue
		}
		if got := tpl.Expand(v); got != tc.want {
			t.Errorf("%q expands to %q, want %q", tc.text, got, tc.want)
		}
		if got := string(tpl.AppendTo([]byte(">"), v)); got != ">"+tc.want {
			t.Errorf("%q appends %q, want %q", tc.text, got, ">"+tc.want)
		}
		_, literal := tpl.Literal()
		if literal != !strings.Contains(tc.text, "${") {
			t.Errorf("%q: literal %v", tc.text, literal)
		}
	}
	for _, tc := range []struct {
		text    string
		allowed Allowed
		want    string
	}{
		{"${params}", all, "unknown expression"},
		{"${params.}", all, "invalid parameter name"},
		{"${params.a-b}", all, "invalid parameter name"},
		{"${idempotencykey}", all, "unknown expression"},
		{"${guarded[jwt0].identity}", all, "expected ${guarded['GUARD'].identity}"},
		{"${guarded['jwt0'].roles}", all, "expected ${guarded['GUARD'].identity}"},
		{"${headers.a b}", all, "invalid header name"},
		{"x${params.id", all, "unclosed expression"},
		{"${correlationId}", AllowParams, "not allowed here: expected ${params.NAME}"},
		{"${headers.x}", 0, "expected no expression"},
	} {
		if _, err := CompileTemplate(tc.text, tc.allowed); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.text, err, tc.want)
		}
	}
}

func BenchmarkTemplateExpand(b *testing.B) {
	v := vars{"params.id": "42", "correlationId": "k1-abc"}
	tpl, _ := CompileTemplate("/items/${params.id};cid=${correlationId}", AllowParams|AllowCorrelationID)
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = tpl.AppendTo(buf[:0], v)
	}
}
