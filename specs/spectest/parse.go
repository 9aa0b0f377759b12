package spectest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Script is a parsed spec script: one side of a scenario, as blocks that
// each connect or accept one connection or stream.
type Script struct {
	Name       string
	Properties map[string]string
	Blocks     []*Block
}

// Block is one connection or stream, from its connect or accept line.
type Block struct {
	Line   int
	Accept bool   // accept rather than connect
	URI    string // tcp://host:port or app://binding
	// Window is the credit granted to the peer (application level), and
	// Padding the credit each Data frame costs beyond its payload.
	Window   int
	Padding  int
	Commands []*Command
}

// Level returns "network" for tcp:// blocks and "application" for app://.
func (b *Block) Level() string {
	if strings.HasPrefix(b.URI, "app://") {
		return "application"
	}
	return "network"
}

// Command is one write, read, notify or await line.
type Command struct {
	Line  int
	Text  string // the line as written, for messages
	Write bool   // write, or read
	// Op is the frame type (application level: begin, data, end, abort,
	// flush, reset, challenge) or, at network level, "bytes", "close",
	// "abort", "closed", "aborted"; "notify" and "await" for barriers.
	Op      string
	Value   *Value    // payload to write or expect
	Ext     *ExtValue // extension to write or expect
	Flags   uint8
	HasFlag bool
	Barrier string
}

// Value is a payload: literal bytes, a regular expression (reads), or a
// generated pattern of N bytes.
type Value struct {
	Bytes   []byte
	Pattern *regexp.Regexp
	Null    bool // no payload at all, as opposed to an empty one
}

// ExtValue is an extension written as `protocol:name { json }`.
type ExtValue struct {
	Type string // e.g. "http:begin"
	JSON json.RawMessage
}

// ParseFile reads and parses a script file; see Parse.
func ParseFile(path string, properties map[string]string) (*Script, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src, properties)
}

// Parse parses script text; name is used in messages. ${name} anywhere in
// the text is replaced by the property of that name: from properties when
// given there, else from the script's own `property` lines.
func Parse(name string, src []byte, properties map[string]string) (*Script, error) {
	lines, props, err := substituteProperties(name, strings.Split(string(src), "\n"), properties)
	if err != nil {
		return nil, err
	}
	p := &parser{name: name, lines: lines}
	s := &Script{Name: name, Properties: props}
	var cur *Block
	for p.next() {
		toks, err := p.tokens()
		if err != nil {
			return nil, err
		}
		if len(toks) == 0 {
			continue
		}
		switch toks[0].word() {
		case "property":
			// collected by substituteProperties
		case "connect", "accept":
			b, err := p.block(toks)
			if err != nil {
				return nil, err
			}
			cur = b
			s.Blocks = append(s.Blocks, b)
		case "connected", "accepted":
			if cur == nil {
				return nil, p.errorf("%s before connect or accept", toks[0].text)
			}
		case "write", "read", "notify", "await":
			if cur == nil {
				return nil, p.errorf("%s before connect or accept", toks[0].text)
			}
			c, err := p.command(cur, toks)
			if err != nil {
				return nil, err
			}
			cur.Commands = append(cur.Commands, c)
		default:
			return nil, p.errorf("unknown command %q", toks[0].text)
		}
	}
	if len(s.Blocks) == 0 {
		return nil, fmt.Errorf("%s: no connect or accept", name)
	}
	return s, nil
}

var propertyRef = regexp.MustCompile(`\$\{([a-zA-Z_][a-zA-Z0-9_.]*)\}`)

// substituteProperties collects `property name value` lines, lets the
// caller's properties override them, and replaces ${name} on every line.
func substituteProperties(name string, lines []string, overrides map[string]string) ([]string, map[string]string, error) {
	props := map[string]string{}
	for i, line := range lines {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "property" {
			continue
		}
		value := strings.TrimSpace(line)
		value = strings.TrimSpace(strings.TrimPrefix(value, "property"))
		value = strings.TrimSpace(strings.TrimPrefix(value, f[1]))
		if uq, err := strconv.Unquote(value); err == nil {
			value = uq
		} else if strings.HasPrefix(value, `"`) {
			return nil, nil, fmt.Errorf("%s:%d: invalid property value %s", name, i+1, value)
		}
		props[f[1]] = value
	}
	for k, v := range overrides {
		props[k] = v
	}
	out := make([]string, len(lines))
	for i, line := range lines {
		var missing string
		out[i] = propertyRef.ReplaceAllStringFunc(line, func(ref string) string {
			key := ref[2 : len(ref)-1]
			v, ok := props[key]
			if !ok {
				missing = key
			}
			return v
		})
		if missing != "" {
			return nil, nil, fmt.Errorf("%s:%d: property %q is not defined", name, i+1, missing)
		}
	}
	return out, props, nil
}

type parser struct {
	name  string
	lines []string
	n     int // 1-based line number of the current line
	line  string
	start int // first line of the current command
}

func (p *parser) next() bool {
	if p.n >= len(p.lines) {
		return false
	}
	p.line = p.lines[p.n]
	p.n++
	p.start = p.n
	return true
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.name, p.start, fmt.Sprintf(format, args...))
}

type tokKind int

const (
	tokWord tokKind = iota
	tokString
	tokRegexp
	tokJSON
)

type token struct {
	kind tokKind
	text string
}

func (t token) word() string {
	if t.kind == tokWord {
		return t.text
	}
	return ""
}

// tokens splits the current line (and, for a JSON object left open, the
// lines after it) into tokens.
func (p *parser) tokens() ([]token, error) {
	var toks []token
	s := p.line
	for {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		if s == "" || s[0] == '#' {
			return toks, nil
		}
		switch s[0] {
		case '"':
			end := closingQuote(s)
			if end < 0 {
				return nil, p.errorf("unterminated string")
			}
			text, err := strconv.Unquote(s[:end+1])
			if err != nil {
				return nil, p.errorf("invalid string %s: %v", s[:end+1], err)
			}
			toks = append(toks, token{tokString, text})
			s = s[end+1:]
		case '/':
			end := closingSlash(s)
			if end < 0 {
				return nil, p.errorf("unterminated regular expression")
			}
			toks = append(toks, token{tokRegexp, s[1:end]})
			s = s[end+1:]
		case '{', '[':
			text, rest, err := p.json(s)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tokJSON, text})
			s = rest
		default:
			end := strings.IndexFunc(s, unicode.IsSpace)
			if end < 0 {
				end = len(s)
			}
			toks = append(toks, token{tokWord, s[:end]})
			s = s[end:]
		}
	}
}

// json reads a JSON value starting at s, continuing onto following lines
// until it is complete.
func (p *parser) json(s string) (string, string, error) {
	buf := s
	for {
		dec := json.NewDecoder(strings.NewReader(buf))
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == nil {
			used := int(dec.InputOffset())
			return string(raw), buf[used:], nil
		}
		if p.n >= len(p.lines) || !isIncomplete(err) {
			return "", "", p.errorf("invalid JSON: %v", err)
		}
		p.line = p.lines[p.n]
		p.n++
		buf += "\n" + p.line
	}
}

func isIncomplete(err error) bool {
	return strings.Contains(err.Error(), "unexpected EOF") || err.Error() == "EOF"
}

func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

func closingSlash(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '/':
			return i
		}
	}
	return -1
}

func (p *parser) block(toks []token) (*Block, error) {
	if len(toks) < 2 || toks[1].kind != tokString {
		return nil, p.errorf("%s needs a quoted URI", toks[0].text)
	}
	b := &Block{Line: p.start, Accept: toks[0].text == "accept", URI: toks[1].text, Window: defaultWindow}
	if !strings.HasPrefix(b.URI, "app://") && !strings.HasPrefix(b.URI, "tcp://") {
		return nil, p.errorf("URI %q: expected app://binding or tcp://host:port", b.URI)
	}
	for i := 2; i < len(toks); i += 2 {
		if i+1 >= len(toks) {
			return nil, p.errorf("option %q needs a value", toks[i].text)
		}
		switch toks[i].word() {
		case "window":
			n, err := strconv.Atoi(toks[i+1].text)
			if err != nil || n <= 0 {
				return nil, p.errorf("window needs a positive number")
			}
			b.Window = n
		case "padding":
			n, err := strconv.Atoi(toks[i+1].text)
			if err != nil || n < 0 {
				return nil, p.errorf("padding needs a number of bytes")
			}
			b.Padding = n
		default:
			return nil, p.errorf("unknown option %q", toks[i].text)
		}
	}
	return b, nil
}

var frameOps = map[string]bool{"begin": true, "data": true, "end": true, "abort": true,
	"flush": true, "reset": true, "challenge": true}

func (p *parser) command(b *Block, toks []token) (*Command, error) {
	c := &Command{Line: p.start, Text: strings.TrimSpace(p.line), Write: toks[0].text == "write"}
	if toks[0].text == "notify" || toks[0].text == "await" {
		if len(toks) != 2 || toks[1].kind != tokWord {
			return nil, p.errorf("%s needs a barrier name", toks[0].text)
		}
		c.Op, c.Barrier = toks[0].text, toks[1].text
		return c, nil
	}
	// `write notify X` and `read await X`, as k3po writes them.
	if len(toks) == 3 && (toks[1].word() == "notify" || toks[1].word() == "await") {
		c.Op, c.Barrier = toks[1].text, toks[2].text
		return c, nil
	}
	if len(toks) < 2 {
		return nil, p.errorf("%s needs something to %s", toks[0].text, toks[0].text)
	}
	rest := toks[1:]
	if b.Level() == "network" {
		return p.networkCommand(c, rest)
	}
	op := rest[0].word()
	if !frameOps[op] {
		return nil, p.errorf("unknown frame %q (expected begin, data, end, abort, flush, reset or challenge)", rest[0].text)
	}
	c.Op = op
	rest = rest[1:]
	if op == "data" {
		if len(rest) == 0 {
			return nil, p.errorf("data needs a value")
		}
		v, err := p.value(rest[0], !c.Write)
		if err != nil {
			return nil, err
		}
		c.Value = v
		rest = rest[1:]
	}
	if len(rest) >= 2 && rest[0].word() == "flags" {
		f, err := parseFlags(rest[1].text)
		if err != nil {
			return nil, p.errorf("%v", err)
		}
		c.Flags, c.HasFlag = f, true
		rest = rest[2:]
	}
	if len(rest) > 0 {
		if len(rest) != 2 || rest[0].kind != tokWord || !strings.Contains(rest[0].text, ":") || rest[1].kind != tokJSON {
			return nil, p.errorf("expected an extension as protocol:name {json}")
		}
		c.Ext = &ExtValue{Type: rest[0].text, JSON: json.RawMessage(rest[1].text)}
	}
	return c, nil
}

func (p *parser) networkCommand(c *Command, rest []token) (*Command, error) {
	switch w := rest[0].word(); w {
	case "close", "abort":
		if !c.Write {
			return nil, p.errorf("read %s: expected read closed or read aborted", w)
		}
		c.Op = w
		return c, nil
	case "closed", "aborted":
		if c.Write {
			return nil, p.errorf("write %s: expected write close or write abort", w)
		}
		c.Op = w
		return c, nil
	}
	if len(rest) != 1 {
		return nil, p.errorf("expected one value")
	}
	v, err := p.value(rest[0], !c.Write)
	if err != nil {
		return nil, err
	}
	c.Op, c.Value = "bytes", v
	return c, nil
}

func (p *parser) value(t token, read bool) (*Value, error) {
	switch t.kind {
	case tokString:
		return &Value{Bytes: []byte(t.text)}, nil
	case tokRegexp:
		if !read {
			return nil, p.errorf("a regular expression can only be read")
		}
		re, err := regexp.Compile(`^(?s:` + t.text + `)`)
		if err != nil {
			return nil, p.errorf("invalid regular expression: %v", err)
		}
		return &Value{Pattern: re}, nil
	case tokWord:
		switch {
		case t.text == "null":
			return &Value{Null: true}, nil
		case t.text == "empty":
			return &Value{Bytes: []byte{}}, nil
		case strings.HasPrefix(t.text, "hex:"):
			b, err := hex.DecodeString(strings.TrimPrefix(t.text, "hex:"))
			if err != nil {
				return nil, p.errorf("invalid hex: %v", err)
			}
			return &Value{Bytes: b}, nil
		case strings.HasPrefix(t.text, "bytes:"):
			n, err := strconv.Atoi(strings.TrimPrefix(t.text, "bytes:"))
			if err != nil || n < 0 || n > 1<<30 {
				return nil, p.errorf("invalid bytes:N")
			}
			return &Value{Bytes: Pattern(n)}, nil
		}
	}
	return nil, p.errorf("invalid value %q (expected \"text\", hex:..., bytes:N, empty, null or /regexp/)", t.text)
}

// Pattern returns n bytes of the repeating pattern that bytes:N denotes, so
// that a binding test can produce or check the same payload.
func Pattern(n int) []byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	return bytes.Repeat([]byte(alphabet), n/len(alphabet)+1)[:n]
}

func parseFlags(s string) (uint8, error) {
	var f uint8
	for _, name := range strings.Split(s, ",") {
		switch name {
		case "init":
			f |= flagInit
		case "fin":
			f |= flagFin
		case "incomplete":
			f |= flagIncomplete
		case "none":
		default:
			return 0, fmt.Errorf("unknown flag %q (expected init, fin, incomplete or none)", name)
		}
	}
	return f, nil
}
