package http_test

import (
	"testing"

	httpspec "github.com/sluicehq/sluice/specs/http"
	"github.com/sluicehq/sluice/specs/proxy"
	"github.com/sluicehq/sluice/specs/spectest"
)

// TestScenarios checks that each scenario's client and server scripts agree.
func TestScenarios(t *testing.T) {
	spectest.PairAll(t, "streams", spectest.Options{Extensions: spectest.Extensions{
		"proxy": proxy.Extensions, "http": httpspec.Extensions}})
}
