// Package quickstart holds the scenarios about a process rather than a
// load: the resident memory of examples/quickstart idle (and with idle
// event-source clients), and the start-up time to the first accepted
// connection of tcp.echo and the quickstart, each against a plain Go
// program doing the same job (bench/plain).
package quickstart

import (
	"bufio"
	"cmp"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/bench/internal/harness"
	"github.com/sluicehq/sluice/bench/internal/report"
	// The types of the standard build, so that the configuration loads
	// here against the same schema as in sluice.
	_ "github.com/sluicehq/sluice/cmd/sluice/standard"
	"github.com/sluicehq/sluice/engine"
)

// Config is the quickstart's configuration, as `make run` runs it.
const Config = "examples/quickstart/zilla.yaml"

// Topic is the quickstart's topic, named in its configuration.
const Topic = "items"

// SSEClients is how many idle event-source clients the memory scenario
// opens.
const SSEClients = 1000

// Idle is quickstart.idle.
var Idle = harness.Scenario{
	Name:    "quickstart.idle",
	About:   "resident memory of the quickstart idle and with 1,000 idle SSE clients, against net/http + franz-go",
	Kafka:   true,
	Default: true,
	Run:     runIdle,
}

// Startup is startup.
var Startup = harness.Scenario{
	Name:    "startup",
	About:   "time from process start to the first accepted connection: tcp.echo and the quickstart, against plain Go",
	Kafka:   true,
	Default: true,
	Run:     runStartup,
}

// sides are the ways a quickstart process is started.
type sides struct {
	env         *harness.Env
	port        string
	metricsPort string // the quickstart's prometheus exporter
}

// sluice starts the quickstart on the scenario's Kafka.
func (s sides) sluice() *harness.Proc {
	return s.env.StartSluice(harness.SluiceSpec{Config: Config, Env: []string{"HTTP_PORT=" + s.port, "METRICS_PORT=" + s.metricsPort, "KAFKA_BOOTSTRAP_SERVERS=" + s.env.Kafka}})
}

// embedded starts the quickstart as `make run` does, on its embedded
// broker, with fresh data.
func (s sides) embedded() *harness.Proc {
	dir, err := os.MkdirTemp(s.env.Tmp, "embedded-kafka-")
	harness.Check(err)
	return s.env.StartSluice(harness.SluiceSpec{Config: Config, Env: []string{"HTTP_PORT=" + s.port, "METRICS_PORT=" + s.metricsPort},
		Args: []string{"--embedded-kafka", dir, "--embedded-kafka-address", "127.0.0.1:0"}})
}

// plain starts the plain Go service doing the quickstart's job.
func (s sides) plain() *harness.Proc {
	return s.env.StartPlain(nil, "quickstart", "127.0.0.1:"+s.port, s.env.Kafka, Topic)
}

func newSides(env *harness.Env) sides {
	env.CreateTopics(harness.Topic{Name: Topic, Partitions: 1, Compact: true, Shared: true})
	return sides{env: env, port: strconv.Itoa(harness.FreePort()), metricsPort: strconv.Itoa(harness.FreePort())}
}

func (s sides) addr() string { return "127.0.0.1:" + s.port }

func runIdle(env *harness.Env) *report.Scenario {
	s := newSides(env)
	idle := report.Measure{Key: "idle RSS", Label: "Resident memory, idle", Unit: "MiB", Lower: true, Digits: 1}
	perClient := report.Measure{Key: "per SSE client", Label: fmt.Sprintf("Resident memory per idle SSE client (%d clients on /events/items)", SSEClients),
		Unit: "KiB", Lower: true, Digits: 1}
	embedded := report.Measure{Key: "make run, idle", Label: "Resident memory, idle, as `make run` runs it (with its embedded broker)", Unit: "MiB", Lower: true, Digits: 1}
	measure := func(p *harness.Proc, m ...*[]float64) {
		p.WaitListening(s.addr())
		time.Sleep(2 * time.Second) // the cache bootstraps its topic
		before := p.RSS()
		*m[0] = append(*m[0], float64(before)/(1<<20))
		if len(m) > 1 {
			clients := openEventSources(s.addr(), "/events/items", SSEClients)
			time.Sleep(time.Second)
			*m[1] = append(*m[1], float64(p.RSS()-before)/SSEClients/1024)
			for _, c := range clients {
				c.Close()
			}
		}
		p.Stop()
	}
	for i := range env.Runs {
		harness.Alternate(i, func() { measure(s.plain(), &idle.Reference, &perClient.Reference) },
			func() { measure(s.sluice(), &idle.Sluice, &perClient.Sluice) })
		measure(s.embedded(), &embedded.Sluice)
		env.Logf("run %d: idle sluice %.1f MiB, plain %.1f MiB, make run %.1f MiB; per SSE client sluice %.1f KiB, plain %.1f KiB",
			i+1, idle.Sluice[i], idle.Reference[i], embedded.Sluice[i], perClient.Sluice[i], perClient.Reference[i])
	}
	return &report.Scenario{
		Name:      "quickstart.idle",
		Title:     "Idle memory of the quickstart",
		Reference: "net/http + franz-go",
		Setup: fmt.Sprintf("VmRSS from /proc of examples/quickstart/zilla.yaml (REST and SSE over the items topic, and a prometheus "+
			"exporter on its own port, which the reference does not have) started with `sluice start` "+
			"on the run's Kafka, 2 s after it listens, nothing connected; then with %d event-source clients connected to "+
			"/events/items and idle. Reference: the same job as a plain Go service (bench/plain: net/http, one franz-go client "+
			"producing and consuming the topic into an in-memory table, a goroutine and channel per event-source client). Also "+
			"measured, with no reference: the quickstart as `make run` runs it, with its embedded Kafka-compatible broker in the "+
			"same process.", SSEClients),
		Measures: []report.Measure{idle, perClient, embedded},
		Notes:    []string{"No target was set for idle memory; sse.10k's target for an idle event-source client is under 20 KB."},
	}
}

func runStartup(env *harness.Env) *report.Scenario {
	s := newSides(env)
	starts := max(5, env.Runs)
	echo := report.Measure{Key: "tcp.echo", Label: "examples/tcp.echo, start to first accepted connection", Unit: "ms", Lower: true, Digits: 1}
	qs := report.Measure{Key: "quickstart", Label: "examples/quickstart on Kafka, start to first accepted connection", Unit: "ms", Lower: true, Digits: 1}
	embedded := report.Measure{Key: "make run", Label: "examples/quickstart as `make run` runs it (embedded broker, fresh data)", Unit: "ms", Lower: true, Digits: 1}
	echoAddr := harness.FreeAddr()
	_, echoPort, _ := net.SplitHostPort(echoAddr)
	for i := range starts {
		harness.Alternate(i, func() {
			echo.Reference = append(echo.Reference, timeToAccept(echoAddr, func() *harness.Proc { return env.StartPlain(nil, "echo", echoAddr, "loop") }))
		}, func() {
			echo.Sluice = append(echo.Sluice, timeToAccept(echoAddr, func() *harness.Proc {
				return env.StartSluice(harness.SluiceSpec{Config: "examples/tcp.echo/zilla.yaml", Env: []string{"TCP_ECHO_PORT=" + echoPort}})
			}))
		})
		harness.Alternate(i, func() { qs.Reference = append(qs.Reference, timeToAccept(s.addr(), s.plain)) },
			func() { qs.Sluice = append(qs.Sluice, timeToAccept(s.addr(), s.sluice)) })
		embedded.Sluice = append(embedded.Sluice, timeToAccept(s.addr(), s.embedded))
		env.Logf("start %d: tcp.echo sluice %.1f ms, plain %.1f ms; quickstart sluice %.1f ms, plain %.1f ms, make run %.1f ms",
			i+1, echo.Sluice[i], echo.Reference[i], qs.Sluice[i], qs.Reference[i], embedded.Sluice[i])
	}
	parts := startupParts(env, starts, echoPort)
	return &report.Scenario{
		Name:      "startup",
		Title:     "Start-up time",
		Reference: "plain Go",
		Setup: fmt.Sprintf("From starting the process to the first TCP connection it accepts (this program connects every 0.5 ms "+
			"until one succeeds), %d starts of each, taking turns: `sluice start` with examples/tcp.echo against a plain Go echo "+
			"server (bench/plain), and with examples/quickstart on the run's Kafka against the plain Go service doing the "+
			"quickstart's job. Also measured, with no reference: the quickstart as `make run` starts it, with its embedded broker "+
			"and fresh data.", starts),
		Measures: []report.Measure{echo, qs, embedded},
		Notes: []string{"No target was set for start-up. The plain programs listen first thing; sluice first reads, checks and " +
			"builds its configuration. " + parts},
	}
}

// startupParts measures where sluice's start-up goes: running `sluice
// version` (starting the process and its package initializers), `sluice
// validate` (the same plus reading, checking against the JSON Schema and
// building the configuration), and the initializers' own report
// (GODEBUG=inittrace=1).
func startupParts(env *harness.Env, starts int, echoPort string) string {
	var version, validate []float64
	for range starts {
		version = append(version, timeCommand(env, nil, "version"))
		validate = append(validate, timeCommand(env, []string{"TCP_ECHO_PORT=" + echoPort}, "validate", "-c", "examples/tcp.echo/zilla.yaml"))
	}
	cmd := exec.Command(env.Sluice, "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, _ := cmd.CombinedOutput()
	total, top := initTrace(string(out))
	var tops []string
	for _, t := range top[:min(3, len(top))] {
		tops = append(tops, fmt.Sprintf("%s %.1f ms", t.pkg, t.ms))
	}
	compile, load := configCost(echoPort)
	return fmt.Sprintf("Where sluice's time goes, measured the same way (medians of %d): `sluice version` (starting the process "+
		"and running its package initializers, then exiting) takes %.1f ms, of which the initializers report %.1f ms, the most "+
		"in %s; `sluice validate -c examples/tcp.echo/zilla.yaml` (the same, plus reading the configuration, checking it against "+
		"the JSON Schema composed from the fragments of the types it uses, and building it) takes %.1f ms. In this process, "+
		"with the same types registered, compiling that schema (once per process and set of types) took %.1f ms and loading "+
		"the configuration with the schema compiled %.1f ms. What is left is mostly the JSON Schema library's own "+
		"initializer, which compiles its meta-schemas whether or not anything is validated: a library that did so lazily, "+
		"or a schema compiled once per build rather than at every start, would shorten it.", starts, report.Median(version), total, strings.Join(tops, ", "),
		report.Median(validate), compile, load)
}

// configCost loads examples/tcp.echo in this process twice and returns,
// in ms, what the first load cost beyond the second (compiling the JSON
// Schema of its types, done once per process) and the second load.
func configCost(echoPort string) (float64, float64) {
	env := engine.WithEnv(func(name string) (string, bool) {
		if name == "TCP_ECHO_PORT" {
			return echoPort, true
		}
		return os.LookupEnv(name)
	})
	t0 := time.Now()
	_, err := engine.Load("examples/tcp.echo/zilla.yaml", env)
	harness.Check(err)
	t1 := time.Now()
	_, err = engine.Load("examples/tcp.echo/zilla.yaml", env)
	harness.Check(err)
	t2 := time.Now()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return ms(t1.Sub(t0) - t2.Sub(t1)), ms(t2.Sub(t1))
}

// timeCommand runs sluice to completion and returns its wall time in ms.
func timeCommand(env *harness.Env, vars []string, args ...string) float64 {
	cmd := exec.Command(env.Sluice, args...)
	cmd.Env = append(os.Environ(), vars...)
	t0 := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		harness.Failf("sluice %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return float64(time.Since(t0)) / float64(time.Millisecond)
}

type initCost struct {
	pkg string
	ms  float64
}

// initTrace reads GODEBUG=inittrace=1 lines ("init PKG @T ms, D ms clock,
// ...") into the total and the costliest packages.
func initTrace(out string) (float64, []initCost) {
	var total float64
	var costs []initCost
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[0] != "init" || f[5] != "ms" {
			continue
		}
		ms, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			continue
		}
		total += ms
		costs = append(costs, initCost{pkg: f[1], ms: ms})
	}
	slices.SortFunc(costs, func(a, b initCost) int { return cmp.Compare(b.ms, a.ms) })
	return total, costs
}

// timeToAccept starts a process and returns how long, in milliseconds,
// until it accepts a connection on addr; then it stops the process.
func timeToAccept(addr string, start func() *harness.Proc) float64 {
	t0 := time.Now()
	p := start()
	defer p.Stop()
	for time.Since(t0) < 60*time.Second {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			elapsed := time.Since(t0)
			c.Close()
			return float64(elapsed) / float64(time.Millisecond)
		}
		if p.Exited() {
			harness.Failf("%s ended before listening on %s: %s", p.Name, addr, p.Tail())
		}
		time.Sleep(500 * time.Microsecond)
	}
	harness.Failf("%s does not listen on %s after a minute: %s", p.Name, addr, p.Tail())
	return 0
}

// openEventSources opens n event-source clients of path and returns them
// once each has its response head.
func openEventSources(addr, path string, n int) []net.Conn {
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		harness.Check(err)
		conns = append(conns, c)
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n", path)
	}
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		status, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || !strings.HasPrefix(status, "HTTP/1.1 200") {
			harness.Failf("event source %s: %q %v", path, status, err)
		}
		c.SetReadDeadline(time.Time{})
	}
	return conns
}
