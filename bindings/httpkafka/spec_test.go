package httpkafka_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/sluicehq/sluice/bindings/httpkafka"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/enginetest"
	httpspec "github.com/sluicehq/sluice/specs/http"
	hkspec "github.com/sluicehq/sluice/specs/httpkafka"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
	"github.com/sluicehq/sluice/specs/spectest"
)

const scenarioRoot = "../../specs/httpkafka/streams/application"

var extensions = spectest.Extensions{"http": httpspec.Extensions, "kafka": hkspec.KafkaExtensions}

// TestScenarios replays every scenario against the binding: its http
// client script opens the request into the http-kafka binding, and its
// kafka server script plays the kafka side, each of its blocks taking the
// stream http-kafka opens on the block's topic, in order.
func TestScenarios(t *testing.T) {
	base, err := os.ReadFile("../../specs/httpkafka/config/proxy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(scenarioRoot)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range entries {
		dir := filepath.Join(scenarioRoot, d.Name())
		if _, err := os.Stat(filepath.Join(dir, "http", "client.rpt")); err != nil {
			continue
		}
		t.Run(d.Name(), func(t *testing.T) {
			t.Parallel()
			scripts := []string{filepath.Join(dir, "http", "client.rpt")}
			kafka := filepath.Join(dir, "kafka", "server.rpt")
			var streams []kafkaBlock
			if _, err := os.Stat(kafka); err == nil {
				scripts = append(scripts, kafka)
				streams = kafkaBlocks(t, kafka)
			}
			e := enginetest.Start(t, string(base)+kafkaSide(streams), enginetest.Options{Registry: registry()})
			spectest.Replay(t, e, spectest.Options{Extensions: extensions}, scripts...)
		})
	}
}

// kafkaBlock is one accept block of a kafka server script: the binding it
// plays and the topic of the stream it takes.
type kafkaBlock struct{ binding, topic string }

// kafkaBlocks reads the blocks of a kafka server script, each with the
// topic of the first begin it reads.
func kafkaBlocks(t *testing.T, path string) []kafkaBlock {
	t.Helper()
	s, err := spectest.ParseFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []kafkaBlock
	for _, b := range s.Blocks {
		kb := kafkaBlock{binding: strings.TrimPrefix(b.URI, "app://")}
		for _, c := range b.Commands {
			if c.Op == "begin" && !c.Write && c.Ext != nil {
				var begin struct{ Topic string }
				if err := json.Unmarshal(c.Ext.JSON, &begin); err != nil {
					t.Fatalf("%s:%d: %v", path, c.Line, err)
				}
				kb.topic = begin.Topic
				break
			}
		}
		if kb.topic == "" {
			t.Fatalf("%s:%d: the block reads no begin naming its topic", path, b.Line)
		}
		out = append(out, kb)
	}
	return out
}

// kafkaSide is the configuration of the kafka side: kafka0 routes each
// stream to the block that plays it, and each block is a test binding.
func kafkaSide(blocks []kafkaBlock) string {
	var b strings.Builder
	b.WriteString("  kafka0:\n    type: topic-router\n    kind: cache_client\n")
	if len(blocks) == 0 {
		// no stream expected: one would go to a block that is not there
		b.WriteString("    exit: unused\n  unused:\n    type: test\n    kind: server\n")
		return b.String()
	}
	b.WriteString("    routes:\n")
	seen := map[string]bool{}
	for _, kb := range blocks {
		fmt.Fprintf(&b, "      - when: [{topic: %q}]\n        exit: %s\n", kb.topic, kb.binding)
	}
	for _, kb := range blocks {
		if !seen[kb.binding] {
			seen[kb.binding] = true
			fmt.Fprintf(&b, "  %s:\n    type: test\n    kind: server\n", kb.binding)
		}
	}
	return b.String()
}

var (
	registryOnce sync.Once
	testRegistry *engine.Registry
)

// registry is the global registry with the test binding and the topic
// router added.
func registry() *engine.Registry {
	registryOnce.Do(func() {
		testRegistry = spectest.Registry(engine.Global())
		testRegistry.RegisterBinding(topicRouterType)
	})
	return testRegistry
}

// topicRouterType is a test binding for the kafka side of scenarios: the
// n-th merged stream on a topic goes to the exit of the n-th route whose
// `when.topic` names it, so that scripts with several streams on one
// topic (or several topics) get each stream in the block meant for it,
// whatever order the blocks start in.
var topicRouterType = engine.BindingType{
	Name:  "topic-router",
	Kinds: []engine.KindSpec{{Kind: engine.KindCacheClient, Accepts: "kafka", Opens: "kafka"}},
	Schema: []byte(`{"properties": {"routes": {"items": {"properties": {
		"when": {"items": {"type": "object", "properties": {"topic": {"type": "string"}}, "additionalProperties": false}}}}}}}`),
	NewCondition: func() any { return new(topicCondition) },
	New: func(bc *engine.BindingContext) (engine.Binding, error) {
		return &topicRouter{routes: bc.Routes, taken: map[string]int{}}, nil
	},
}

type topicCondition struct {
	Topic string `json:"topic"`
}

type topicRouter struct {
	routes []*engine.Route
	mu     sync.Mutex
	taken  map[string]int
}

// Accept hands the stream to the test binding of the next route for its
// topic: the stream is served by that binding's script block.
func (r *topicRouter) Accept(s *engine.Stream, begin *engine.Frame) (engine.Receiver, error) {
	ex, ok := begin.Ext.(*kafkaspec.BeginEx)
	if !ok {
		return nil, fmt.Errorf("topic-router: not a merged stream: %T", begin.Ext)
	}
	r.mu.Lock()
	n := r.taken[ex.Topic]
	r.taken[ex.Topic]++
	r.mu.Unlock()
	for _, rt := range r.routes {
		for _, w := range rt.When() {
			if w.(*topicCondition).Topic != ex.Topic {
				continue
			}
			if n == 0 {
				return rt.Exit.Target().(engine.Acceptor).Accept(s, begin)
			}
			n--
		}
	}
	return nil, fmt.Errorf("topic-router: no script block for stream %d on topic %s", r.taken[ex.Topic], ex.Topic)
}
