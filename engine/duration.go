package engine

import (
	"encoding/json"
	"fmt"
	"time"
)

// Duration is a time span in binding options, written in zilla.yaml as a
// number of seconds (fractions allowed: 0.5) or as a Go duration string
// ("500ms", "1m30s"). Negative spans are refused. Convert with
// time.Duration(d).
type Duration time.Duration

// UnmarshalJSON accepts 10, 0.5 and "500ms".
func (d *Duration) UnmarshalJSON(data []byte) error {
	var raw any
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("invalid duration %s", data)
	}
	switch v := raw.(type) {
	case float64:
		if v < 0 {
			return fmt.Errorf("negative duration %v", v)
		}
		*d = Duration(v * float64(time.Second))
	case string:
		p, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("invalid duration %q: want seconds (10, 0.5) or a duration such as \"500ms\"", v)
		}
		if p < 0 {
			return fmt.Errorf("negative duration %q", v)
		}
		*d = Duration(p)
	default:
		return fmt.Errorf("invalid duration %s", data)
	}
	return nil
}
