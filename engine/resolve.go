package engine

import (
	"fmt"
	"strings"
)

// checkReferences verifies that every name a binding or component refers to
// exists and is of a compatible kind, and that exits form no cycle.
func (r *Registry) checkReferences(cfg *Config) ConfigErrors {
	var errs ConfigErrors
	bindings := map[string]*BindingConfig{}
	kinds := map[string]string{} // qualified name -> what it is, for "wrong kind" messages
	for _, ns := range cfg.Namespaces {
		for _, b := range ns.Bindings {
			bindings[b.QName()] = b
			kinds[b.QName()] = "binding"
		}
		for what, list := range map[string][]*ComponentConfig{"guard": ns.Guards, "vault": ns.Vaults, "catalog": ns.Catalogs} {
			for _, c := range list {
				kinds[c.QName()] = what
			}
		}
	}
	expect := func(name, want string) error {
		got, ok := kinds[name]
		switch {
		case !ok:
			return fmt.Errorf("%s %q is not defined", want, name)
		case got != want:
			return fmt.Errorf("%q is a %s, not a %s", name, got, want)
		}
		return nil
	}

	for _, ns := range cfg.Namespaces {
		for _, c := range append(append([]*ComponentConfig{}, ns.Catalogs...), ns.Telemetry.Exporters...) {
			if c.Vault != "" {
				if err := expect(c.Vault, "vault"); err != nil {
					errs = append(errs, c.errorAt("vault", err))
				}
			}
		}
		for _, b := range ns.Bindings {
			t, _ := r.Binding(b.Type)
			spec, _ := t.Kind(b.Kind)
			if b.Vault != "" {
				if err := expect(b.Vault, "vault"); err != nil {
					errs = append(errs, b.errorAt("vault", err))
				}
			}
			for _, c := range b.Catalogs {
				if err := expect(c.Catalog, "catalog"); err != nil {
					errs = append(errs, b.errorAt("catalog", err))
				}
			}
			if spec.Entry != "" {
				errs = append(errs, checkEntry(b, spec, bindings, r)...)
			} else if b.Entry != "" {
				errs = append(errs, b.errorAt("entry", fmt.Errorf("only remote_server bindings take an entry")))
			}
			exits := 0
			for _, rt := range b.Routes {
				for g := range rt.Guarded {
					if err := expect(g, "guard"); err != nil {
						errs = append(errs, b.errorAt(rt.path+".guarded", err))
					}
				}
				if rt.Exit == "" {
					continue
				}
				exits++
				at := rt.path
				if at != "exit" {
					at += ".exit"
				}
				if spec.Opens == "" {
					errs = append(errs, b.errorAt(at, fmt.Errorf("a %s %s binding is terminal and takes no exit", b.Type, b.Kind)))
					continue
				}
				if err := expect(rt.Exit, "binding"); err != nil {
					errs = append(errs, b.errorAt(at, err))
					continue
				}
				target := bindings[rt.Exit]
				tt, _ := r.Binding(target.Type)
				tspec, _ := tt.Kind(target.Kind)
				if tspec.Accepts == "" {
					errs = append(errs, b.errorAt(at, fmt.Errorf("exit %q is a %s %s binding, which accepts no streams", rt.Exit, target.Type, target.Kind)))
				} else if tspec.Accepts != ProtocolAny && tspec.Accepts != spec.Opens {
					errs = append(errs, b.errorAt(at, fmt.Errorf("exit %q is a %s %s binding, which accepts %s streams, but a %s %s binding opens %s streams",
						rt.Exit, target.Type, target.Kind, tspec.Accepts, b.Type, b.Kind, spec.Opens)))
				}
			}
			if spec.Opens != "" && exits == 0 && !spec.ExitOptional {
				errs = append(errs, b.errorAt("", fmt.Errorf("a %s %s binding needs an exit: add `exit:` or routes with an exit", b.Type, b.Kind)))
			}
		}
	}
	if len(errs) == 0 {
		errs = append(errs, findCycles(cfg, bindings)...)
	}
	return errs
}

func checkEntry(b *BindingConfig, spec KindSpec, bindings map[string]*BindingConfig, r *Registry) ConfigErrors {
	if b.Entry == "" {
		return ConfigErrors{b.errorAt("", fmt.Errorf("a %s %s binding needs an entry", b.Type, b.Kind))}
	}
	target, ok := bindings[b.Entry]
	if !ok {
		return ConfigErrors{b.errorAt("entry", fmt.Errorf("binding %q is not defined", b.Entry))}
	}
	tt, _ := r.Binding(target.Type)
	tspec, _ := tt.Kind(target.Kind)
	if tspec.Accepts != ProtocolAny && tspec.Accepts != spec.Entry {
		return ConfigErrors{b.errorAt("entry", fmt.Errorf("entry %q is a %s %s binding, which does not accept %s streams",
			b.Entry, target.Type, target.Kind, spec.Entry))}
	}
	return nil
}

// findCycles reports each cycle of exits once: a stream entering one would
// be routed around it forever.
func findCycles(cfg *Config, bindings map[string]*BindingConfig) ConfigErrors {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var errs ConfigErrors
	var stack []string
	var visit func(name string)
	visit = func(name string) {
		state[name] = active
		stack = append(stack, name)
		b := bindings[name]
		for _, rt := range b.Routes {
			if rt.Exit == "" || bindings[rt.Exit] == nil {
				continue
			}
			switch state[rt.Exit] {
			case active:
				i := len(stack) - 1
				for stack[i] != rt.Exit {
					i--
				}
				cycle := append(append([]string{}, stack[i:]...), rt.Exit)
				errs = append(errs, b.errorAt("", fmt.Errorf("exits form a cycle with no terminal binding: %s", strings.Join(cycle, " -> "))))
			case unseen:
				visit(rt.Exit)
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = done
	}
	for _, ns := range cfg.Namespaces {
		for _, b := range ns.Bindings {
			if state[b.QName()] == unseen {
				visit(b.QName())
			}
		}
	}
	return errs
}
