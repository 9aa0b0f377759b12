package ssekafka

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// etagHeader is the record header whose value an event id carries after
// the progress, as Zilla's sse-kafka and http-kafka do.
const etagHeader = "etag"

// eventID returns the id of the event for a record: the progress after it,
// with the record's etag header after a `/`, in the key form
// ["<base64url key>","<progress[/etag]>"] (null for a null key) when the
// route asks for it.
func eventID(progress kafkaspec.Progress, key []byte, headers []kafkaspec.Header, keyForm bool) string {
	id := progress.String()
	for _, h := range headers {
		if h.Name == etagHeader && h.Value != nil {
			id += "/" + string(h.Value)
			break
		}
	}
	if !keyForm {
		return id
	}
	var b strings.Builder
	b.WriteByte('[')
	if key == nil {
		b.WriteString("null")
	} else {
		b.WriteByte('"')
		b.WriteString(base64.URLEncoding.EncodeToString(key))
		b.WriteByte('"')
	}
	b.WriteByte(',')
	q, _ := json.Marshal(id)
	b.Write(q)
	b.WriteByte(']')
	return b.String()
}

// parseLastID decodes a Last-Event-ID in any of the forms eventID writes
// (progress, progress/etag, and both wrapped in the key form), whatever
// the route's current form, so that changing `event.id` does not strand
// connected clients. It reports false for anything else: the stream then
// starts as if no id had been sent.
func parseLastID(id string) (kafkaspec.Progress, bool) {
	if strings.HasPrefix(id, "[") {
		var parts []*string
		if err := json.Unmarshal([]byte(id), &parts); err != nil || len(parts) != 2 || parts[1] == nil {
			return nil, false
		}
		id = *parts[1]
	}
	return kafkaspec.DecodeProgress(id)
}
