package kafka

import (
	"testing"

	"github.com/sluicehq/sluice/specs/spectest"
)

func TestScenarios(t *testing.T) {
	spectest.PairAll(t, "streams", spectest.Options{Extensions: spectest.Extensions{"kafka": Extensions}})
}
