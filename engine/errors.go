package engine

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Position locates a value in a configuration file.
type Position struct {
	File   string
	Line   int
	Column int
	// Path is the YAML path of the value, such as bindings.tcp0.options.port.
	Path string
}

// String renders the position as file:line: path.
func (p Position) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	if p.Path != "" {
		b.WriteString(": ")
		b.WriteString(p.Path)
	}
	return b.String()
}

// ConfigError is one problem found in a configuration.
type ConfigError struct {
	Pos Position
	Msg string
}

// Error renders the problem as file:line: yaml.path: message.
func (e *ConfigError) Error() string {
	if e.Pos.File == "" && e.Pos.Path == "" {
		return e.Msg
	}
	return e.Pos.String() + ": " + e.Msg
}

// ConfigErrors lists every problem found in a configuration; loading
// reports all of them at once.
type ConfigErrors []*ConfigError

// Error renders one problem per line, in file order.
func (es ConfigErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	if len(es) == 1 {
		return lines[0]
	}
	return fmt.Sprintf("%d problems in configuration:\n  %s", len(es), strings.Join(lines, "\n  "))
}

func (es ConfigErrors) sorted() ConfigErrors {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i].Pos, es[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	// drop exact duplicates, which alternative schema branches can produce
	out := es[:0]
	seen := map[string]bool{}
	for _, e := range es {
		k := e.Error()
		if !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}

// FieldError is returned by a constructor to say which value of its
// configuration is wrong. Path is relative to the binding or component (for
// example "options.port" or "routes.0.when.0.cidr"); the engine turns it
// into a ConfigError with the file and line.
type FieldError struct {
	Path string
	Err  error
}

// Error renders the path and the cause.
func (e *FieldError) Error() string { return e.Path + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

// FieldErrorf builds a FieldError from a format.
func FieldErrorf(path, format string, args ...any) *FieldError {
	return &FieldError{Path: path, Err: fmt.Errorf(format, args...)}
}

// fieldErrors expands err into the field errors it holds (errors.Join and
// FieldError are understood); anything else is one error without a path.
func fieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var fe *FieldError
		if errors.As(err, &fe) {
			out = append(out, fe)
			return
		}
		out = append(out, &FieldError{Err: err})
	}
	walk(err)
	return out
}
