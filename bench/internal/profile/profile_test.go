package profile

import (
	"math"
	"strings"
	"testing"
)

const sampleTraces = `File: sluice
Type: cpu
Duration: 24.38s, Total samples = 12650ms (51.89%)
-----------+-------------------------------------------------------
     300ms   internal/runtime/syscall/linux.Syscall6
             syscall.write
             github.com/sluicehq/sluice/bindings/tcp.(*conn).write
             github.com/sluicehq/sluice/engine.(*Executor).drain
-----------+-------------------------------------------------------
     100ms   runtime.mallocgc
             github.com/sluicehq/sluice/bindings/http.parseHead (inline)
             github.com/sluicehq/sluice/bindings/tcp.(*conn).readLoop
-----------+-------------------------------------------------------
      1.5s   runtime.scanobject
             runtime.gcDrain
             runtime.gcBgMarkWorker
-----------+-------------------------------------------------------
     bytes:  64B
    1.50MB   github.com/sluicehq/sluice/engine.(*Engine).open
-----------+-------------------------------------------------------
`

func TestParseTraces(t *testing.T) {
	traces, err := parseTraces(sampleTraces)
	if err != nil {
		t.Fatal(err)
	}
	want := []Trace{
		{0.3, []string{"internal/runtime/syscall/linux.Syscall6", "syscall.write", "github.com/sluicehq/sluice/bindings/tcp.(*conn).write", "github.com/sluicehq/sluice/engine.(*Executor).drain"}},
		{0.1, []string{"runtime.mallocgc", "github.com/sluicehq/sluice/bindings/http.parseHead", "github.com/sluicehq/sluice/bindings/tcp.(*conn).readLoop"}},
		{1.5, []string{"runtime.scanobject", "runtime.gcDrain", "runtime.gcBgMarkWorker"}},
		{1.5, []string{"github.com/sluicehq/sluice/engine.(*Engine).open"}},
	}
	if len(traces) != len(want) {
		t.Fatalf("%d traces, want %d: %+v", len(traces), len(want), traces)
	}
	for i, w := range want {
		g := traces[i]
		if math.Abs(g.Value-w.Value) > 1e-9 || strings.Join(g.Frames, "|") != strings.Join(w.Frames, "|") {
			t.Errorf("trace %d = %+v, want %+v", i, g, w)
		}
	}
	if got := innermostSluice(traces[0].Frames); got != "github.com/sluicehq/sluice/bindings/tcp.(*conn).write" {
		t.Errorf("innermost sluice frame %q", got)
	}
	if got := innermostSluice(traces[2].Frames); got != "" {
		t.Errorf("background GC has sluice frame %q", got)
	}
}

func TestValue(t *testing.T) {
	for in, want := range map[string]float64{"10ms": 0.01, "1.5s": 1.5, "10us": 1e-5, "0": 0, "512MB": 512, "1GB": 1024, "100kB": 100.0 / 1024} {
		if got, err := value(in); err != nil || math.Abs(got-want) > 1e-12 {
			t.Errorf("value(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := value("3 parsecs"); err == nil {
		t.Error("a value with an unknown unit parsed")
	}
}

func TestCategory(t *testing.T) {
	for fn, want := range map[string]string{
		"internal/runtime/syscall/linux.Syscall6": kindSyscalls,
		"syscall.Syscall":                         kindSyscalls,
		"runtime.futex":                           kindSchedule,
		"runtime.asyncPreempt":                    kindSchedule,
		"sync.(*Mutex).Lock":                      kindSchedule,
		"runtime.mallocgc":                        kindAlloc,
		"runtime.(*wbBuf).get2 (inline)":          kindAlloc,
		"runtime.memclrNoHeapPointers":            kindAlloc,
		"runtime.memmove":                         kindCopy,
		"internal/runtime/maps.(*Map).getWithoutKeySmallFastStr": kindMaps,
		"runtime.pcvalue": kindUnwind,
		"github.com/sluicehq/sluice/engine.(*Stream).Send":          "sluice engine",
		"github.com/sluicehq/sluice/bindings/http.(*conn).read":     "sluice bindings/http",
		"github.com/twmb/franz-go/pkg/kgo.(*sink).produce":          "franz-go",
		"internal/poll.(*FD).Read":                                  "net (sockets)",
		"golang.org/x/net/http2/hpack.(*Decoder).parseFieldLiteral": "golang.org/x/net/http2/hpack",
		"hash/crc32.ieeeCLMUL":                                      "hash/crc32",
	} {
		if got := Category(fn); got != want {
			t.Errorf("Category(%s) = %q, want %q", fn, got, want)
		}
	}
}

func TestHint(t *testing.T) {
	if h := Hint("internal/runtime/syscall/linux.Syscall6"); h != hintSyscalls {
		t.Errorf("syscall hint %q", h)
	}
	if h := Hint("github.com/sluicehq/sluice/bindings/sse.(*stream).Receive"); h == "" || h == Hint("strings.Index") {
		t.Errorf("a binding's function gets the generic hint: %q", h)
	}
}
