package httpkafka

import (
	"slices"
	"testing"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

func TestPreferences(t *testing.T) {
	for _, tc := range []struct {
		values []string
		async  bool
		wait   int
	}{
		{nil, false, -1},
		{[]string{"respond-async"}, true, -1},
		{[]string{"respond-async, wait=10"}, true, 10},  // RFC 7240
		{[]string{"respond-async; wait=10"}, true, 10},  // Zilla
		{[]string{"wait=5", "respond-async"}, true, 5},  // two fields
		{[]string{"Wait = 7"}, false, 7},                // case and spaces
		{[]string{`wait="3"`}, false, 3},                // quoted
		{[]string{"wait=abc"}, false, -1},               // invalid
		{[]string{"wait=99999999"}, false, 3600},        // capped
		{[]string{"return=minimal"}, false, -1},         // other preferences
		{[]string{"respond-asynchronously"}, false, -1}, // not respond-async
	} {
		var h httpspec.Headers
		for _, v := range tc.values {
			h = append(h, httpspec.Header{Name: "prefer", Value: v})
		}
		async, wait := preferences(h)
		if async != tc.async || wait != tc.wait {
			t.Errorf("prefer %q: async %v wait %d, want %v %d", tc.values, async, wait, tc.async, tc.wait)
		}
	}
}

func TestIfNoneMatch(t *testing.T) {
	p := kafkaspec.Progress{{Partition: 0, Offset: 5}}
	for _, tc := range []struct {
		value string
		ok    bool
		tag   string
	}{
		{"AQIACg==", true, "AQIACg=="},
		{`"AQIACg=="`, true, `"AQIACg=="`},
		{`W/"AQIACg=="`, true, `W/"AQIACg=="`},
		{"AQIACg==/v2", true, "AQIACg==/v2"},
		{`"xyz", AQIACg==`, true, "AQIACg=="},
		{"AQIACg", false, ""}, // unpadded: not Zilla's etag
		{"*", false, ""},
		{"", false, ""},
	} {
		got, tag, ok := ifNoneMatch(httpspec.Headers{{Name: "if-none-match", Value: tc.value}})
		if ok != tc.ok || tag != tc.tag || (ok && !slices.Equal(got, p)) {
			t.Errorf("if-none-match %q: %v %q %v, want %v %q", tc.value, got, tag, ok, tc.ok, tc.tag)
		}
	}
}

func TestSameProgress(t *testing.T) {
	a := kafkaspec.Progress{{Partition: 0, Offset: 3}, {Partition: 1, Offset: 4}}
	for _, tc := range []struct {
		b    kafkaspec.Progress
		same bool
	}{
		{kafkaspec.Progress{{Partition: 0, Offset: 3}, {Partition: 1, Offset: 4}}, true},
		{kafkaspec.Progress{{Partition: 0, Offset: 3}}, false},
		{kafkaspec.Progress{{Partition: 0, Offset: 3}, {Partition: 1, Offset: 5}}, false},
		{kafkaspec.Progress{{Partition: 0, Offset: 3}, {Partition: 1, Offset: 4}, {Partition: 2, Offset: 0}}, false},
	} {
		if got := sameProgress(a, tc.b); got != tc.same {
			t.Errorf("sameProgress(%v, %v) = %v", a, tc.b, got)
		}
	}
}

func TestReplyHead(t *testing.T) {
	ex := &kafkaspec.DataEx{Headers: []kafkaspec.Header{
		{Name: ":status", Value: []byte("201")},
		{Name: "Location", Value: []byte("/items/1")},
		{Name: "zilla:reply-to", Value: []byte("replies")},
		{Name: "zilla:correlation-id", Value: []byte("k-1")},
		{Name: "content-length", Value: []byte("999")},
		{Name: "transfer-encoding", Value: []byte("chunked")},
		{Name: "x-bad", Value: []byte("a\r\nb")},
		{Name: "content-type", Value: []byte("text/plain")},
	}}
	got := replyHead(ex, 5, "zilla:correlation-id")
	want := httpspec.Headers{{Name: ":status", Value: "201"}, {Name: "location", Value: "/items/1"},
		{Name: "content-type", Value: "text/plain"}, {Name: "content-length", Value: "5"}}
	if !slices.Equal(got, want) {
		t.Errorf("head:\n%v\nwant\n%v", got, want)
	}
	for _, tc := range []struct {
		status, want string
		length       bool
	}{
		{"", "200", true}, {"204", "204", false}, {"304", "304", false}, {"2000", "200", true}, {"abc", "200", true}, {"404", "404", true},
	} {
		ex := &kafkaspec.DataEx{}
		if tc.status != "" {
			ex.Headers = []kafkaspec.Header{{Name: ":status", Value: []byte(tc.status)}}
		}
		h := replyHead(ex, 0, "zilla:correlation-id")
		if h.Value(":status") != tc.want || h.Has("content-length") != tc.length {
			t.Errorf(":status %q: %v", tc.status, h)
		}
	}
}

func TestRoutePaths(t *testing.T) {
	c, err := compileCondition(&Condition{Method: "GET", Path: "/items/{id}"})
	if err != nil {
		t.Fatal(err)
	}
	q, err := compileCondition(&Condition{Path: "/search?q={q}"})
	if err != nil {
		t.Fatal(err)
	}
	routes := []*route{{conds: []condition{c}, Route: openRoute()}, {conds: []condition{q}, Route: openRoute(), index: 1}}
	for _, tc := range []struct {
		method, path string
		route        int
		params       []param
	}{
		{"GET", "/items/1", 0, []param{{"id", "1"}}},
		{"GET", "/items/1?fields=a", 0, []param{{"id", "1"}}}, // the query is not part of the id
		{"POST", "/items/1", -1, nil},
		{"GET", "/items/", -1, nil},
		{"GET", "/search?q=kafka", 1, []param{{"q", "kafka"}}},
	} {
		r, params := resolveRoute(routes, tc.method, tc.path, 0)
		switch {
		case tc.route < 0 && r != nil:
			t.Errorf("%s %s took route %d", tc.method, tc.path, r.index)
		case tc.route >= 0 && (r == nil || r.index != tc.route || !slices.Equal(params, tc.params)):
			t.Errorf("%s %s: %v %v, want route %d %v", tc.method, tc.path, r, params, tc.route, tc.params)
		}
	}
}

func TestLocationPattern(t *testing.T) {
	tpl, err := CompileTemplate("/items/${params.id};cid=${correlationId}", AllowParams|AllowCorrelationID)
	if err != nil {
		t.Fatal(err)
	}
	lp, err := compileLocation(tpl)
	if err != nil {
		t.Fatal(err)
	}
	cid, params, ok := lp.match("/items/7;cid=k1-0123?x=1")
	if !ok || cid != "k1-0123" || !slices.Equal(params, []param{{"id", "7"}}) {
		t.Errorf("match: %q %v %v", cid, params, ok)
	}
	if _, _, ok := lp.match("/items/7"); ok {
		t.Error("matched a path without the correlation id")
	}
}

func TestNewUUID(t *testing.T) {
	a, b := newUUID(), newUUID()
	if len(a) != 36 || a == b || a[14] != '4' || a[8] != '-' {
		t.Errorf("uuids %q %q", a, b)
	}
}

// openRoute is a route without guards.
func openRoute() *engine.Route { return &engine.Route{Config: &engine.RouteConfig{}} }
