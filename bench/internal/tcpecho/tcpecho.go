// Package tcpecho is the tcp.echo scenario: tcp server -> echo through
// sluice (examples/tcp.echo) against a plain Go echo server in its own
// process, throughput and round trips, alternating.
//
// Throughput: each connection writes 16 KiB blocks and reads them back,
// keeping up to 256 KiB in flight, for the duration. Latency: each
// connection sends a 64-byte message and waits for it, in a loop (a
// closed loop: a message is sent when the previous one is back); the round
// trips of all connections make the histogram.
package tcpecho

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/bench/internal/harness"
	"github.com/sluicehq/sluice/bench/internal/hist"
	"github.com/sluicehq/sluice/bench/internal/report"
)

// Conns is the number of concurrent connections (the earlier issue's
// target is set at 64).
const Conns = 64

// Scenario is tcp.echo.
var Scenario = harness.Scenario{
	Name:    "tcp.echo",
	About:   "tcp server -> echo against a plain Go echo server: throughput and round trips, 64 connections",
	Default: true,
	Run:     run,
}

func run(env *harness.Env) *report.Scenario {
	refAddr, spliceAddr, sluiceAddr := harness.FreeAddr(), harness.FreeAddr(), harness.FreeAddr()
	ref := env.StartPlain(nil, "echo", refAddr, "loop")
	splice := env.StartPlain(nil, "echo", spliceAddr, "splice")
	_, port, _ := net.SplitHostPort(sluiceAddr)
	sl := env.StartSluice(harness.SluiceSpec{Config: "examples/tcp.echo/zilla.yaml", Env: []string{"TCP_ECHO_PORT=" + port}, Profile: true})
	ref.WaitListening(refAddr)
	splice.WaitListening(spliceAddr)
	sl.WaitListening(sluiceAddr)

	tput := report.Measure{Key: "throughput", Label: "Throughput, 16 KiB blocks, 256 KiB in flight per connection", Unit: "MiB/s"}
	cpu := report.Measure{Key: "CPU per GiB", Label: "Server CPU per GiB echoed", Unit: "s", Lower: true, Digits: 2}
	p50 := report.Measure{Key: "p50 round trip", Label: "Round trip p50, 64-byte messages", Unit: "µs", Lower: true}
	p99 := report.Measure{Key: "p99 round trip", Label: "Round trip p99", Unit: "µs", Lower: true}
	var spliceTput []float64
	for i := range env.Runs {
		harness.Alternate(i, func() {
			t, c := measured(ref, func() float64 { return throughput(refAddr, env.Duration) })
			tput.Reference, cpu.Reference = append(tput.Reference, t), append(cpu.Reference, c)
		}, func() {
			t, c := measured(sl, func() float64 { return throughput(sluiceAddr, env.Duration) })
			tput.Sluice, cpu.Sluice = append(tput.Sluice, t), append(cpu.Sluice, c)
		})
		spliceTput = append(spliceTput, throughput(spliceAddr, env.Duration))
		harness.Alternate(i, func() {
			l := latency(refAddr, env.Duration)
			p50.Reference, p99.Reference = append(p50.Reference, us(l.P50)), append(p99.Reference, us(l.P99))
		}, func() {
			l := latency(sluiceAddr, env.Duration)
			p50.Sluice, p99.Sluice = append(p50.Sluice, us(l.P50)), append(p99.Sluice, us(l.P99))
		})
		env.Logf("run %d: throughput plain %.0f MiB/s, sluice %.0f MiB/s, io.Copy %.0f MiB/s; p99 plain %.0fµs, sluice %.0fµs",
			i+1, tput.Reference[i], tput.Sluice[i], spliceTput[i], p99.Reference[i], p99.Sluice[i])
	}
	return &report.Scenario{
		Name:      "tcp.echo",
		Title:     "TCP echo",
		Reference: "plain Go",
		Setup: fmt.Sprintf("tcp server -> echo through sluice (examples/tcp.echo/zilla.yaml), against a plain Go echo server "+
			"in its own process (a goroutine per connection reading into a 32 KiB buffer and writing it back). Load: %d "+
			"connections from this program; throughput with 16 KiB blocks and up to 256 KiB in flight per connection, then "+
			"round trips of 64-byte messages, one at a time per connection.", Conns),
		Measures: []report.Measure{tput, cpu, p50, p99},
		Targets:  []report.Target{{Measure: "throughput", Kind: report.RatioAtLeast, Value: 0.8, Text: "throughput at least 0.8 of plain Go's"}},
		Notes: []string{fmt.Sprintf("For scale: the plain server written with io.Copy echoed %.0f MiB/s (sluice at %.2f of it). On Linux "+
			"io.Copy between two TCP connections becomes splice(2), which moves the bytes inside the kernel without copying them "+
			"into the process; no proxy that reads what it forwards can do that, so it is not the reference. The CPU per GiB is the "+
			"steadier figure on a shared machine: the load generator runs on the same cores.",
			report.Median(spliceTput), report.Median(tput.Sluice)/report.Median(spliceTput))},
	}
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// measured runs a throughput measurement and returns it with the CPU time
// the server process spent per GiB moved (echoed bytes count once).
func measured(server *harness.Proc, run func() float64) (float64, float64) {
	before := server.CPUSeconds()
	start := time.Now()
	tput := run()
	elapsed := time.Since(start).Seconds()
	gib := tput * elapsed / 1024
	if gib == 0 {
		return tput, 0
	}
	return tput, (server.CPUSeconds() - before) / gib
}

// throughput returns MiB/s echoed by all connections together.
func throughput(addr string, d time.Duration) float64 {
	const block, inflight = 16 << 10, 256 << 10
	var total atomic.Int64
	var errs harness.Errors
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for range Conns {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				errs.Add(err)
				return
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
		})
	}
	wg.Wait()
	harness.Check(errs.Err())
	return float64(total.Load()) / (1 << 20) / time.Since(start).Seconds()
}

// latency returns the round trips of 64-byte messages on every
// connection.
func latency(addr string, d time.Duration) hist.Summary {
	var h hist.Histogram
	var errs harness.Errors
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	for range Conns {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				errs.Add(err)
				return
			}
			defer c.Close()
			msg, buf := make([]byte, 64), make([]byte, 64)
			for ctx.Err() == nil {
				t0 := time.Now()
				if _, err := c.Write(msg); err != nil {
					errs.Add(err)
					return
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					errs.Add(err)
					return
				}
				h.Record(time.Since(t0))
			}
		})
	}
	wg.Wait()
	harness.Check(errs.Err())
	return hist.Summarize(h.Snapshot(false))
}
