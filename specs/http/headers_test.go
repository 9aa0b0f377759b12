package http_test

import (
	"testing"

	httpspec "github.com/sluicehq/sluice/specs/http"
)

func TestHeaders(t *testing.T) {
	h := httpspec.Headers{
		{Name: ":method", Value: "GET"},
		{Name: ":path", Value: "/"},
		{Name: "accept", Value: "a"},
		{Name: "accept", Value: "b"},
	}
	orig := h.Clone()
	h.Add(":authority", "example.com")
	h.Add("x-one", "1")
	h.Set("accept", "c")
	h.Del("x-missing")
	want := httpspec.Headers{
		{Name: ":method", Value: "GET"},
		{Name: ":path", Value: "/"},
		{Name: ":authority", Value: "example.com"},
		{Name: "accept", Value: "c"},
		{Name: "x-one", Value: "1"},
	}
	if h.String() != want.String() {
		t.Fatalf("got\n%s\nwant\n%s", h, want)
	}
	if got := orig.Values("accept"); len(got) != 2 || got[1] != "b" {
		t.Fatalf("Clone shares storage: %v", got)
	}
	if v, ok := h.Get(":authority"); !ok || v != "example.com" || h.Value("x-none") != "" || h.Has("x-none") {
		t.Fatal("Get/Value/Has")
	}
	if s := (httpspec.Headers{{Name: ":status", Value: "404"}}).Status(); s != 404 {
		t.Fatalf("Status %d", s)
	}
	if s := (httpspec.Headers{}).Status(); s != 0 {
		t.Fatalf("Status of nothing %d", s)
	}
	h.Set(":status", "200")
	if h[3].Name != ":status" {
		t.Fatalf("a pseudo-header added by Set must stay among the pseudo-headers: %v", h)
	}
}
