package filesystem

import (
	"errors"
	"fmt"

	"github.com/sluicehq/sluice/engine"
)

func init() { engine.RegisterVault(Type) }

// Type registers the filesystem vault with the engine: `type: filesystem`
// under `vaults`, with Options as its `options`.
var Type = engine.VaultType{
	Name:       "filesystem",
	Schema:     Schema,
	NewOptions: func() any { return new(Options) },
	New:        newVault,
}

// newVault loads the stores a configured vault names. Relative store paths
// are taken from the configuration's folder. Each store that fails is
// reported at its own options path; the engine prefixes the vault's type
// and name, so a message reads, for example,
//
//	zilla.yaml:6: vaults.server.options.keys: filesystem server: keys: pkcs12 store "tls/localhost.p12": wrong password
//
// and never contains a password.
func newVault(cc *engine.ComponentContext) (engine.Vault, error) {
	opts, _ := cc.Options().(*Options)
	if opts == nil {
		opts = &Options{}
	}
	dir := cc.ResolvePath(".")
	var (
		stores [3]*Store
		errs   []error
	)
	for i, s := range []struct {
		role string
		opts *StoreOptions
	}{{"keys", opts.Keys}, {"trust", opts.Trust}, {"signers", opts.Signers}} {
		if s.opts == nil {
			continue
		}
		st, err := s.opts.Load(dir)
		if err != nil {
			errs = append(errs, &engine.FieldError{Path: "options." + s.role, Err: fmt.Errorf("%s: %w", s.role, err)})
			continue
		}
		stores[i] = st
		cc.Log.Debug("vault store loaded", "store", s.role, "file", s.opts.Store, "aliases", st.Aliases())
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return NewVault(stores[0], stores[1], stores[2]), nil
}

var _ engine.Vault = (*Vault)(nil)
