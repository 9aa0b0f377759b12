package kafka

import (
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/testtool"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// kcat runs kcat (the independent client of these tests) and returns its
// standard output.
func kcat(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	path := testtool.Require(t, "kcat")
	cmd := exec.Command(path, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("kcat %v: %v\n%s", args, err, errb.String())
	}
	return out.String()
}

// kcatConsume reads a topic from the start with kcat: one line per record,
// partition|key|value|headers.
func kcatConsume(t *testing.T, addr, topic string) []string {
	t.Helper()
	out := kcat(t, "", "-C", "-b", addr, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%p|%k|%s|%h\n")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	slices.Sort(lines)
	return lines
}

func TestKcatReadsWhatTheBindingProduced(t *testing.T) {
	b := broker(t)
	topic := topicName(t)
	createTopic(t, b.addr, topic, 1, nil)
	e := startEngine(t, b.addr, clientYAML)
	produceAll(t, e, "kafka0", topic,
		[]string{"k1", "hello", "content-type", "text/plain"},
		[]string{"k2", "world", "x-trace", "abc", "x-n", "2"})
	got := kcatConsume(t, b.addr, topic)
	want := []string{"0|k1|hello|content-type=text/plain", "0|k2|world|x-trace=abc,x-n=2"}
	if !slices.Equal(got, want) {
		t.Errorf("kcat read %q, want %q", got, want)
	}
}

func TestBindingReadsWhatKcatProduced(t *testing.T) {
	b := broker(t)
	topic := topicName(t)
	createTopic(t, b.addr, topic, 1, nil)
	e := startEngine(t, b.addr, cacheYAML)
	kcat(t, "k1:one\nk2:two\n", "-P", "-b", b.addr, "-t", topic, "-K", ":", "-H", "origin=kcat", "-H", "content-type=text/plain")

	for _, binding := range []string{"kafka0", "cache0"} {
		got, _ := fetchAll(t, e, binding, &kafkaspec.BeginEx{Topic: topic})
		if len(got) != 2 {
			t.Fatalf("%s: fetched %d records", binding, len(got))
		}
		for i, want := range [][2]string{{"k1", "one"}, {"k2", "two"}} {
			r := got[i]
			if r.key() != want[0] || string(r.value) != want[1] || r.header("origin") != "kcat" || r.header("content-type") != "text/plain" {
				t.Errorf("%s: record %d = %q=%q %v", binding, i, r.key(), r.value, r.ex.Headers)
			}
		}
	}
}

// murmur2 is Kafka's murmur2 (org.apache.kafka.common.utils.Utils), written
// here independently of franz-go's to check the partitioner against it.
func murmur2(data []byte) int32 {
	const seed, m, r = uint32(0x9747b28c), uint32(0x5bd1e995), 24
	n := len(data)
	h := seed ^ uint32(n)
	for i := 0; i+4 <= n; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	tail := data[n&^3:]
	switch len(tail) {
	case 3:
		h ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(tail[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// javaPartition is the Java client's partition for a keyed record.
func javaPartition(key []byte, partitions int32) int32 {
	return (murmur2(key) & 0x7fffffff) % partitions
}

func TestKeyedRecordsPartitionLikeTheJavaClient(t *testing.T) {
	b := broker(t)
	ours, theirs := topicName(t), topicName(t)
	const partitions = 6
	createTopic(t, b.addr, ours, partitions, nil)
	createTopic(t, b.addr, theirs, partitions, nil)
	e := startEngine(t, b.addr, clientYAML)

	var recs [][]string
	var stdin strings.Builder
	for i := range 60 {
		key := fmt.Sprintf("customer-%d", i*7919)
		recs = append(recs, []string{key, strconv.Itoa(i)})
		fmt.Fprintf(&stdin, "%s:%d\n", key, i)
	}
	for i, a := range produceAll(t, e, "kafka0", ours, recs...) {
		if want := javaPartition([]byte(recs[i][0]), partitions); a.Partition != want {
			t.Errorf("key %s went to partition %d, the Java client picks %d", recs[i][0], a.Partition, want)
		}
	}
	// kcat (librdkafka) with the Java client's partitioner agrees.
	kcat(t, stdin.String(), "-P", "-b", b.addr, "-t", theirs, "-K", ":", "-X", "partitioner=murmur2_random")
	if got, want := kcatConsume(t, b.addr, ours), kcatConsume(t, b.addr, theirs); !slices.Equal(got, want) {
		t.Errorf("partitions differ from kcat's murmur2:\n ours   %q\n theirs %q", got, want)
	}
}
