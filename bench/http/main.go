// Command http measures the http.echo pipeline (tcp server -> http server
// -> echo) through sluice with h2load, against a plain Go net/http server
// answering the same bytes, in the same run, alternating between them, and
// writes the figures to docs/benchmarks.md.
//
//	go run ./bench/http -sluice bin/sluice [-conns 64] [-streams 10] [-duration 5s] [-runs 3]
//
// For HTTP/1.1 (h2load --h1) each of the connections carries one request
// at a time; for HTTP/2 (h2c with prior knowledge) each carries -streams
// concurrent streams. Requests are GET /echo; the echo answers 200 with the
// request's regular headers and an empty body, and so does the plain
// server (net/http with HTTP/1.1 and unencrypted HTTP/2 enabled). Latency percentiles come from h2load's per-request log.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/bench/internal/report"
)

func main() {
	serve := flag.String("serve", "", "internal: run the plain Go server on this address")
	bin := flag.String("sluice", "bin/sluice", "sluice binary")
	conns := flag.Int("conns", 64, "concurrent connections")
	streams := flag.Int("streams", 10, "concurrent streams per HTTP/2 connection")
	duration := flag.Duration("duration", 5*time.Second, "duration of each measurement")
	runs := flag.Int("runs", 3, "measurements of each server and version, alternating")
	out := flag.String("out", "docs/benchmarks.md", "report file")
	flag.Parse()
	if *serve != "" {
		servePlain(*serve)
		return
	}
	h2load, err := exec.LookPath("h2load")
	if err != nil {
		log.Fatal("h2load not found: scripts/deps.sh http installs it")
	}

	refAddr, sluiceAddr := freeAddr(), freeAddr()
	self, _ := os.Executable()
	ref := startProcess(self, nil, "-serve", refAddr)
	defer stop(ref)
	_, port, _ := net.SplitHostPort(sluiceAddr)
	sl := startProcess(*bin, []string{"HTTP_PORT=" + port}, "start", "-c", "bench/http/zilla.yaml")
	defer stop(sl)
	waitListening(refAddr)
	waitListening(sluiceAddr)

	type figures struct{ rps, p50, p99, cpu []float64 }
	results := map[string]*figures{}
	for _, k := range []string{"sluice h1", "plain h1", "sluice h2", "plain h2"} {
		results[k] = &figures{}
	}
	tmp, err := os.MkdirTemp("", "sluice-bench-http")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	for i := 0; i < *runs; i++ {
		for _, version := range []string{"h1", "h2"} {
			for _, server := range []struct {
				name string
				addr string
				proc *exec.Cmd
			}{{"sluice", sluiceAddr, sl}, {"plain", refAddr, ref}} {
				args := []string{"-c", strconv.Itoa(*conns), "-t", "1", "-D", strconv.Itoa(int(duration.Seconds())),
					"--warm-up-time", "1", "--log-file", filepath.Join(tmp, "log")}
				if version == "h1" {
					args = append(args, "--h1", "-m", "1")
				} else {
					args = append(args, "-m", strconv.Itoa(*streams))
				}
				args = append(args, "http://"+server.addr+"/echo")
				before := cpuSeconds(server.proc.Process.Pid)
				rps, p50, p99 := runH2load(h2load, args, filepath.Join(tmp, "log"))
				cpu := cpuSeconds(server.proc.Process.Pid) - before
				f := results[server.name+" "+version]
				f.rps, f.p50, f.p99 = append(f.rps, rps), append(f.p50, p50), append(f.p99, p99)
				// CPU time per 10k requests, over the warm-up and the measurement.
				f.cpu = append(f.cpu, cpu/(rps*(duration.Seconds()+1))*10000)
				log.Printf("run %d %s %s: %.0f req/s, p50 %.0fµs, p99 %.0fµs", i+1, server.name, version, rps, p50, p99)
			}
		}
	}

	var rows strings.Builder
	verdicts := []string{}
	for _, v := range []struct{ key, label string }{{"h1", "HTTP/1.1"}, {"h2", "HTTP/2 (h2c)"}} {
		s, p := results["sluice "+v.key], results["plain "+v.key]
		ratio := report.Median(s.rps) / report.Median(p.rps)
		fmt.Fprintf(&rows, "| %s requests/s | %.0f (%.0f%%) | %.0f (%.0f%%) | **%.2f** |\n", v.label,
			report.Median(s.rps), 100*report.Spread(s.rps), report.Median(p.rps), 100*report.Spread(p.rps), ratio)
		fmt.Fprintf(&rows, "| %s p50 latency, µs | %.0f | %.0f | %.2f |\n", v.label,
			report.Median(s.p50), report.Median(p.p50), report.Median(s.p50)/report.Median(p.p50))
		fmt.Fprintf(&rows, "| %s p99 latency, µs | %.0f | %.0f | %.2f |\n", v.label,
			report.Median(s.p99), report.Median(p.p99), report.Median(s.p99)/report.Median(p.p99))
		fmt.Fprintf(&rows, "| %s server CPU seconds per 10k requests | %.3f | %.3f | %.2f |\n", v.label,
			report.Median(s.cpu), report.Median(p.cpu), report.Median(s.cpu)/report.Median(p.cpu))
		verdict := "meets"
		if ratio < 0.7 {
			verdict = "below"
		}
		verdicts = append(verdicts, fmt.Sprintf("%s %s (%.2f)", v.label, verdict, ratio))
	}
	body := fmt.Sprintf(`## http echo

tcp server -> http server -> echo through sluice (bench/http/zilla.yaml), against a plain Go net/http server in its own process answering the same bytes (200, the request's headers mirrored, empty body; net/http's own unencrypted HTTP/2 for h2c). h2load, one thread, %d connections, GET /echo; HTTP/1.1 one request at a time per connection, HTTP/2 %d concurrent streams per connection; %d alternating runs of %v each after a 1 s warm-up; median (spread = (max-min)/median).

| measure | sluice | plain Go | ratio |
| --- | --- | --- | --- |
%s
Target: requests per second at least 0.7 of the plain server's: %s. h2load runs on the same cores as the servers, so absolute figures move with the machine's load; the ratios and the CPU per request are the steadier figures.

Machine: %s. Date: %s. Command: `+"`go run ./bench/http -sluice bin/sluice -conns %d -streams %d -duration %v -runs %d`"+` (part of `+"`make bench`"+`).
`, *conns, *streams, *runs, *duration, rows.String(), strings.Join(verdicts, "; "),
		report.Machine(), report.Date(), *conns, *streams, *duration, *runs)
	if err := report.WriteSection(*out, "http.echo", body); err != nil {
		log.Fatal(err)
	}
	fmt.Print(body)
}

var finished = regexp.MustCompile(`finished in [0-9.]+m?s, ([0-9.]+) req/s`)

// runH2load runs h2load and returns requests per second and the p50 and
// p99 latencies in microseconds from its per-request log.
func runH2load(h2load string, args []string, logFile string) (rps, p50, p99 float64) {
	out, err := exec.Command(h2load, args...).CombinedOutput()
	if err != nil {
		log.Fatalf("h2load %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	m := finished.FindSubmatch(out)
	if m == nil {
		log.Fatalf("h2load output without a rate:\n%s", out)
	}
	if !strings.Contains(string(out), " 0 failed, 0 errored") {
		log.Fatalf("h2load saw failed requests:\n%s", out)
	}
	rps, _ = strconv.ParseFloat(string(m[1]), 64)
	f, err := os.Open(logFile)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	var lat []time.Duration
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 {
			continue
		}
		us, err := strconv.ParseInt(cols[2], 10, 64)
		if err == nil {
			lat = append(lat, time.Duration(us)*time.Microsecond)
		}
	}
	slices.Sort(lat)
	return rps, float64(report.Percentile(lat, 0.50).Microseconds()), float64(report.Percentile(lat, 0.99).Microseconds())
}

// servePlain answers every request the way the http.echo pipeline does:
// 200, the request's headers (Host aside) as response headers, and the
// request body as the response body, over HTTP/1.1 and h2c.
func servePlain(addr string) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range r.Header {
			w.Header()[k] = v
		}
		if r.ContentLength > 0 {
			w.Header().Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
		}
		w.WriteHeader(http.StatusOK)
		io.Copy(w, r.Body)
	})
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{Addr: addr, Handler: h, Protocols: &protocols}
	log.Fatal(srv.ListenAndServe())
}

// cpuSeconds reads a process's user+system CPU time from /proc.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ is 100 on Linux
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startProcess(bin string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		log.Fatalf("%s: %v", bin, err)
	}
	return cmd
}

func stop(cmd *exec.Cmd) {
	cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
	}
}

func waitListening(addr string) {
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	log.Fatalf("nothing listens on %s", addr)
}
