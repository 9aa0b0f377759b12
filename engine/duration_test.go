package engine_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
)

func TestDurationUnmarshal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{`10`, 10 * time.Second, false},
		{`0.5`, 500 * time.Millisecond, false},
		{`"500ms"`, 500 * time.Millisecond, false},
		{`"1m30s"`, 90 * time.Second, false},
		{`0`, 0, false},
		{`-1`, 0, true},
		{`"-2s"`, 0, true},
		{`"soon"`, 0, true},
		{`true`, 0, true},
	} {
		var d engine.Duration
		err := json.Unmarshal([]byte(tc.in), &d)
		if tc.err {
			if err == nil {
				t.Errorf("%s: got %v, want an error", tc.in, time.Duration(d))
			}
			continue
		}
		if err != nil || time.Duration(d) != tc.want {
			t.Errorf("%s: got %v, %v; want %v", tc.in, time.Duration(d), err, tc.want)
		}
	}
}
