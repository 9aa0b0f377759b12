package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"slices"
	"sync"
)

// Kind is a binding's role, as written in the `kind` key.
type Kind string

// The binding kinds of the zilla.yaml dialect.
const (
	KindServer       Kind = "server"
	KindClient       Kind = "client"
	KindProxy        Kind = "proxy"
	KindRemoteServer Kind = "remote_server"
	KindRemoteClient Kind = "remote_client"
	KindCacheClient  Kind = "cache_client"
	KindCacheServer  Kind = "cache_server"
)

// AllKinds lists every kind, in schema order.
var AllKinds = []Kind{KindServer, KindClient, KindProxy, KindRemoteServer, KindRemoteClient, KindCacheClient, KindCacheServer}

// KindSpec describes what one kind of a binding type does with streams. The
// engine uses it to check, before anything starts, that every exit accepts
// the streams routed to it.
type KindSpec struct {
	Kind Kind
	// Accepts names the stream protocol the kind accepts from bindings that
	// route to it: "" for an origin that only opens streams, "*" for any.
	Accepts string
	// Opens names the protocol of the streams the kind opens toward its
	// exits: "" for a terminal kind, which must have no exit.
	Opens string
	// ExitOptional allows a kind that opens streams to have no exit, for a
	// binding that can reach its peers by itself (a kafka client dialing
	// the cluster directly).
	ExitOptional bool
	// Entry, when set, requires an `entry` naming a binding that opens
	// streams of this protocol (remote_server kinds).
	Entry string
}

// Stream protocol names used in KindSpec. A protocol names what the frames of
// a stream carry: "tcp" streams carry octets with tcp begin extensions,
// "http" streams carry one exchange with http begin extensions, and so on.
const (
	ProtocolAny = "*"
)

// Binding is the runtime of one configured binding, built by
// BindingType.New. It takes part in the engine's life cycle through optional
// interfaces: Acceptor (it accepts streams routed to it), Starter (it opens
// ports or connections at start), Drainer (it stops taking new work when a
// graceful shutdown begins) and io.Closer (it releases what it holds).
type Binding interface{}

// Acceptor is implemented by bindings that accept streams. Accept is called
// on the opener's Executor with the Begin frame; it returns the Receiver for
// the frames of the new stream (starting with that Begin), or an error,
// which Open returns to the opener. Accept must not block.
type Acceptor interface {
	Accept(s *Stream, begin *Frame) (Receiver, error)
}

// Starter is implemented by bindings that acquire resources at start
// (listening sockets, cluster connections). An error stops the start.
type Starter interface {
	Start(ctx context.Context) error
}

// Drainer is implemented by bindings that take new work from outside (a
// listening socket). Drain stops taking it; streams already open go on.
type Drainer interface {
	Drain()
}

// BindingType registers a binding type: its name, kinds, schema fragment,
// typed configuration and constructor.
type BindingType struct {
	// Name is the value of `type` in zilla.yaml, such as "tcp".
	Name string
	// Kinds lists the kinds this type supports.
	Kinds []KindSpec
	// Schema is a JSON Schema (draft 2020-12) applied to every binding of
	// this type, on top of the engine's base schema for bindings. It
	// narrows `kind` and describes `options`, `routes[].when` and
	// `routes[].with`. Internal references resolve within the fragment.
	Schema []byte
	// NewOptions, NewCondition and NewWith return pointers to zero values
	// of the typed `options`, route `when` item and route `with` blocks,
	// decoded strictly from the validated configuration. Nil when the type
	// has none.
	NewOptions   func() any
	NewCondition func() any
	NewWith      func() any
	// New builds the runtime for one configured binding. It must not open
	// ports or connections: that belongs in Start, so that validating a
	// configuration has no side effects.
	New func(bc *BindingContext) (Binding, error)
}

// Kind returns the spec of kind k, or false when the type does not support it.
func (t *BindingType) Kind(k Kind) (KindSpec, bool) {
	for _, ks := range t.Kinds {
		if ks.Kind == k {
			return ks, true
		}
	}
	return KindSpec{}, false
}

// ComponentType registers a guard, vault, catalog or exporter type. They
// share one shape: a name, a schema fragment for `options`, typed options
// and a constructor.
type ComponentType[T any] struct {
	Name       string
	Schema     []byte
	NewOptions func() any
	New        func(cc *ComponentContext) (T, error)
}

// GuardType registers a guard type.
type GuardType = ComponentType[Guard]

// VaultType registers a vault type.
type VaultType = ComponentType[Vault]

// CatalogType registers a catalog type.
type CatalogType = ComponentType[Catalog]

// ExporterType registers a telemetry exporter type.
type ExporterType = ComponentType[Exporter]

// Guard authorizes streams. Authorization values on Begin frames are guard
// sessions; a route's `guarded` roles are checked with Verify.
type Guard interface {
	// Verify reports whether the session holds every one of roles.
	Verify(session uint64, roles []string) bool
}

// GuardIdentity is implemented by guards whose sessions have an identity,
// what `${guarded['name'].identity}` expands to.
type GuardIdentity interface {
	Identity(session uint64) string
}

// GuardAttributes is implemented by guards whose sessions carry named
// attributes, what `${guarded['name'].attributes.x}` expands to.
type GuardAttributes interface {
	Attribute(session uint64, name string) string
}

// GuardCredentials is implemented by guards that hold credentials a binding
// presents on the session's behalf (an inline guard's, for Kafka SASL).
type GuardCredentials interface {
	Credentials(session uint64) string
}

// Vault supplies key material to bindings by alias.
type Vault interface {
	// Key returns the private key and certificate chain stored under alias.
	Key(alias string) (*tls.Certificate, error)
	// Trust returns the trusted certificate stored under alias.
	Trust(alias string) (*x509.Certificate, error)
	// Signer returns the signer (CA) certificate stored under alias.
	Signer(alias string) (*x509.Certificate, error)
	// KeyAliases, TrustAliases and SignerAliases list what each store holds.
	KeyAliases() []string
	TrustAliases() []string
	SignerAliases() []string
}

// Catalog resolves schemas for models by id or subject.
type Catalog interface {
	// Resolve returns the schema text with the given id.
	Resolve(id int) (string, error)
}

// Exporter publishes telemetry. It is started with the engine and closed
// with it.
type Exporter interface {
	Start(ctx context.Context, metrics *Metrics) error
	Close() error
}

// Registry holds the types a build knows. The package-level Register
// functions fill the global registry that the standard `sluice` binary
// uses; tests and custom builds make isolated ones with NewRegistry.
type Registry struct {
	mu        sync.RWMutex
	bindings  map[string]*BindingType
	guards    map[string]*GuardType
	vaults    map[string]*VaultType
	catalogs  map[string]*CatalogType
	exporters map[string]*ExporterType
	schema    []byte // composed schema, built on first use

	// validators holds compiled schemas by the set of types they cover
	// (see compiledFor); registering a type empties it.
	validators map[string]*validator
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{
		bindings:  map[string]*BindingType{},
		guards:    map[string]*GuardType{},
		vaults:    map[string]*VaultType{},
		catalogs:  map[string]*CatalogType{},
		exporters: map[string]*ExporterType{},
	}
}

var global = NewRegistry()

// Global returns the registry filled by the package-level Register functions.
func Global() *Registry { return global }

// RegisterBinding adds a binding type to the global registry. It panics on
// a duplicate or incomplete registration: that is a programming error,
// caught the moment the program starts.
func RegisterBinding(t BindingType) { global.RegisterBinding(t) }

// RegisterGuard adds a guard type to the global registry.
func RegisterGuard(t GuardType) { global.RegisterGuard(t) }

// RegisterVault adds a vault type to the global registry.
func RegisterVault(t VaultType) { global.RegisterVault(t) }

// RegisterCatalog adds a catalog type to the global registry.
func RegisterCatalog(t CatalogType) { global.RegisterCatalog(t) }

// RegisterExporter adds an exporter type to the global registry.
func RegisterExporter(t ExporterType) { global.RegisterExporter(t) }

// RegisterBinding adds a binding type to r; see the package function.
func (r *Registry) RegisterBinding(t BindingType) {
	if t.Name == "" || t.New == nil || len(t.Kinds) == 0 || len(t.Schema) == 0 {
		panic(fmt.Sprintf("engine: binding type %q registered without a name, kinds, schema or constructor", t.Name))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.bindings[t.Name]; dup {
		panic(fmt.Sprintf("engine: binding type %q registered twice", t.Name))
	}
	r.bindings[t.Name] = &t
	r.schema, r.validators = nil, nil
}

// RegisterGuard adds a guard type to r.
func (r *Registry) RegisterGuard(t GuardType) { registerComponent(r, r.guards, "guard", t) }

// RegisterVault adds a vault type to r.
func (r *Registry) RegisterVault(t VaultType) { registerComponent(r, r.vaults, "vault", t) }

// RegisterCatalog adds a catalog type to r.
func (r *Registry) RegisterCatalog(t CatalogType) { registerComponent(r, r.catalogs, "catalog", t) }

// RegisterExporter adds an exporter type to r.
func (r *Registry) RegisterExporter(t ExporterType) {
	registerComponent(r, r.exporters, "exporter", t)
}

func registerComponent[T any](r *Registry, into map[string]*ComponentType[T], what string, t ComponentType[T]) {
	if t.Name == "" || t.New == nil || len(t.Schema) == 0 {
		panic(fmt.Sprintf("engine: %s type %q registered without a name, schema or constructor", what, t.Name))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := into[t.Name]; dup {
		panic(fmt.Sprintf("engine: %s type %q registered twice", what, t.Name))
	}
	into[t.Name] = &t
	r.schema, r.validators = nil, nil
}

// Clone returns an isolated copy of r, for a test or a trimmed build that
// adds or leaves out types without touching r.
func (r *Registry) Clone() *Registry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c := NewRegistry()
	for k, v := range r.bindings {
		c.bindings[k] = v
	}
	for k, v := range r.guards {
		c.guards[k] = v
	}
	for k, v := range r.vaults {
		c.vaults[k] = v
	}
	for k, v := range r.catalogs {
		c.catalogs[k] = v
	}
	for k, v := range r.exporters {
		c.exporters[k] = v
	}
	return c
}

// Binding returns the binding type registered under name.
func (r *Registry) Binding(name string) (*BindingType, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	t, ok := r.bindings[name]
	return t, ok
}

// TypeList describes what a registry holds, for `sluice list`.
type TypeList struct {
	Bindings  map[string][]Kind
	Guards    []string
	Vaults    []string
	Catalogs  []string
	Exporters []string
}

// Types lists the registered types, each list sorted.
func (r *Registry) Types() TypeList {
	r.mu.RLock()
	defer r.mu.RUnlock()
	l := TypeList{Bindings: map[string][]Kind{}}
	for name, t := range r.bindings {
		for _, k := range t.Kinds {
			l.Bindings[name] = append(l.Bindings[name], k.Kind)
		}
	}
	l.Guards = sortedKeys(r.guards)
	l.Vaults = sortedKeys(r.vaults)
	l.Catalogs = sortedKeys(r.catalogs)
	l.Exporters = sortedKeys(r.exporters)
	return l
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
