package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// generate writes one Markdown page per command of root into dir, which
// must exist. The completion command, which cobra adds only when the
// program runs, is added first so that the reference lists every command
// the binary has. The output is reproducible: no date stamp, and the
// program name is fixed by root's Use.
func generate(root *cobra.Command, dir string) error {
	root.InitDefaultCompletionCmd()
	root.DisableAutoGenTag = true
	if err := doc.GenMarkdownTree(root, dir); err != nil {
		return fmt.Errorf("generating markdown into %s: %w", dir, err)
	}
	return nil
}

// isPage reports whether name is a page this program owns in the output
// directory: the root command's page and its subcommands' pages.
func isPage(root *cobra.Command, name string) bool {
	return strings.HasSuffix(name, ".md") &&
		(name == root.Name()+".md" || strings.HasPrefix(name, root.Name()+"_"))
}

// writeTree regenerates the pages for root into out. Pages are first written
// to a temporary directory beside out and then renamed into place, so a
// failure leaves the old reference intact; pages for commands that no
// longer exist are removed. Other files in out are left alone.
func writeTree(root *cobra.Command, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", out, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(out)), ".gendoc-*")
	if err != nil {
		return fmt.Errorf("creating temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := generate(root, tmp); err != nil {
		return err
	}
	fresh, err := os.ReadDir(tmp)
	if err != nil {
		return fmt.Errorf("reading %s: %w", tmp, err)
	}
	keep := make(map[string]bool, len(fresh))
	for _, e := range fresh {
		keep[e.Name()] = true
	}
	old, err := os.ReadDir(out)
	if err != nil {
		return fmt.Errorf("reading %s: %w", out, err)
	}
	for _, e := range old {
		if e.Type().IsRegular() && isPage(root, e.Name()) && !keep[e.Name()] {
			if err := os.Remove(filepath.Join(out, e.Name())); err != nil {
				return fmt.Errorf("removing stale page %s: %w", e.Name(), err)
			}
		}
	}
	for _, e := range fresh {
		src := filepath.Join(tmp, e.Name())
		if err := os.Chmod(src, 0o644); err != nil {
			return fmt.Errorf("setting mode of %s: %w", e.Name(), err)
		}
		if err := os.Rename(src, filepath.Join(out, e.Name())); err != nil {
			return fmt.Errorf("moving %s into %s: %w", e.Name(), out, err)
		}
	}
	return nil
}
