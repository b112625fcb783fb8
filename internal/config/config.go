// Package config reads .whittle.yaml. Each command decodes only its own
// top-level section (for example "analyze" or "lint"), so that sections can
// grow independently.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// FileName is the name of the configuration file looked up by Find.
const FileName = ".whittle.yaml"

// File is a parsed .whittle.yaml.
type File struct {
	Path     string
	sections map[string]yaml.Node
}

// Find looks for .whittle.yaml in dir and its parents and returns its path,
// or "" when there is none.
func Find(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("finding %s: %w", FileName, err)
	}
	for {
		p := filepath.Join(abs, FileName)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("finding %s: %w", FileName, err)
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return "", nil
		}
		abs = parent
	}
}

// Load reads and parses the file at path.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Parse(path, b)
}

// Parse parses configuration bytes; path is used in error messages only.
func Parse(path string, b []byte) (*File, error) {
	f := &File{Path: path, sections: map[string]yaml.Node{}}
	var doc map[string]yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for k, v := range doc {
		f.sections[k] = v
	}
	return f, nil
}

// Decode decodes the named top-level section into v, rejecting unknown keys.
// A missing section leaves v untouched and returns false.
func (f *File) Decode(section string, v any) (bool, error) {
	if f == nil {
		return false, nil
	}
	n, ok := f.sections[section]
	if !ok {
		return false, nil
	}
	// Re-encode so that yaml's strict decoder can report unknown fields with
	// line numbers relative to the section.
	b, err := yaml.Marshal(&n)
	if err != nil {
		return true, fmt.Errorf("%s: section %q: %w", f.Path, section, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return true, fmt.Errorf("%s: section %q: %w", f.Path, section, err)
	}
	return true, nil
}
