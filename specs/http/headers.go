package http

import (
	"strconv"
	"strings"
)

// Header is one header field. Names on streams are lower-case.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Headers is an ordered list of header fields. The methods treat names as
// given (streams carry lower-case names); none of them modifies a list that
// was received in a frame, which the receiver shares with its sender, unless
// the receiver copied it first with Clone.
type Headers []Header

// Get returns the value of the first field named name.
func (h Headers) Get(name string) (string, bool) {
	for i := range h {
		if h[i].Name == name {
			return h[i].Value, true
		}
	}
	return "", false
}

// Value returns the value of the first field named name, or "".
func (h Headers) Value(name string) string {
	v, _ := h.Get(name)
	return v
}

// Values returns the values of every field named name, in order.
func (h Headers) Values(name string) []string {
	var out []string
	for i := range h {
		if h[i].Name == name {
			out = append(out, h[i].Value)
		}
	}
	return out
}

// Has reports whether a field named name is present.
func (h Headers) Has(name string) bool {
	_, ok := h.Get(name)
	return ok
}

// Status returns the :status of a response head as a number, or 0 when it
// is missing or not a number.
func (h Headers) Status() int {
	v, ok := h.Get(Status)
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0
	}
	return n
}

// Clone returns a copy that can be changed without touching h.
func (h Headers) Clone() Headers {
	if h == nil {
		return nil
	}
	out := make(Headers, len(h), len(h)+4)
	copy(out, h)
	return out
}

// Add appends a field. A pseudo-header is inserted after the existing
// pseudo-headers, so that they stay first.
func (h *Headers) Add(name, value string) {
	if strings.HasPrefix(name, ":") {
		i := 0
		for i < len(*h) && strings.HasPrefix((*h)[i].Name, ":") {
			i++
		}
		*h = append(*h, Header{})
		copy((*h)[i+1:], (*h)[i:])
		(*h)[i] = Header{Name: name, Value: value}
		return
	}
	*h = append(*h, Header{Name: name, Value: value})
}

// Set replaces the value of the first field named name and removes the
// others, or adds the field when there is none.
func (h *Headers) Set(name, value string) {
	found := false
	out := (*h)[:0]
	for _, f := range *h {
		if f.Name == name {
			if found {
				continue
			}
			found = true
			f.Value = value
		}
		out = append(out, f)
	}
	*h = out
	if !found {
		h.Add(name, value)
	}
}

// Del removes every field named name.
func (h *Headers) Del(name string) {
	out := (*h)[:0]
	for _, f := range *h {
		if f.Name != name {
			out = append(out, f)
		}
	}
	*h = out
}

// String renders the fields one per line as name: value, for logs and tests.
func (h Headers) String() string {
	var b strings.Builder
	for i, f := range h {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(f.Name)
		b.WriteString(": ")
		b.WriteString(f.Value)
	}
	return b.String()
}
