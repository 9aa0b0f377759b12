package sse_test

import (
	"testing"

	httpspec "github.com/sluicehq/sluice/specs/http"
	"github.com/sluicehq/sluice/specs/spectest"
	"github.com/sluicehq/sluice/specs/sse"
)

// TestScenarios checks that each scenario's client and server scripts
// agree, at both levels.
func TestScenarios(t *testing.T) {
	spectest.PairAll(t, "streams", spectest.Options{Extensions: spectest.Extensions{
		"http": httpspec.Extensions,
		"sse":  sse.Extensions,
	}})
}
