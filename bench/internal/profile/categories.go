package profile

import (
	"strings"
)

const module = "github.com/sluicehq/sluice/"

// Kinds of work the Go runtime does on a program's behalf.
const (
	kindSyscalls = "system calls"
	kindSchedule = "scheduling and wake-ups"
	kindAlloc    = "allocation and GC"
	kindCopy     = "copying memory"
	kindMaps     = "Go maps"
	kindUnwind   = "stack unwinding (panics, defers, profiling)"
	kindRuntime  = "other Go runtime"
)

// runtimeKinds sort the runtime's functions (package runtime and
// internal/runtime/...) by words in their names; the first match wins.
var runtimeKinds = []struct {
	kind  string
	words []string
}{
	{kindSyscalls, []string{"runtime/syscall", "runtime/internal/syscall"}},
	{kindCopy, []string{"memmove", "memequal"}},
	{kindMaps, []string{"runtime/maps", "runtime.map"}},
	{kindUnwind, []string{"pcvalue", ".step", "findfunc", "funcInfo", "unwinder", "callers", "traceback", "_panic", "gorecover",
		"deferreturn", "sigprof", "funcdata", "pcdatavalue", "readvarint"}},
	{kindAlloc, []string{"malloc", "newobject", "makeslice", "growslice", "mcache", "mcentral", "mheap", "mspan", "span", "Span",
		"gc", "GC", "scan", "greyobject", "findObject", "mark", "Mark", "sweep", "Sweep", "heap", "Heap", "wbBuf", "wbMove",
		"bulkBarrier", "memclr", "Bits", "palloc", "fixalloc", "arena", "Arena", "sizeclass", "roundupsize", "getMCache",
		"scaveng", "madvise", "sysUnused", "sysUsed", "typePointers", "nextFree", "deductAssist", "profilealloc", "mProf",
		"tryDefer", "pageAlloc", "pallocSum", "spanSet", "wbZero", "typedmemclr", "typedslicecopy", "releaseAll", "stkframe"}},
	{kindSchedule, []string{"futex", "epoll", "netpoll", "sched", "runq", "park", "ready", "lock", "sema", "chan", "select",
		"timer", "Timer", "sleep", "wake", "spinning", "reempt", "mcall", "gogo", "execute", "newproc", "gfget", "gfput",
		"startm", "stopm", "handoffp", "acquirep", "releasep", "syscall", "osyield", "procyield", "nanotime", "walltime",
		"cputicks", "mstart", "morestack", "newstack", "copystack", "stackfree", "stackalloc", "dropg", "SystemGoroutine",
		"goexit", "sysmon", "retake", "signal", "sigtramp", "sighandler", "tgkill", "casgstatus", "findRunnable", "stealWork",
		"pidle", "injectglist", "gList", "guintptr", "goyield", "gosched", "notesleep", "notewakeup", "releasem", "acquirem",
		"checkTimers", "Goroutine", "waitq", "lfstack"}},
}

// Category says what kind of work a function is: a kind of runtime work
// for the Go runtime (and system calls from package syscall), otherwise
// its package (sluice's own by their path in the module).
func Category(fn string) string {
	pkg := Package(fn)
	switch {
	case pkg == "syscall" || pkg == "golang.org/x/sys/unix":
		return kindSyscalls
	case pkg == "sync" || pkg == "internal/sync" || pkg == "sync/atomic":
		return kindSchedule
	case pkg == "runtime" || strings.HasPrefix(pkg, "internal/runtime") || strings.HasPrefix(pkg, "runtime/"):
		for _, k := range runtimeKinds {
			for _, w := range k.words {
				if strings.Contains(fn, w) {
					return k.kind
				}
			}
		}
		return kindRuntime
	case strings.HasPrefix(pkg, module):
		return "sluice " + strings.TrimPrefix(pkg, module)
	case strings.HasPrefix(pkg, "github.com/twmb/franz-go"):
		return "franz-go"
	case pkg == "net" || strings.HasPrefix(pkg, "internal/poll"):
		return "net (sockets)"
	}
	return pkg
}

// Package returns a function symbol's package path: up to the first dot
// after the last slash.
func Package(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	dot := strings.IndexByte(fn[slash+1:], '.')
	if dot < 0 {
		return fn
	}
	return fn[:slash+1+dot]
}

const (
	hintSyscalls = "System calls, mostly socket reads and writes. An HTTP/1.1 exchange through sluice costs one read for the request " +
		"and one write for the whole response, head and body together (checked with strace), the least there can be with one " +
		"request at a time per connection; on loopback a write also runs the receiving socket's TCP processing and wakes its " +
		"reader, so part of this time is delivery to the peer. Fewer would take clients that pipeline or multiplex (HTTP/2), " +
		"whose queued output the tcp writer already sends with one writev."
	hintPoller = "The network poller: goroutines parked on sockets and woken by epoll; fewer, fuller reads and writes mean fewer wake-ups."
	hintScan   = "The garbage collector scanning objects: fewer allocations per request, and fewer pointers in long-lived ones, mean less of it."
	hintNet    = "The net package around socket reads and writes: fewer, larger reads and writes."
)

// hints say what could be done about time spent in a function, by prefix
// of its name or its category; the first match wins.
var hints = []struct{ prefix, hint string }{
	{"internal/runtime/syscall", hintSyscalls},
	{"syscall.", hintSyscalls},
	{"runtime.futex", "Threads sleeping and waking (futex): work handed from one goroutine to another wakes a thread each time; doing more per hand-off (several frames per Execute, a connection's reads and its stream on one executor) wakes fewer."},
	{"runtime.epoll", hintPoller},
	{"runtime.netpoll", hintPoller},
	{"runtime.memmove", "Copying bytes: payloads copied between buffers; handing buffers along (ownership passing with the frame) instead of copying them saves it."},
	{"runtime.memclr", "Clearing fresh memory: buffers allocated per message; pooling them (sync.Pool, buffers owned by the caller) saves both the allocation and the clearing."},
	{"runtime.mallocgc", "Allocation: objects made per request or per frame; the allocation profile names the sites, and pooling or reusing them also lightens the garbage collector."},
	{"runtime.gc", "The garbage collector marking the heap: fewer allocations per request (see the allocation profile) mean fewer collections."},
	{"runtime.scan", hintScan},
	{"runtime.findObject", hintScan},
	{"runtime.selectgo", "Channel selects: goroutines coordinating through channels per message; a callback onto the executor, or batching, avoids a select per message."},
	{"runtime.chan", "Channel operations per message: batching or a direct call on the executor avoids them."},
	{"runtime.lock", "Runtime locks, mostly around the scheduler and timers: fewer goroutine hand-offs and timers per request."},
	{"runtime.nanotime", "Reading the clock: timers and deadlines set per request; setting them per batch, or once per connection, reads it less."},
	{"hash/crc32", "Kafka record batch checksums (CRC-32C), one batch per produce request when nothing lingers: more records per batch (a small linger) would amortize it."},
	{"github.com/twmb/franz-go", "The Kafka client (franz-go) building and reading requests: more records per produce request, or fewer fetches, mean less of it."},
	{"github.com/sluicehq/sluice/engine", "Stream frame delivery in the engine (executors, windows, frames): fewer frames per exchange, or cheaper delivery of each, would save it."},
	{"github.com/sluicehq/sluice/bindings/http", "The http binding parsing and writing HTTP: parsing in place, and writing a response head and its body in one write, would save it."},
	{"github.com/sluicehq/sluice/bindings/kafka", "The kafka binding (produce streams, cache and client): `go tool pprof -list` on the saved profile shows which of its functions and lines."},
	{"github.com/sluicehq/sluice/bindings/", "A binding's own code: `go tool pprof -list FUNCTION` on the saved profile shows its lines."},
	{"net.", hintNet},
	{"internal/poll.", hintNet},
}

// kindHints say what could be done about a kind of runtime work.
var kindHints = map[string]string{
	kindSyscalls: hintSyscalls,
	kindSchedule: "Threads sleeping and waking (futex, the network poller): work handed from one goroutine to another wakes a thread each time; doing more per hand-off (several frames per Execute, a connection's reads and its stream on one executor) wakes fewer.",
	kindAlloc:    "Allocation and the garbage collector it drives: the sites named allocate the most bytes; reusing those objects per connection, or pooling them (sync.Pool, buffers owned by the caller), would cut both the allocation and the collector's marking and sweeping.",
	kindCopy:     "Copying bytes between buffers: handing a buffer along with its frame (ownership passes with the frame) instead of copying it saves it.",
	kindMaps:     "Map lookups and inserts per message: a field or a slice indexed by a small number instead of a map on the hot path would save them.",
	kindUnwind:   "Walking stacks: recovered panics or deferred calls on the hot path, stack growth, or the profiler itself (it walks a stack per sample).",
}

// allocHints say what could be done about a site that allocates much,
// where it was looked into.
var allocHints = []struct{ prefix, hint string }{
	{module + "engine.(*Engine).open", "`engine.(*Engine).open` allocates each new stream's two endpoints and their state: " +
		"one stream per request is the price of the stream model; a pool of stream records, reset on release, would make it " +
		"one allocation per concurrent stream instead of one per request."},
	{module + "bindings/http.parseHead", "`bindings/http.parseHead` makes four allocations per request " +
		"(TestParseHeadAllocations pins them): the head, its header list, one string of the head's text that every value " +
		"is sliced from, and the lower-case form of a name outside the common set; what is left to save is a header list " +
		"reused per connection, which would then have to be copied for any stream that outlives the request."},
}

// AllocHint says what could be done about a site that allocates much, or
// "" when nothing specific is known.
func AllocHint(fn string) string {
	for _, h := range allocHints {
		if strings.HasPrefix(fn, h.prefix) {
			return h.hint
		}
	}
	return ""
}

// KindHint says what could be done about a kind of work, whose function
// with the most time of its own is top.
func KindHint(kind, top string) string {
	if h, ok := kindHints[kind]; ok {
		return h
	}
	if pkg, ok := strings.CutPrefix(kind, "sluice "); ok {
		return Hint(module + pkg + ".")
	}
	return Hint(top)
}

// Hint says what could be done about time spent in a function.
func Hint(fn string) string {
	for _, h := range hints {
		if strings.HasPrefix(fn, h.prefix) {
			return h.hint
		}
	}
	if h, ok := kindHints[Category(fn)]; ok {
		return h
	}
	return "Outside sluice: `go tool pprof -peek` on the saved profile shows which sluice code calls it."
}
