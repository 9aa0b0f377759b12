package spectest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/specs/proxy"
)

func parse(t *testing.T, name, src string) *Script {
	t.Helper()
	s, err := Parse(name, []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"unknown command", "connect \"app://a\"\nsend begin", `x.rpt:2: unknown command "send"`},
		{"no block", "write begin", "x.rpt:1: write before connect or accept"},
		{"bad uri", `connect "http://a"`, `expected app://binding or tcp://host:port`},
		{"bad frame", "connect \"app://a\"\nwrite bogus", `unknown frame "bogus"`},
		{"write regexp", "connect \"app://a\"\nwrite begin\nwrite data /x/", "x.rpt:3: a regular expression can only be read"},
		{"bad json", "connect \"app://a\"\nwrite begin proxy:begin {\"a\": }", "x.rpt:2: invalid JSON"},
		{"ext without type", "connect \"app://a\"\nwrite begin {\"a\": 1}", "expected an extension as protocol:name {json}"},
		{"undefined property", "connect \"tcp://${host}\"", `x.rpt:1: property "host" is not defined`},
		{"unterminated string", "connect \"tcp://a", "x.rpt:1: unterminated string"},
		{"bad flags", "connect \"app://a\"\nwrite begin\nwrite data \"x\" flags start", `unknown flag "start"`},
		{"read close", "connect \"tcp://a:1\"\nread close", "expected read closed or read aborted"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("x.rpt", []byte(c.src), nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestParseMultilineJSONAndProperties(t *testing.T) {
	s, err := Parse("x.rpt", []byte(`
property host "example.com"
connect "app://a" window 100
write begin proxy:begin {
  "infos": {"authority": "${host}"}
}
write data hex:00ff flags init
`), map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	b := s.Blocks[0]
	if b.Window != 100 || len(b.Commands) != 2 {
		t.Fatalf("block %+v", b)
	}
	if !strings.Contains(string(b.Commands[0].Ext.JSON), `"example.com"`) {
		t.Fatalf("property not substituted: %s", b.Commands[0].Ext.JSON)
	}
	if c := b.Commands[1]; c.Line != 7 || string(c.Value.Bytes) != "\x00\xff" || c.Flags != flagInit {
		t.Fatalf("command %+v", c)
	}
}

// A pair that disagrees must fail, naming the script line and both values.
func TestPairMismatch(t *testing.T) {
	cases := []struct{ name, client, server, want string }{
		{"data", `
connect "app://a"
write begin
write data "hello"`, `
accept "app://a"
read begin
read data "hellp"`, `server.rpt:4: read data "hellp": expected "hellp", got "hello"`},
		{"frame type", `
connect "app://a"
write begin
write end`, `
accept "app://a"
read begin
read abort`, "expected abort, got end"},
		{"extension", `
connect "app://a"
write begin proxy:begin {"infos": {"alpn": "h2"}}`, `
accept "app://a"
read begin proxy:begin {"infos": {"alpn": "http/1.1"}}`, "extension proxy:begin differs at .infos.alpn"},
		{"network bytes", `
connect "tcp://x:1"
write "GET /"`, `
accept "tcp://x:1"
read "PUT /"`, `expected "PUT /", got "GET /"`},
		{"network close", `
connect "tcp://x:1"
write "more"
write close`, `
accept "tcp://x:1"
read closed`, `expected the connection closed, got "more"`},
		{"nothing arrives", `
connect "app://a"
write begin`, `
accept "app://a"
read begin
read data "x"`, "nothing received within"},
		{"barrier", `
connect "app://a"
write begin`, `
accept "app://a"
await NEVER`, `barrier "NEVER" was not notified`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := Options{Extensions: Extensions{"proxy": proxy.Extensions}, Timeout: 300 * time.Millisecond}
			err := RunPair(context.Background(), opts, parse(t, "client.rpt", c.client), parse(t, "server.rpt", c.server))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestPairFragmentsToWindow(t *testing.T) {
	client := parse(t, "client.rpt", `
connect "app://a" window 10
write begin
read begin
write data bytes:1000 flags init,fin
read data "0123456789abcdefghij"
write end
read end`)
	server := parse(t, "server.rpt", `
accept "app://a" window 64
read begin
write begin
read data bytes:1000
write data "0123456789abcdefghij"
read end
write end`)
	if err := RunPair(context.Background(), Options{Timeout: time.Second}, client, server); err != nil {
		t.Fatal(err)
	}
}

func TestSubset(t *testing.T) {
	cases := []struct {
		want, got any
		ok        bool
	}{
		{map[string]any{"a": 1.0}, map[string]any{"a": 1.0, "b": 2.0}, true},
		{map[string]any{"a": 1.0}, map[string]any{"a": 2.0}, false},
		{map[string]any{"a": nil}, map[string]any{}, true},
		{[]any{"x", "z"}, []any{"x", "y", "z"}, true},
		{[]any{"z", "x"}, []any{"x", "y", "z"}, false},
		{[]any{map[string]any{"name": ":status"}}, []any{map[string]any{"name": ":status", "value": "200"}}, true},
		{"a", 1.0, false},
	}
	for i, c := range cases {
		if _, ok := subset(c.want, c.got, ""); ok != c.ok {
			t.Errorf("case %d: subset(%v, %v) = %v", i, c.want, c.got, ok)
		}
	}
}

// With padding, each frame costs its payload plus the padding: a payload
// is fragmented to the window less the padding, and empty frames wait for
// credit too.
func TestPairPadding(t *testing.T) {
	client := parse(t, "client.rpt", `
connect "app://a"
write begin
read begin
write data bytes:25
write data empty
write end
read end`)
	server := parse(t, "server.rpt", `
accept "app://a" window 30 padding 10
read begin
write begin
read data bytes:20 flags init
read data /.{5}/ flags fin
read data empty flags init,fin
read end
write end`)
	if err := RunPair(context.Background(), Options{Timeout: time.Second}, client, server); err != nil {
		t.Fatal(err)
	}
}
