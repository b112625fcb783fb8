package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/whittle/whittle/internal/report"
)

// gitFunc runs git with args in dir and returns its standard output: the
// seam through which lint asks git for the work tree's top level.
type gitFunc func(ctx context.Context, dir string, args ...string) ([]byte, error)

// runGit runs the git on PATH.
func runGit(ctx context.Context, dir string, args ...string) ([]byte, error) {
	c := exec.CommandContext(ctx, "git", args...)
	c.Dir = dir
	return c.Output()
}

// lintSARIFOptions says how the SARIF log names the linted files: relative
// to the source root (--sarif-root, else the top level of the git work tree
// holding the working directory), declared as %SRCROOT%; a file outside it
// by its absolute file:// URI. Without a root, and for standard input,
// files keep the names they were given.
func lintSARIFOptions(ctx context.Context, o *lintOptions, args []string) (report.SARIFOptions, error) {
	so := report.SARIFOptions{Version: toolVersion()}
	if ctx == nil {
		ctx = context.Background()
	}
	wd, err := os.Getwd()
	if err != nil {
		return so, fmt.Errorf("finding the SARIF source root: %w", err)
	}
	root := ""
	if o.sarifRoot != "" {
		root = o.sarifRoot
		if !filepath.IsAbs(root) {
			root = filepath.Join(wd, root)
		}
		fi, err := os.Stat(root)
		if err != nil {
			return so, fmt.Errorf("--sarif-root %s: %w", o.sarifRoot, unwrapPathError(err))
		}
		if !fi.IsDir() {
			return so, fmt.Errorf("--sarif-root: %s is not a directory", o.sarifRoot)
		}
	} else if root, err = gitTopLevel(ctx, o.git, wd); err != nil {
		return so, err
	}
	if root == "" {
		return so, nil
	}
	root = realPath(filepath.Clean(root))
	so.SrcRoot = fileURI(root)
	if !strings.HasSuffix(so.SrcRoot, "/") {
		so.SrcRoot += "/"
	}
	so.Artifacts = map[string]report.SARIFArtifact{}
	for _, a := range args {
		if a == "-" {
			continue
		}
		abs := a
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(wd, abs)
		}
		// Resolve the directory's links as the root's are, so that a
		// file under the root by another path is still found under it.
		abs = filepath.Join(realPath(filepath.Dir(abs)), filepath.Base(abs))
		if rel, err := filepath.Rel(root, abs); err == nil && filepath.IsLocal(rel) {
			so.Artifacts[a] = report.SARIFArtifact{URI: (&url.URL{Path: filepath.ToSlash(rel)}).String(), Relative: true}
		} else {
			so.Artifacts[a] = report.SARIFArtifact{URI: fileURI(abs)}
		}
	}
	return so, nil
}

// gitTopLevel returns the top level of the git work tree holding dir, or ""
// when dir is in none (no .git in it or a parent: git is not run) or git
// cannot say (git missing, a bare repository).
func gitTopLevel(ctx context.Context, git gitFunc, dir string) (string, error) {
	if git == nil || !underGit(dir) {
		return "", nil
	}
	out, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", nil
	}
	top := strings.TrimRight(string(out), "\r\n")
	if top == "" || !filepath.IsAbs(top) {
		return "", nil
	}
	return top, nil
}

// underGit reports whether dir or a parent holds a .git entry (a directory,
// or the file of a linked work tree or a submodule).
func underGit(dir string) bool {
	for {
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			return true
		} else if !errors.Is(err, os.ErrNotExist) {
			return false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return false
		}
		dir = parent
	}
}

// realPath resolves the links in path, or returns it unchanged when it
// cannot.
func realPath(path string) string {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		return p
	}
	return path
}

// fileURI is the file:// URI of an absolute path, with the characters a URI
// path cannot hold escaped.
func fileURI(abs string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive: file:///C:/...
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}
