package kafka

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"github.com/sluicehq/sluice/internal/testtool"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// ownKafka starts a real Kafka of the test's own with scripts/kafka.sh,
// so that restarting it disturbs no other test, and stops it at the end.
// It returns the bootstrap address and a function running kafka.sh
// commands against it.
func ownKafka(t *testing.T) (string, func(args ...string)) {
	t.Helper()
	script, err := filepath.Abs("../../scripts/kafka.sh")
	if err != nil {
		t.Fatal(err)
	}
	// The controller listens on port+1: both must be free, and outside the
	// ephemeral range, where an outgoing connection could take port+1
	// before the broker binds it.
	port := 0
	for range 50 {
		p := 20000 + mrand.IntN(9000)
		if portFree(p) && portFree(p+1) {
			port = p
			break
		}
	}
	if port == 0 {
		t.Fatal("no two free consecutive ports for a second broker")
	}
	// kafka.sh's random cluster id starts with '-' one time in 64, which
	// kafka-storage takes for an option: give it one that does not.
	var id [16]byte
	cid := "-"
	for strings.HasPrefix(cid, "-") {
		rand.Read(id[:])
		cid = base64.RawURLEncoding.EncodeToString(id[:])
	}
	env := append(os.Environ(), "SLUICE_STATE_DIR="+t.TempDir(), "KAFKA_PORT="+strconv.Itoa(port),
		"KAFKA_DATA_DIR=", "KAFKA_BOOTSTRAP_SERVERS=", "KAFKA_CLUSTER_ID="+cid)
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(script, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kafka.sh %v: %v\n%s", args, err, out)
		}
	}
	run("start")
	t.Cleanup(func() { run("stop") })
	return "127.0.0.1:" + strconv.Itoa(port), run
}

func portFree(p int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// produced is the outcome of one record produced during the restart.
type produced struct {
	value string
	ack   *kafkaspec.AckEx // nil when the stream ended without one
}

func TestBrokerRestartDuringProduce(t *testing.T) {
	if !broker(t).real {
		// CI runs with real Kafka (scripts/test.sh starts it): there, its
		// absence is a failure, not a reason to skip.
		testtool.RequireEnv(t, "KAFKA_BOOTSTRAP_SERVERS")
	}
	// A delivery timeout shorter than the restart, so that records both
	// succeed (before the kill, after the restart) and fail (while down).
	defer func(d time.Duration) { deliveryTimeout = d }(deliveryTimeout)
	deliveryTimeout = 4 * time.Second
	addr, kafkaSh := ownKafka(t)
	topic := topicName(t)
	createTopic(t, addr, topic, 3, nil)
	e := startEngine(t, addr, clientYAML)

	const producers = 8
	var (
		mu      sync.Mutex
		results []produced
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	for w := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := open(t, e, "kafka0", &kafkaspec.BeginEx{Capabilities: kafkaspec.ProduceOnly, Topic: topic}, 0)
			m.waitCredit(1) // the window opens once the topic's record limit is known
			for i := 0; ; i++ {
				select {
				case <-stop:
					m.do(func(s *engine.Stream) { s.End(nil) })
					return
				default:
				}
				value := fmt.Sprintf("w%d-%d", w, i)
				m.produce(value, value)
				var ack *kafkaspec.AckEx
				err := m.waitErr("ack of "+value, deliveryTimeout+15*time.Second, func(fs []engine.Frame) bool {
					as := acks(fs)
					if len(as) > i {
						ack = as[i]
						return true
					}
					return frameOf(fs, engine.AbortFrame) != nil
				})
				if err != nil {
					t.Errorf("%s has no outcome: %v", value, err)
					return
				}
				mu.Lock()
				results = append(results, produced{value, ack})
				mu.Unlock()
				if ack == nil {
					return // the stream failed: every record without an ack counts as failed
				}
			}
		}()
	}
	time.Sleep(time.Second)
	kafkaSh("restart", "--kill")
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()

	var acked, failed []string
	for _, r := range results {
		if r.ack != nil && r.ack.Error == nil {
			acked = append(acked, r.value)
		} else {
			failed = append(failed, r.value)
			if r.ack != nil && !r.ack.Error.Retriable {
				t.Errorf("%s failed with a non-retriable error: %v", r.value, r.ack.Error)
			}
		}
	}
	t.Logf("%d records acknowledged, %d reported failed across the restart", len(acked), len(failed))
	if len(acked) == 0 {
		t.Fatal("nothing was acknowledged")
	}
	in := map[string]bool{}
	for _, line := range kcatConsume(t, addr, topic) {
		parts := strings.Split(line, "|")
		in[parts[2]] = true
	}
	for _, v := range acked {
		if !in[v] {
			t.Errorf("acknowledged record %s is not in Kafka", v)
		}
	}
}
