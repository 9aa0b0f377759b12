package report

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
)

// Store is the results file: the last result of every scenario, so that
// running a few scenarios rewrites the page with the others' last figures
// (each section says when it ran).
type Store struct {
	Run       Run         `json:"run"`
	Scenarios []*Scenario `json:"scenarios"`
}

// LoadStore reads the results file; a missing file is an empty store.
func LoadStore(path string) (*Store, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &Store{}, nil
	}
	if err != nil {
		return nil, err
	}
	var s Store
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Put keeps a scenario's result, replacing its previous one.
func (s *Store) Put(r *Scenario) {
	for i, old := range s.Scenarios {
		if old.Name == r.Name {
			s.Scenarios[i] = r
			return
		}
	}
	s.Scenarios = append(s.Scenarios, r)
}

// Get returns a scenario's last result.
func (s *Store) Get(name string) *Scenario {
	for _, r := range s.Scenarios {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Save writes the results file.
func (s *Store) Save(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
