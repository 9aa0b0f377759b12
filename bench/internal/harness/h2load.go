package harness

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/bench/internal/hist"
)

// Load is one h2load measurement.
type Load struct {
	// Conns is the number of connections, one thread driving them.
	Conns int
	// Streams is the concurrent requests per connection; 0 means HTTP/1.1
	// with one request at a time (h2load --h1), otherwise HTTP/2 with
	// prior knowledge (h2c).
	Streams int
	// URL is the request's target.
	URL string
	// Body, when set, is POSTed with this content type.
	Body, ContentType string
	// Requests, when set, sends that many requests instead of running for
	// the scenario's duration (to warm things up).
	Requests int
}

// LoadResult is what h2load measured after its warm-up second.
type LoadResult struct {
	RPS      float64 // requests per second
	P50, P99 float64 // latency, µs
	// CPU is the load generator's own CPU seconds, warm-up included.
	CPU float64
}

// Warmup is the h2load warm-up before each measurement.
const Warmup = time.Second

// H2load runs h2load and returns its rate and latency percentiles. A
// request that fails or is answered other than 2xx fails the scenario.
func (e *Env) H2load(l Load) LoadResult {
	bin, err := exec.LookPath("h2load")
	if err != nil {
		Failf("h2load not found: scripts/deps.sh http installs it")
	}
	logFile := filepath.Join(e.Tmp, "h2load.log")
	os.Remove(logFile)
	args := []string{"-c", strconv.Itoa(l.Conns), "-t", "1", "--log-file", logFile}
	if l.Requests > 0 {
		args = append(args, "-n", strconv.Itoa(l.Requests))
	} else {
		args = append(args, "-D", strconv.Itoa(max(1, int(e.Duration.Seconds()))), "--warm-up-time", strconv.Itoa(int(Warmup.Seconds())))
	}
	if l.Streams == 0 {
		args = append(args, "--h1", "-m", "1")
	} else {
		args = append(args, "-m", strconv.Itoa(l.Streams))
	}
	if l.Body != "" {
		body := filepath.Join(e.Tmp, "h2load.body")
		Check(os.WriteFile(body, []byte(l.Body), 0o644))
		args = append(args, "-d", body, "-H", "content-type: "+l.ContentType)
	}
	args = append(args, l.URL)
	cmd := exec.Command(bin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		Failf("h2load %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	cpu := (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	rps, err := parseH2load(string(out))
	Check(err)
	counts, err := readH2loadLog(logFile)
	Check(err)
	us := func(q float64) float64 { return float64(hist.Quantile(counts, q)) / float64(time.Microsecond) }
	return LoadResult{RPS: rps, P50: us(0.50), P99: us(0.99), CPU: cpu}
}

var (
	h2loadRate     = regexp.MustCompile(`finished in [0-9.]+m?s, ([0-9.]+) req/s`)
	h2loadStatuses = regexp.MustCompile(`status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx`)
	h2loadFailures = regexp.MustCompile(`(\d+) failed, (\d+) errored, (\d+) timeout`)
)

// parseH2load returns the request rate of an h2load report, or an error if
// any request failed or was answered other than 2xx.
func parseH2load(out string) (float64, error) {
	if m := h2loadFailures.FindStringSubmatch(out); m == nil || m[1] != "0" || m[2] != "0" || m[3] != "0" {
		return 0, fmt.Errorf("h2load saw failed requests:\n%s", out)
	}
	if m := h2loadStatuses.FindStringSubmatch(out); m == nil || m[1] == "0" || m[2] != "0" || m[3] != "0" || m[4] != "0" {
		return 0, fmt.Errorf("h2load saw answers other than 2xx:\n%s", out)
	}
	m := h2loadRate.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("h2load output without a rate:\n%s", out)
	}
	return strconv.ParseFloat(m[1], 64)
}

// readH2loadLog reads h2load's per-request log (start time, status,
// duration in µs, tab-separated) into histogram counts.
func readH2loadLog(path string) ([]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var h hist.Histogram
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 {
			continue
		}
		if us, err := strconv.ParseInt(cols[2], 10, 64); err == nil {
			h.Record(time.Duration(us) * time.Microsecond)
		}
	}
	return h.Snapshot(false), sc.Err()
}
