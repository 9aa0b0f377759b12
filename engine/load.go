package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// LoadOption adjusts how a configuration is loaded.
type LoadOption func(*loadSettings)

type loadSettings struct {
	env func(string) (string, bool)
}

// WithEnv sets the lookup used for ${{env.NAME}}; the default is
// os.LookupEnv.
func WithEnv(lookup func(name string) (string, bool)) LoadOption {
	return func(s *loadSettings) { s.env = lookup }
}

// Load reads and validates a zilla.yaml with the global registry.
func Load(path string, opts ...LoadOption) (*Config, error) { return global.Load(path, opts...) }

// Load reads a zilla.yaml file and validates it against r. The error, if
// any, is ConfigErrors listing every problem found, each with the file,
// line and YAML path.
func (r *Registry) Load(path string, opts ...LoadOption) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return r.Parse(path, data, opts...)
}

// Parse validates configuration text as if read from file, which names the
// file in messages and anchors relative paths.
//
// Loading happens in stages, each reporting every problem it finds:
// ${{env.NAME}} substitution; YAML parsing, one namespace per document;
// validation against the composed JSON Schema; strict decoding of every
// options, when and with block into the types' Go structs; and checks that
// each reference (exit, entry, vault, guard, catalog) names something of
// a compatible kind, with no cycle of exits.
func (r *Registry) Parse(file string, data []byte, opts ...LoadOption) (*Config, error) {
	settings := loadSettings{env: os.LookupEnv}
	for _, o := range opts {
		o(&settings)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		abs = file
	}
	cfg := &Config{File: file, Dir: filepath.Dir(abs), registry: r}
	var errs ConfigErrors

	text, warnings, substErrs := substitute(file, data, settings.env)
	cfg.Warnings = warnings
	errs = append(errs, substErrs...)

	docs, yamlErrs := parseDocuments(file, text)
	errs = append(errs, yamlErrs...)
	if len(docs) == 0 && len(errs) == 0 {
		errs = append(errs, &ConfigError{Pos: Position{File: file}, Msg: "no namespace: the file holds no YAML document"})
	}
	if len(errs) > 0 {
		return nil, errs.sorted()
	}

	v, err := r.compiledFor(typesOf(docs))
	if err != nil {
		return nil, err
	}
	var valid []*document
	for _, d := range docs {
		errs = append(errs, d.errs...)
		if len(d.errs) > 0 {
			continue
		}
		if verr := v.schema.Validate(d.root); verr != nil {
			before := len(errs)
			errs = append(errs, v.schemaErrors(d, verr)...)
			if len(errs) > before {
				continue
			}
		}
		valid = append(valid, d)
	}
	for _, d := range valid {
		cfg.Warnings = append(cfg.Warnings, telemetryWarnings(d)...)
		ns, nsErrs := r.buildNamespace(d)
		errs = append(errs, nsErrs...)
		cfg.Namespaces = append(cfg.Namespaces, ns)
	}
	if len(errs) > 0 {
		return nil, errs.sorted()
	}
	if errs := r.checkReferences(cfg); len(errs) > 0 {
		return nil, errs.sorted()
	}
	return cfg, nil
}

// exprPattern matches ${{ context.NAME }} as Zilla does.
var exprPattern = regexp.MustCompile(`\$\{\{\s*([^\s\}\.]*)\.([^\s\}]*)\s*\}\}`)

// substitute replaces ${{env.NAME}} in the raw text, before YAML parsing,
// so numbers and booleans from the environment are typed (and validated)
// like literals. An unset variable becomes the empty string with a
// warning, as in Zilla; an unknown context is an error.
func substitute(file string, data []byte, env func(string) (string, bool)) ([]byte, []string, ConfigErrors) {
	var warnings []string
	var errs ConfigErrors
	lineOf := func(offset int) int { return bytes.Count(data[:offset], []byte("\n")) + 1 }
	var out bytes.Buffer
	last := 0
	for _, m := range exprPattern.FindAllSubmatchIndex(data, -1) {
		out.Write(data[last:m[0]])
		last = m[1]
		ctx, name := string(data[m[2]:m[3]]), string(data[m[4]:m[5]])
		line := lineOf(m[0])
		if ctx != "env" {
			errs = append(errs, &ConfigError{Pos: Position{File: file, Line: line},
				Msg: fmt.Sprintf("unknown expression context %q in %s (expected env)", ctx, data[m[0]:m[1]])})
			continue
		}
		value, ok := env(name)
		if !ok {
			warnings = append(warnings, fmt.Sprintf("%s:%d: environment variable %s is not set; using an empty value", file, line, name))
		}
		out.WriteString(value)
	}
	out.Write(data[last:])
	return out.Bytes(), warnings, errs
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func parseDocuments(file string, text []byte) ([]*document, ConfigErrors) {
	dec := yaml.NewDecoder(bytes.NewReader(text))
	var docs []*document
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			pos := Position{File: file}
			msg := err.Error()
			if m := yamlLine.FindStringSubmatch(msg); m != nil {
				fmt.Sscan(m[1], &pos.Line)
				msg = m[2]
			}
			return docs, ConfigErrors{{Pos: pos, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}}
		}
		if len(n.Content) == 0 {
			continue // an empty document, such as after a trailing ---
		}
		docs = append(docs, newDocument(file, &n))
	}
}
