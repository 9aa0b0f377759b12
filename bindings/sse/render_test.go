package sse

import (
	"testing"
	"time"

	ssespec "github.com/sluicehq/sluice/specs/sse"
)

func TestAppendLines(t *testing.T) {
	for _, c := range []struct {
		frags []string
		want  string
	}{
		{[]string{"a"}, "a"},
		{[]string{"a\nb"}, "a\ndata:b"},
		{[]string{"a\r\nb\rc\n"}, "a\ndata:b\ndata:c\ndata:"},
		{[]string{"a\r", "\nb"}, "a\ndata:b"},
		{[]string{"a\r", "b"}, "a\ndata:b"},
		{[]string{"a\r", "", "\n"}, "a\ndata:"},
		{[]string{"\n\n"}, "\ndata:\ndata:"},
	} {
		var b []byte
		cr := false
		for _, f := range c.frags {
			b, cr = appendLines(b, []byte(f), cr)
		}
		if string(b) != c.want {
			t.Errorf("%q: got %q, want %q", c.frags, b, c.want)
		}
	}
}

func TestAppendHeader(t *testing.T) {
	ts := time.UnixMilli(0x18d001e4400)
	got := string(appendHeader(nil, &ssespec.DataEx{ID: "a\nb", Type: "t\r", Timestamp: ts}, true))
	if want := "timestamp:0x18d001e4400\nid:ab\nevent:t\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := string(appendHeader(nil, &ssespec.DataEx{ID: "1", Timestamp: ts}, false)); got != "id:1\n" {
		t.Errorf("without timestamps: %q", got)
	}
}

func TestRequestParsing(t *testing.T) {
	for _, c := range []struct {
		accept string
		ok     bool
	}{
		{"text/event-stream", true},
		{"text/event-stream;ext=timestamp", true},
		{"application/json, text/*;q=0.5", true},
		{"*/*", true},
		{"application/json", false},
		{"text/event-stream;q=0, application/json", false},
		{"TEXT/EVENT-STREAM", true},
	} {
		if got := acceptsEventStream(c.accept); got != c.ok {
			t.Errorf("accept %q: %v", c.accept, got)
		}
	}
	for _, c := range []struct{ query, want string }{
		{"lastEventId=abc", "abc"},
		{"x=1&lastEventId=a%2Fb%3D&lastEventId=no", "a/b="},
		{"lastEventIdx=1", ""},
		{"lastEventId=%zz", "%zz"},
	} {
		if got, _ := queryParam(c.query, "lastEventId"); got != c.want {
			t.Errorf("query %q: %q, want %q", c.query, got, c.want)
		}
	}
}
