package startflag

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestStartSetsBootstrapServers(t *testing.T) {
	t.Setenv("KAFKA_BOOTSTRAP_SERVERS", "elsewhere:9092")
	dir := filepath.Join(t.TempDir(), "kafka")
	stop, err := Start(dir, "127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	addr := os.Getenv("KAFKA_BOOTSTRAP_SERVERS")
	if addr == "elsewhere:9092" || addr == "" {
		t.Fatalf("KAFKA_BOOTSTRAP_SERVERS = %q", addr)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("quickstart"), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("hello")}).FirstErr(); err != nil {
		t.Fatalf("produce to the embedded broker: %v", err)
	}
}

func TestStartRejectsBadAddress(t *testing.T) {
	if _, err := Start(t.TempDir(), "nowhere", slog.Default()); err == nil {
		t.Fatal("no error for an address without a port")
	}
}
