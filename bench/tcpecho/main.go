// Command tcpecho measures tcp echo through sluice (tcp server -> echo)
// against a plain Go echo server, in the same run, alternating between
// them, and writes the ratios to docs/benchmarks.md.
//
//	go run ./bench/tcpecho -sluice bin/sluice [-conns 64] [-duration 5s] [-runs 3]
//
// Throughput: each connection writes 16 KiB blocks and reads them back,
// keeping up to 256 KiB in flight, for the duration. Latency: each
// connection sends a 64-byte message and waits for it, in a loop; the
// round trips of all connections make the distribution.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/bench/internal/report"
)

func main() {
	serve := flag.String("serve", "", "internal: run the plain Go echo server on this address")
	mode := flag.String("mode", "loop", "internal: plain server mode, loop or splice")
	bin := flag.String("sluice", "bin/sluice", "sluice binary")
	conns := flag.Int("conns", 64, "concurrent connections")
	duration := flag.Duration("duration", 5*time.Second, "duration of each measurement")
	runs := flag.Int("runs", 3, "measurements of each server, alternating")
	out := flag.String("out", "docs/benchmarks.md", "report file")
	flag.Parse()
	if *serve != "" {
		serveEcho(*serve, *mode)
		return
	}

	refAddr, spliceAddr, sluiceAddr := freeAddr(), freeAddr(), freeAddr()
	self, _ := os.Executable()
	ref := startProcess(self, nil, "-serve", refAddr, "-mode", "loop")
	defer stop(ref)
	splice := startProcess(self, nil, "-serve", spliceAddr, "-mode", "splice")
	defer stop(splice)
	waitListening(spliceAddr)
	_, port, _ := net.SplitHostPort(sluiceAddr)
	sl := startProcess(*bin, []string{"TCP_ECHO_PORT=" + port}, "start", "-c", "examples/tcp.echo/zilla.yaml")
	defer stop(sl)
	waitListening(refAddr)
	waitListening(sluiceAddr)

	var refTput, spliceTput, slTput, refP50, slP50, refP99, slP99, refCPU, slCPU []float64
	for i := 0; i < *runs; i++ {
		tput, cpu := measured(ref, func() float64 { return throughput(refAddr, *conns, *duration) })
		refTput, refCPU = append(refTput, tput), append(refCPU, cpu)
		spliceTput = append(spliceTput, throughput(spliceAddr, *conns, *duration))
		tput, cpu = measured(sl, func() float64 { return throughput(sluiceAddr, *conns, *duration) })
		slTput, slCPU = append(slTput, tput), append(slCPU, cpu)
		p50, p99 := latency(refAddr, *conns, *duration)
		refP50, refP99 = append(refP50, p50), append(refP99, p99)
		p50, p99 = latency(sluiceAddr, *conns, *duration)
		slP50, slP99 = append(slP50, p50), append(slP99, p99)
		log.Printf("run %d: throughput loop %.0f MiB/s splice %.0f MiB/s sluice %.0f MiB/s; p99 loop %.0fµs sluice %.0fµs",
			i+1, refTput[i], spliceTput[i], slTput[i], refP99[i], slP99[i])
	}
	ratio := report.Median(slTput) / report.Median(refTput)
	verdict := "meets"
	if ratio < 0.8 {
		verdict = "below"
	}
	body := fmt.Sprintf(`## tcp echo

tcp server -> echo through sluice, against a plain Go echo server in its own process (a goroutine per connection reading into a 32 KiB buffer and writing it back), %d connections, %d alternating runs of %v each; median (spread = (max-min)/median).

| measure | sluice | plain Go | ratio |
| --- | --- | --- | --- |
| throughput, MiB/s (16 KiB blocks, 256 KiB in flight per connection) | %.0f (%.0f%%) | %.0f (%.0f%%) | **%.2f** |
| server CPU seconds per GiB echoed (lower is better) | %.2f | %.2f | %.2f |
| round trip p50, µs (64-byte messages) | %.0f | %.0f | %.2f |
| round trip p99, µs | %.0f | %.0f | %.2f |

Target: throughput at least 0.8 of the plain server's: %s (%.2f). The CPU figure is the steadier one on a shared machine: the load generator runs on the same cores, so throughput moves with whatever else runs.

For scale: the same plain server written with io.Copy echoed %.0f MiB/s (sluice at %.2f of it). On Linux io.Copy between two TCP connections becomes splice(2), which moves the bytes inside the kernel without copying them into the process; no proxy that reads what it forwards can do that, so it is not the reference.

Machine: %s. Date: %s. Command: `+"`go run ./bench/tcpecho -sluice bin/sluice -conns %d -duration %v -runs %d`"+` (part of `+"`make bench`"+`).
`, *conns, *runs, *duration,
		report.Median(slTput), 100*report.Spread(slTput), report.Median(refTput), 100*report.Spread(refTput), ratio,
		report.Median(slCPU), report.Median(refCPU), report.Median(slCPU)/report.Median(refCPU),
		report.Median(slP50), report.Median(refP50), report.Median(slP50)/report.Median(refP50),
		report.Median(slP99), report.Median(refP99), report.Median(slP99)/report.Median(refP99),
		verdict, ratio, report.Median(spliceTput), report.Median(slTput)/report.Median(spliceTput),
		report.Machine(), report.Date(), *conns, *duration, *runs)
	if err := report.WriteSection(*out, "tcp.echo", body); err != nil {
		log.Fatal(err)
	}
	fmt.Print(body)
}

// serveEcho runs a plain Go echo server: a goroutine per connection that
// reads into a 32 KiB buffer and writes it back ("loop"), or io.Copy, which
// Linux turns into splice(2) and so never copies the bytes into the
// process ("splice").
// measured runs a throughput measurement and returns it with the CPU time
// the server process spent per GiB moved (echoed bytes count once).
func measured(server *exec.Cmd, run func() float64) (float64, float64) {
	before := cpuSeconds(server.Process.Pid)
	start := time.Now()
	tput := run()
	elapsed := time.Since(start).Seconds()
	cpu := cpuSeconds(server.Process.Pid) - before
	gib := tput * elapsed / 1024
	if gib == 0 {
		return tput, 0
	}
	return tput, cpu / gib
}

// cpuSeconds reads a process's user+system CPU time from /proc.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// fields after the command name, which is in parentheses
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ is 100 on Linux
}

func serveEcho(addr, mode string) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	for {
		c, err := l.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			defer c.Close()
			if mode == "splice" {
				io.Copy(c, c)
				return
			}
			buf := make([]byte, 32<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					if _, werr := c.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
}

// throughput returns MiB/s echoed by all connections together.
func throughput(addr string, conns int, d time.Duration) float64 {
	const block, inflight = 16 << 10, 256 << 10
	var total atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				log.Fatal(err)
			}
			defer c.Close()
			sem := make(chan struct{}, inflight/block)
			go func() {
				buf := make([]byte, block)
				for ctx.Err() == nil {
					sem <- struct{}{}
					if _, err := c.Write(buf); err != nil {
						return
					}
				}
			}()
			buf := make([]byte, block)
			got := 0
			for ctx.Err() == nil {
				c.SetReadDeadline(time.Now().Add(time.Second))
				n, err := c.Read(buf)
				total.Add(int64(n))
				got += n
				for got >= block {
					got -= block
					<-sem
				}
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(total.Load()) / (1 << 20) / time.Since(start).Seconds()
}

// latency returns p50 and p99 round trips in microseconds.
func latency(addr string, conns int, d time.Duration) (float64, float64) {
	var mu sync.Mutex
	var all []time.Duration
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				log.Fatal(err)
			}
			defer c.Close()
			msg, buf := make([]byte, 64), make([]byte, 64)
			var mine []time.Duration
			for ctx.Err() == nil {
				t0 := time.Now()
				c.Write(msg)
				if _, err := io.ReadFull(c, buf); err != nil {
					break
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(all)
	us := func(p float64) float64 { return float64(report.Percentile(all, p)) / float64(time.Microsecond) }
	return us(50), us(99)
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startProcess(path string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	logFile, _ := os.CreateTemp("", filepath.Base(path)+"-*.log")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		log.Fatalf("start %s: %v", path, err)
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
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	log.Fatalf("nothing listens on %s", addr)
}
