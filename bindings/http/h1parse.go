package http

import (
	"bytes"
	"strconv"
	"strings"

	httpspec "github.com/sluicehq/sluice/specs/http"
)

// HTTP/1.1 request heads are parsed here rather than by net/http: its
// reader blocks on an io.Reader, which the binding cannot do on an
// Executor, and it collects headers in a map, losing the order the stream
// model promises. The parser works on whatever bytes have arrived, finds
// the end of the head first, and then parses it in one pass, strictly as
// RFC 9112 asks of a server (no obs-fold, no space before the colon, one
// Host, no Content-Length beside Transfer-Encoding).

// requestHead is a parsed HTTP/1.x request head.
type requestHead struct {
	method, target string
	minor          int // HTTP/1.minor
	headers        httpspec.Headers
	contentLength  int64 // -1: none
	chunked        bool
	keepAlive      bool
	expectContinue bool
	upgradeH2C     bool
	http2Settings  string
	line           string // the request line, for logs
}

// headError is a request the server answers itself with status.
type headError struct {
	status int
	reason string
}

func (e *headError) Error() string { return strconv.Itoa(e.status) + " " + e.reason }

func badRequest(reason string) *headError { return &headError{status: 400, reason: reason} }

// findHeadEnd returns the index just past the empty line ending a head in
// b, searching from `from`, or -1. Lines may end with CRLF or a bare LF.
func findHeadEnd(b []byte, from int) int {
	i := from
	for {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		k := i + j + 1 // just past this LF
		if k < len(b) && b[k] == '\n' {
			return k + 1
		}
		if k+1 < len(b) && b[k] == '\r' && b[k+1] == '\n' {
			return k + 2
		}
		if k >= len(b) || (k+1 >= len(b) && b[k] == '\r') {
			return -1
		}
		i = k
	}
}

// skipEmptyLines drops the empty lines a client may send between requests.
func skipEmptyLines(b []byte) int {
	n := 0
	for n < len(b) {
		switch {
		case b[n] == '\n':
			n++
		case b[n] == '\r' && n+1 < len(b) && b[n+1] == '\n':
			n += 2
		default:
			return n
		}
	}
	return n
}

// nextLine returns the line at the start of b without its terminator and
// the length consumed.
func nextLine(b []byte) ([]byte, int) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, len(b)
	}
	line := b[:i]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, i + 1
}

// parseHead parses a complete head (up to and including its empty line).
func parseHead(b []byte, secure bool) (*requestHead, *headError) {
	text := newHeadText(b)
	line, n := nextLine(b)
	b = b[n:]
	h := &requestHead{contentLength: -1, line: text.of(line)}
	if err := h.parseRequestLine(line, text); err != nil {
		return h, err
	}
	// room for the pseudo-headers and one field per line left in the head
	h.headers = make(httpspec.Headers, 4, 4+bytes.Count(b, []byte{'\n'}))
	scheme := "http"
	if secure {
		scheme = "https"
	}
	h.headers[0] = httpspec.Header{Name: httpspec.Method, Value: h.method}
	h.headers[1] = httpspec.Header{Name: httpspec.Scheme, Value: scheme}
	h.headers[2] = httpspec.Header{Name: httpspec.Authority}
	h.headers[3] = httpspec.Header{Name: httpspec.Path}
	path, authority, err := splitTarget(h.method, h.target)
	if err != nil {
		return h, err
	}
	h.headers[3].Value = path

	hosts := 0
	var connTokens []string
	var teSeen, upgrade bool
	for len(b) > 0 {
		line, n := nextLine(b)
		b = b[n:]
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return h, badRequest("obsolete line folding")
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return h, badRequest("malformed header line")
		}
		rawName := line[:colon]
		if !validToken(rawName) {
			return h, badRequest("invalid header name")
		}
		value := trimOWS(line[colon+1:])
		if !validFieldValue(value) {
			return h, badRequest("invalid header value")
		}
		name := lowerName(rawName)
		switch name {
		case "host":
			hosts++
			if hosts > 1 {
				return h, badRequest("more than one host header")
			}
			if authority == "" {
				authority = text.of(value)
			}
			continue
		case "content-length":
			cl, ok := parseContentLength(value)
			if !ok || (h.contentLength >= 0 && cl != h.contentLength) {
				return h, badRequest("invalid content-length")
			}
			h.contentLength = cl
		case "transfer-encoding":
			if teSeen || !strings.EqualFold(string(value), "chunked") {
				return h, &headError{status: 501, reason: "unsupported transfer-encoding"}
			}
			teSeen, h.chunked = true, true
			continue
		case "connection":
			for _, t := range strings.Split(string(value), ",") {
				if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
					connTokens = append(connTokens, t)
				}
			}
			continue
		case "expect":
			if !strings.EqualFold(string(value), "100-continue") {
				return h, &headError{status: 417, reason: "unsupported expectation"}
			}
			h.expectContinue = true
			continue
		case "upgrade":
			for _, t := range strings.Split(string(value), ",") {
				if strings.EqualFold(strings.TrimSpace(t), "h2c") {
					upgrade = true
				}
			}
			continue
		case "http2-settings":
			h.http2Settings = text.of(value)
			continue
		case "te":
			if !strings.EqualFold(string(value), "trailers") {
				continue
			}
		case "keep-alive", "proxy-connection":
			continue
		}
		h.headers = append(h.headers, httpspec.Header{Name: name, Value: text.of(value)})
	}
	if h.chunked && h.contentLength >= 0 {
		return h, badRequest("both content-length and transfer-encoding")
	}
	if authority == "" && h.minor >= 1 {
		return h, badRequest("missing host header")
	}
	h.headers[2].Value = authority
	h.keepAlive = h.minor >= 1
	for _, t := range connTokens {
		switch t {
		case "close":
			h.keepAlive = false
		case "keep-alive":
			h.keepAlive = h.keepAlive || h.minor == 0
		case "upgrade", "http2-settings":
		default:
			h.headers.Del(t) // a hop-by-hop header the client named
		}
	}
	h.upgradeH2C = upgrade && h.http2Settings != "" && contains(connTokens, "upgrade") && contains(connTokens, "http2-settings")
	return h, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (h *requestHead) parseRequestLine(line []byte, text headText) *headError {
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		return badRequest("malformed request line")
	}
	rest := line[sp1+1:]
	sp2 := bytes.IndexByte(rest, ' ')
	if sp2 <= 0 {
		return badRequest("malformed request line")
	}
	method, target, version := line[:sp1], rest[:sp2], rest[sp2+1:]
	if !validToken(method) {
		return badRequest("invalid method")
	}
	for _, c := range target {
		if c <= ' ' || c == 0x7f {
			return badRequest("invalid request target")
		}
	}
	switch string(version) {
	case "HTTP/1.1":
		h.minor = 1
	case "HTTP/1.0":
		h.minor = 0
	default:
		if len(version) == 8 && bytes.HasPrefix(version, []byte("HTTP/")) && isDigit(version[5]) && version[6] == '.' && isDigit(version[7]) {
			return &headError{status: 505, reason: "unsupported http version"}
		}
		return badRequest("malformed request line")
	}
	h.method = methodString(method)
	h.target = text.of(target)
	return nil
}

// headText is a request head copied into one string, so that the request
// line and every header value are substrings of it: one allocation per
// request instead of one per value.
type headText struct {
	b []byte
	s string
}

func newHeadText(b []byte) headText { return headText{b: b, s: string(b)} }

// of returns v, a subslice of the head, as a substring of the copy.
func (t headText) of(v []byte) string {
	if len(v) == 0 {
		return ""
	}
	i := cap(t.b) - cap(v)
	if i < 0 || i+len(v) > len(t.s) {
		return string(v) // not from this head after all
	}
	return t.s[i : i+len(v)]
}

// splitTarget returns the :path and the authority (absolute form only) of
// a request target.
func splitTarget(method, target string) (path, authority string, err *headError) {
	switch {
	case method == "CONNECT":
		return "", "", &headError{status: 501, reason: "CONNECT is not supported"}
	case target[0] == '/':
		return target, "", nil
	case target == "*":
		if method != "OPTIONS" {
			return "", "", badRequest("asterisk target on a method other than OPTIONS")
		}
		return "*", "", nil
	}
	rest, ok := cutSchemePrefix(target)
	if !ok {
		return "", "", badRequest("invalid request target")
	}
	slash := strings.IndexAny(rest, "/?")
	if slash < 0 {
		return "/", rest, nil
	}
	path = rest[slash:]
	if path[0] == '?' {
		path = "/" + path
	}
	return path, rest[:slash], nil
}

func cutSchemePrefix(s string) (string, bool) {
	for _, p := range []string{"http://", "https://"} {
		if len(s) > len(p) && strings.EqualFold(s[:len(p)], p) {
			return s[len(p):], true
		}
	}
	return "", false
}

func parseContentLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// tokenChars marks the characters of an RFC 9110 token.
var tokenChars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func validToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tokenChars[c] {
			return false
		}
	}
	return true
}

func validTokenString(s string) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenChars[s[i]] {
			return false
		}
	}
	return true
}

// validFieldValue accepts visible characters, spaces, tabs and obs-text.
func validFieldValue(b []byte) bool {
	for _, c := range b {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

func validFieldValueString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// commonNames holds lower-case header names, so that parsing the usual
// headers allocates no name.
var commonNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{"host", "user-agent", "accept", "accept-encoding", "accept-language",
		"content-type", "content-length", "connection", "cookie", "authorization", "origin",
		"referer", "cache-control", "if-none-match", "if-modified-since", "transfer-encoding",
		"expect", "upgrade", "http2-settings", "te", "keep-alive", "x-forwarded-for",
		"x-forwarded-proto", "x-request-id", "last-event-id", "access-control-request-method",
		"access-control-request-headers", "prefer", "idempotency-key", "pragma", "range",
		"content-encoding", "date", "server", "location", "etag", "vary", "trailer"} {
		m[n] = n
	}
	return m
}()

// lowerName returns the lower-case form of a header name.
func lowerName(b []byte) string {
	var buf [64]byte
	if len(b) <= len(buf) {
		l := buf[:len(b)]
		for i, c := range b {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			l[i] = c
		}
		if s, ok := commonNames[string(l)]; ok {
			return s
		}
		return string(l)
	}
	return strings.ToLower(string(b))
}

// methodString avoids allocating the usual methods.
func methodString(b []byte) string {
	switch string(b) {
	case "GET":
		return "GET"
	case "POST":
		return "POST"
	case "PUT":
		return "PUT"
	case "DELETE":
		return "DELETE"
	case "HEAD":
		return "HEAD"
	case "OPTIONS":
		return "OPTIONS"
	case "PATCH":
		return "PATCH"
	}
	return string(b)
}

// appendCanonical appends a header name in canonical case
// (Content-Type), as HTTP/1.1 responses traditionally spell them.
func appendCanonical(dst []byte, name string) []byte {
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		upper = c == '-'
		dst = append(dst, c)
	}
	return dst
}

// hopByHop reports response fields that belong to one connection and are
// never copied from a stream to the wire.
func hopByHop(name string) bool {
	switch name {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "http2-settings":
		return true
	}
	return false
}
