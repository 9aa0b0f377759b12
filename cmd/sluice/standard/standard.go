// Package standard registers every binding, guard, vault, catalog and
// exporter type of the standard sluice build. A custom build imports it for
// the standard set, or imports type packages one by one for a trimmed one.
package standard

import (
	// bindings
	_ "github.com/sluicehq/sluice/bindings/echo"
	_ "github.com/sluicehq/sluice/bindings/http"
	_ "github.com/sluicehq/sluice/bindings/tcp"
	_ "github.com/sluicehq/sluice/bindings/tls"

	// vaults
	_ "github.com/sluicehq/sluice/vaults/filesystem"
)
