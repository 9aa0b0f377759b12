package engine

import (
	"fmt"
	"regexp"
	"strings"
)

// CompilePattern compiles a route pattern as Zilla reads them: `*` matches
// any run of characters, `{name}` captures a named parameter (at least one
// character), and everything else is literal. The whole value must match.
func CompilePattern(pattern string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(pattern); {
		switch c := pattern[i]; c {
		case '*':
			b.WriteString(".*")
			i++
		case '{':
			end := strings.IndexByte(pattern[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("pattern %q: unclosed {", pattern)
			}
			name := pattern[i+1 : i+end]
			if !paramName.MatchString(name) {
				return nil, fmt.Errorf("pattern %q: invalid parameter name %q", pattern, name)
			}
			b.WriteString("(?P<" + name + ">.+)")
			i += end + 1
		default:
			j := i
			for j < len(pattern) && pattern[j] != '*' && pattern[j] != '{' {
				j++
			}
			b.WriteString(regexp.QuoteMeta(pattern[i:j]))
			i = j
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

var paramName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// MustCompilePattern is CompilePattern for patterns known to be valid.
func MustCompilePattern(pattern string) *regexp.Regexp {
	re, err := CompilePattern(pattern)
	if err != nil {
		panic(err)
	}
	return re
}
