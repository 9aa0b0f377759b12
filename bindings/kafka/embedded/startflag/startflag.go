// Package startflag adds `--embedded-kafka DIR` to `sluice start`: before
// the configuration is loaded, an embedded Kafka-compatible broker
// (package embedded) starts with its data in DIR, listening on
// --embedded-kafka-address (127.0.0.1:9092 by default, so that kcat and
// other clients find it where they look for Kafka), and
// KAFKA_BOOTSTRAP_SERVERS is set to its address, so that a configuration
// written for real Kafka,
//
//	options:
//	  servers: ["${{env.KAFKA_BOOTSTRAP_SERVERS}}"]
//
// runs unchanged on a machine without Kafka. The broker creates topics on
// first use and stops, saving its data, after the engine has stopped.
// A build enables the flag by importing this package.
package startflag

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"

	"github.com/sluicehq/sluice/bindings/kafka/embedded"
	"github.com/sluicehq/sluice/cmd/sluice/cli"
)

func init() {
	var dir, addr string
	cli.RegisterStartHook(cli.Hook{
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&dir, "embedded-kafka", "", "run an embedded Kafka-compatible broker keeping its data in `dir`, and set KAFKA_BOOTSTRAP_SERVERS to it")
			fs.StringVar(&addr, "embedded-kafka-address", "127.0.0.1:9092", "`host:port` the embedded broker listens on (port 0: any free port)")
		},
		Before: func(_ context.Context, log *slog.Logger) (func(), error) {
			if dir == "" {
				return nil, nil
			}
			return Start(dir, addr, log)
		},
	})
}

// Start starts the embedded broker for `sluice start` and points
// KAFKA_BOOTSTRAP_SERVERS at it; the returned function stops it.
func Start(dir, address string, log *slog.Logger) (func(), error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("--embedded-kafka-address %q: %w", address, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("--embedded-kafka-address %q: invalid port", address)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("embedded kafka: %w", err)
	}
	bootstrap, stop, err := embedded.Start(dir, embedded.Address(host, port), embedded.Logger(log))
	if err != nil {
		return nil, err
	}
	if prev := os.Getenv("KAFKA_BOOTSTRAP_SERVERS"); prev != "" && prev != bootstrap {
		log.Warn("embedded kafka replaces KAFKA_BOOTSTRAP_SERVERS", "was", prev)
	}
	os.Setenv("KAFKA_BOOTSTRAP_SERVERS", bootstrap)
	log.Info("embedded kafka started", "address", bootstrap, "dir", dir)
	return func() {
		stop()
		log.Info("embedded kafka stopped", "dir", dir)
	}, nil
}
