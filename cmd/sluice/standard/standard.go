// Package standard registers every binding, guard, vault, catalog and
// exporter type of the standard sluice build, and the `sluice start` flag
// for the embedded Kafka broker. A custom build imports it for the standard
// set, or imports type packages one by one for a trimmed one.
package standard

import (
	// bindings
	_ "github.com/sluicehq/sluice/bindings/echo"
	_ "github.com/sluicehq/sluice/bindings/http"
	_ "github.com/sluicehq/sluice/bindings/httpkafka"
	_ "github.com/sluicehq/sluice/bindings/kafka"
	_ "github.com/sluicehq/sluice/bindings/sse"
	_ "github.com/sluicehq/sluice/bindings/ssekafka"
	_ "github.com/sluicehq/sluice/bindings/tcp"
	_ "github.com/sluicehq/sluice/bindings/tls"

	// guards
	_ "github.com/sluicehq/sluice/guards/inline"

	// vaults
	_ "github.com/sluicehq/sluice/vaults/filesystem"

	// exporters
	_ "github.com/sluicehq/sluice/exporters/prometheus"

	// sluice start --embedded-kafka DIR
	_ "github.com/sluicehq/sluice/bindings/kafka/embedded/startflag"
)
