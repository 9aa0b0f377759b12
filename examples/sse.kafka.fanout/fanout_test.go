package fanout_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/internal/testtool"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

func createTopic(t *testing.T, addr, topic string, partitions int32) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(addr, ",")...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := kadm.NewClient(cl)
	resp, err := adm.CreateTopic(ctx, partitions, 1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	t.Cleanup(func() {
		cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(addr, ",")...))
		if err != nil {
			return
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		kadm.NewClient(cl).DeleteTopics(ctx, topic)
	})
}

// curlEvents runs `curl -N` on a stream for a while and returns the event
// stream it printed.
func curlEvents(t *testing.T, url string, seconds int, headers ...string) string {
	t.Helper()
	curl := testtool.Require(t, "curl")
	args := []string{"-sS", "-N", "--max-time", strconv.Itoa(seconds), "-H", "Accept: text/event-stream"}
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	out, err := exec.Command(curl, append(args, url)...).Output()
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 28) { // 28: --max-time reached
		t.Fatalf("curl %s: %v\n%s", url, err, out)
	}
	return string(out)
}

// TestCurlAndKcat runs the README's commands: records produced with kcat
// arrive as events for curl -N, a Last-Event-ID resumes after them, a key
// route filters, and a tombstone is an event:delete.
func TestCurlAndKcat(t *testing.T) {
	x := newExample(t)
	port := testtool.FreePort(t)
	x.startSluice(t, port)
	base := "http://127.0.0.1:" + strconv.Itoa(port)

	x.kcat(t, "sensor-1:21.5", "sensor-2:19.0", "sensor-1:21.7")
	out := curlEvents(t, base+"/events", 2)
	if !strings.HasPrefix(out, "retry:1000\n\n") {
		t.Fatalf("stream does not start with the retry field:\n%s", out)
	}
	evs := parseEvents(out)
	if got := datas(evs); !slices.Equal(sorted(got), []string{"19.0", "21.5", "21.7"}) {
		t.Fatalf("events %v from:\n%s", got, out)
	}
	for _, ev := range evs {
		if p, ok := kafkaspec.DecodeProgress(ev.id); !ok || len(p) != 3 {
			t.Errorf("event id %q is not a progress over the topic's 3 partitions", ev.id)
		}
	}

	// Resuming after the last event gets only what came since.
	x.kcat(t, "sensor-2:19.4")
	out = curlEvents(t, base+"/events", 2, "Last-Event-ID: "+evs[len(evs)-1].id)
	if got := datas(parseEvents(out)); !slices.Equal(got, []string{"19.4"}) {
		t.Errorf("resumed stream: %v\n%s", got, out)
	}

	// A key route, and a tombstone.
	x.kcat(t, "sensor-1:")
	out = curlEvents(t, base+"/events/sensor-1", 2)
	evs = parseEvents(out)
	want := []event{{data: "21.5"}, {data: "21.7"}, {typ: "delete", data: "c2Vuc29yLTE="}}
	if len(evs) != len(want) {
		t.Fatalf("key route: %+v\n%s", evs, out)
	}
	for i := range want {
		if evs[i].typ != want[i].typ || evs[i].data != want[i].data {
			t.Errorf("key route event %d: %+v, want %+v", i, evs[i], want[i])
		}
	}
}

type event struct{ id, typ, data string }

// parseEvents splits curl's output into events as a browser would.
func parseEvents(out string) []event {
	var evs []event
	var cur event
	var data []string
	lastID := ""
	for _, line := range strings.Split(out, "\n") {
		switch {
		case line == "":
			if data != nil {
				cur.id, cur.data = lastID, strings.Join(data, "\n")
				evs = append(evs, cur)
			}
			cur, data = event{}, nil
		case strings.HasPrefix(line, ":"):
		default:
			name, value, _ := strings.Cut(line, ":")
			switch name {
			case "id":
				lastID = value
			case "event":
				cur.typ = value
			case "data":
				data = append(data, value)
			}
		}
	}
	return evs
}

func datas(evs []event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.data
	}
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// received is what the page recorded of one event.
type received struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data string `json:"data"`
}

// TestBrowserReconnectsToTheOtherInstance: Chromium opens the example page,
// whose EventSource reaches two sluice instances through a load balancer.
// Each instance in turn goes away (a graceful restart, then a crash) while
// records keep coming; the browser reconnects by itself, with the
// Last-Event-ID of the last event it got, to the other instance, and in the
// end has every record exactly once.
func TestBrowserReconnectsToTheOtherInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium and two sluice processes")
	}
	br := startBrowser(t)
	x := newExample(t)
	portA, portB := testtool.FreePort(t), testtool.FreePort(t)
	a := x.startSluice(t, portA)
	b := x.startSluice(t, portB)
	lb := newBalancer(t, "127.0.0.1:"+strconv.Itoa(portA))

	page, err := os.ReadFile("index.html")
	if err != nil {
		t.Fatal(err)
	}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	t.Cleanup(site.Close)
	br.open(t, site.URL+"/?sluice=http://"+lb.addr())

	produced := 0
	produce := func(n int) {
		var lines []string
		for range n {
			produced++
			lines = append(lines, fmt.Sprintf("key-%d:event-%d", produced%5, produced))
		}
		x.kcat(t, lines...)
	}
	waitPage := func(what string, cond func(got []received, opens int) bool) []received {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			var got []received
			var opens int
			br.eval(t, "return window.received;", &got)
			br.eval(t, "return window.opens;", &opens)
			if cond(got, opens) {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("the page did not get %s: %d events, %d connections", what, len(got), opens)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	count := func(n int) func([]received, int) bool {
		return func(got []received, _ int) bool { return len(got) >= n }
	}
	opened := func(n int) func([]received, int) bool {
		return func(_ []received, opens int) bool { return opens >= n }
	}

	// On instance A.
	waitPage("its first connection", opened(1))
	produce(20)
	got := waitPage("20 events", count(20))

	// A restarts (gracefully): the browser reconnects to B while more
	// records arrive.
	lastBefore := got[len(got)-1].ID
	lb.target.Store("127.0.0.1:" + strconv.Itoa(portB))
	a.stop(syscall.SIGTERM)
	produce(10)
	x.startSluice(t, portA) // stopped by the test's cleanup
	waitPage("a second connection", opened(2))
	produce(10)
	got = waitPage("40 events", count(40))
	checkResumedWith(t, lb.gets(), 1, lastBefore)

	// B crashes: the browser reconnects to A, restarted meanwhile.
	lastBefore = got[len(got)-1].ID
	lb.target.Store("127.0.0.1:" + strconv.Itoa(portA))
	b.stop(syscall.SIGKILL)
	produce(10)
	waitPage("a third connection", opened(3))
	produce(10)
	got = waitPage("60 events", count(60))
	checkResumedWith(t, lb.gets(), 2, lastBefore)

	time.Sleep(300 * time.Millisecond) // anything extra would arrive now
	br.eval(t, "return window.received;", &got)
	checkExactlyOnce(t, got, produced)
}

// checkResumedWith checks that GET request i carried Last-Event-ID last.
func checkResumedWith(t *testing.T, gets []string, i int, last string) {
	t.Helper()
	if len(gets) <= i {
		t.Fatalf("%d event stream requests, want more than %d", len(gets), i)
	}
	for _, line := range strings.Split(gets[i], "\r\n") {
		name, value, _ := strings.Cut(line, ":")
		if strings.EqualFold(name, "last-event-id") {
			if strings.TrimSpace(value) != last {
				t.Errorf("reconnection %d sent Last-Event-ID %q, want %q", i, strings.TrimSpace(value), last)
			}
			return
		}
	}
	t.Errorf("reconnection %d sent no Last-Event-ID:\n%s", i, gets[i])
}

// checkExactlyOnce checks that the page got event-1..event-n, each once,
// and the events of each key in order.
func checkExactlyOnce(t *testing.T, got []received, n int) {
	t.Helper()
	seen := map[string]int{}
	last := map[string]int{}
	for _, r := range got {
		seen[r.Data]++
		i, _ := strconv.Atoi(strings.TrimPrefix(r.Data, "event-"))
		k := strconv.Itoa(i % 5)
		if prev, ok := last[k]; ok && i < prev {
			t.Errorf("key-%s: %s after event-%d", k, r.Data, prev)
		}
		last[k] = i
	}
	for i := 1; i <= n; i++ {
		d := "event-" + strconv.Itoa(i)
		if seen[d] != 1 {
			t.Errorf("%s received %d times", d, seen[d])
		}
		delete(seen, d)
	}
	for d, c := range seen {
		t.Errorf("unexpected event %q received %d times", d, c)
	}
}
