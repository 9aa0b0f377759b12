package inline

import (
	_ "embed"

	"github.com/sluicehq/sluice/engine"
)

//go:embed schema.json
var schema []byte

func init() { engine.RegisterGuard(Type) }

// Type registers the inline guard.
var Type = engine.GuardType{
	Name:       "inline",
	Schema:     schema,
	NewOptions: func() any { return new(Options) },
	New: func(cc *engine.ComponentContext) (engine.Guard, error) {
		o, _ := cc.Options().(*Options)
		if o == nil {
			o = &Options{}
		}
		return &guard{identity: o.Identity, credentials: o.Credentials}, nil
	},
}

// Options are the inline guard's options.
type Options struct {
	Identity    string `json:"identity"`
	Credentials string `json:"credentials"`
	// Format is accepted for compatibility with Zilla configurations.
	Format string `json:"format"`
}

type guard struct {
	identity, credentials string
}

// Verify holds for no roles at all: the inline session has none.
func (g *guard) Verify(_ uint64, roles []string) bool { return len(roles) == 0 }

// Identity returns the configured identity.
func (g *guard) Identity(uint64) string { return g.identity }

// Credentials returns the configured credentials.
func (g *guard) Credentials(uint64) string { return g.credentials }

// Attribute returns nothing: an inline session has no attributes.
func (g *guard) Attribute(uint64, string) string { return "" }

var (
	_ engine.Guard            = (*guard)(nil)
	_ engine.GuardIdentity    = (*guard)(nil)
	_ engine.GuardCredentials = (*guard)(nil)
	_ engine.GuardAttributes  = (*guard)(nil)
)
