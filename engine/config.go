package engine

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// Config is a loaded, validated zilla.yaml: one Namespace per YAML document.
type Config struct {
	// File is the configuration file as given; Dir is its folder, against
	// which relative file references are resolved.
	File string
	Dir  string
	// Namespaces holds the documents in file order.
	Namespaces []*Namespace
	// Warnings lists what loading noticed but accepted, such as an
	// unset environment variable.
	Warnings []string

	registry *Registry // the registry that validated it
}

// Namespace is one YAML document of a zilla.yaml.
type Namespace struct {
	Name      string
	Bindings  []*BindingConfig
	Guards    []*ComponentConfig
	Vaults    []*ComponentConfig
	Catalogs  []*ComponentConfig
	Telemetry TelemetryConfig
}

// TelemetryConfig is a namespace's `telemetry` block.
type TelemetryConfig struct {
	Attributes map[string]string
	Metrics    []string
	Exporters  []*ComponentConfig
}

// ComponentConfig is one configured guard, vault, catalog or exporter.
type ComponentConfig struct {
	Namespace string
	Name      string
	Type      string
	// Vault is the qualified name of the component's vault, if any.
	Vault string
	// Options holds the pointer returned by the type's NewOptions, decoded.
	Options any
	Pos     Position

	doc    *document
	tokens []string
}

func (c *ComponentConfig) errorAt(path string, err error) *ConfigError {
	tokens := append(slices.Clone(c.tokens), splitPath(path)...)
	if c.doc == nil {
		return &ConfigError{Pos: Position{Path: displayPath(tokens)}, Msg: err.Error()}
	}
	return &ConfigError{Pos: c.doc.position(tokens), Msg: err.Error()}
}

// QName returns the component's qualified name, namespace:name.
func (c *ComponentConfig) QName() string { return c.Namespace + ":" + c.Name }

// BindingConfig is one configured binding.
type BindingConfig struct {
	Namespace string
	Name      string
	Type      string
	Kind      Kind
	// Vault is the qualified name of the binding's vault, if any.
	Vault string
	// Catalogs lists the binding-level catalog references.
	Catalogs []CatalogRef
	// Options holds the pointer returned by the type's NewOptions, decoded;
	// nil when the binding has no options block.
	Options any
	// Routes holds the routes in order; a binding-level exit is the last
	// route, without conditions.
	Routes []*RouteConfig
	// Exit and Entry are qualified binding names, or empty.
	Exit  string
	Entry string
	// Telemetry holds the binding's metric patterns and attributes.
	Telemetry BindingTelemetry
	Pos       Position

	doc *document // positions, for errors found after loading
}

// Errorf returns a ConfigError positioned at path, relative to the binding
// (for example "options.port").
func (b *BindingConfig) Errorf(path string, format string, args ...any) *ConfigError {
	return b.errorAt(path, fmt.Errorf(format, args...))
}

func (b *BindingConfig) errorAt(path string, err error) *ConfigError {
	tokens := append([]string{"bindings", b.Name}, splitPath(path)...)
	if b.doc == nil {
		return &ConfigError{Pos: Position{Path: displayPath(tokens)}, Msg: err.Error()}
	}
	if path == "" {
		return &ConfigError{Pos: b.doc.keyPosition(tokens), Msg: err.Error()}
	}
	return &ConfigError{Pos: b.doc.position(tokens), Msg: err.Error()}
}

// QName returns the binding's qualified name, namespace:name.
func (b *BindingConfig) QName() string { return b.Namespace + ":" + b.Name }

// BindingTelemetry is a binding's `telemetry` block.
type BindingTelemetry struct {
	Metrics    []string
	Attributes map[string]string
}

// CatalogRef names a catalog and the schemas a binding uses from it.
type CatalogRef struct {
	Catalog string // qualified
	Schemas []SchemaRef
}

// SchemaRef is one schema reference: by id, by subject, or by strategy.
type SchemaRef struct {
	ID       int    `json:"id,omitempty"`
	Subject  string `json:"subject,omitempty"`
	Strategy string `json:"strategy,omitempty"`
	Version  string `json:"version,omitempty"`
	Record   string `json:"record,omitempty"`
}

// RouteConfig is one route of a binding.
type RouteConfig struct {
	// When holds the decoded conditions (pointers returned by the type's
	// NewCondition); a route matches when any of them does, or always when
	// there are none.
	When []any
	// With holds the decoded `with` block, or nil.
	With any
	// Exit is the qualified name of the route's exit binding.
	Exit string
	// Guarded maps qualified guard names to the roles each requires.
	Guarded map[string][]string
	Pos     Position

	path string // relative to the binding: routes.N or exit
}

// ResolvePath returns a file reference from the configuration as a path:
// relative paths are taken from the configuration file's folder.
func (c *Config) ResolvePath(p string) string {
	if p == "" || filepath.IsAbs(p) || strings.Contains(p, "://") {
		return p
	}
	return filepath.Join(c.Dir, p)
}

// Binding returns the binding with a qualified name.
func (c *Config) Binding(qname string) *BindingConfig {
	for _, ns := range c.Namespaces {
		for _, b := range ns.Bindings {
			if b.QName() == qname {
				return b
			}
		}
	}
	return nil
}

// qualify returns name qualified with ns unless it already names a namespace.
func qualify(ns, name string) string {
	if name == "" || strings.Contains(name, ":") {
		return name
	}
	return ns + ":" + name
}
