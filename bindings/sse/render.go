package sse

import (
	"bytes"
	"strconv"
	"strings"

	ssespec "github.com/sluicehq/sluice/specs/sse"
)

// The event stream format (WHATWG HTML, "Server-sent events"): fields are
// written `name:value` without a space, as Zilla writes them, one per line,
// and a blank line ends an event. Lines end with LF only.

// zeroCopyMin is the payload size from which a payload without line breaks
// is handed to the http stream as it is, rather than copied beside the
// field names.
const zeroCopyMin = 2048

// appendHeader appends the fields that come before an event's data:
// timestamp (when the client asked for it), id and event.
func appendHeader(b []byte, ex *ssespec.DataEx, timestamps bool) []byte {
	if ex == nil {
		return b
	}
	if timestamps && !ex.Timestamp.IsZero() {
		b = append(b, "timestamp:0x"...)
		b = strconv.AppendInt(b, ex.Timestamp.UnixMilli(), 16)
		b = append(b, '\n')
	}
	if ex.ID != "" {
		b = appendField(b, "id:", ex.ID)
	}
	if ex.Type != "" {
		b = appendField(b, "event:", ex.Type)
	}
	return b
}

// appendField appends one field. A value cannot hold a line break (it
// would end the field early and inject another), so CR and LF are
// dropped; NUL is dropped too, since a browser ignores an id holding one.
func appendField(b []byte, name, value string) []byte {
	b = append(b, name...)
	if strings.ContainsAny(value, "\r\n\x00") {
		for i := 0; i < len(value); i++ {
			if c := value[i]; c != '\r' && c != '\n' && c != 0 {
				b = append(b, c)
			}
		}
	} else {
		b = append(b, value...)
	}
	return append(b, '\n')
}

// appendLines appends payload bytes of an event's data, starting a new
// `data:` line at every line break (CR, LF or CRLF, as the client splits
// them). cr says that the previous fragment ended with a CR, so that an LF
// starting this one completes a CRLF rather than starting another line.
func appendLines(b, p []byte, cr bool) ([]byte, bool) {
	for len(p) > 0 {
		if cr && p[0] == '\n' {
			p = p[1:]
			cr = false
			continue
		}
		cr = false
		i := bytes.IndexAny(p, "\r\n")
		if i < 0 {
			return append(b, p...), false
		}
		b = append(b, p[:i]...)
		b = append(b, "\ndata:"...)
		cr = p[i] == '\r'
		p = p[i+1:]
	}
	return b, cr
}

// hasLineBreak reports whether p holds a CR or LF.
func hasLineBreak(p []byte) bool { return bytes.ContainsAny(p, "\r\n") }

// retryField returns the `retry:` line sent when a stream starts.
func retryField(ms int) []byte {
	b := append([]byte("retry:"), strconv.Itoa(ms)...)
	return append(b, '\n', '\n')
}

// keepAliveComment is the comment line written to an idle stream.
var keepAliveComment = []byte(":\n")
