package account

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestCacheCategoriesComplete checks CacheCategories against two oracles
// read from outside the list itself: every string CacheCategory's source
// returns is in it, and it is the category column of the table in
// docs/accounting.md, in that order.
func TestCacheCategoriesComplete(t *testing.T) {
	got := CacheCategories()

	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "caches.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	returned := map[string]bool{}
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "CacheCategory" {
			continue
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			ret, ok := n.(*ast.ReturnStmt)
			if !ok {
				return true
			}
			for _, r := range ret.Results {
				lit, ok := r.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Errorf("%s: CacheCategory returns a non-literal; this test cannot see it", fset.Position(r.Pos()))
					continue
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				if s != "" {
					returned[s] = true
				}
			}
			return true
		})
	}
	if len(returned) == 0 {
		t.Fatal("found no return of CacheCategory in caches.go")
	}
	for c := range returned {
		if !slices.Contains(got, c) {
			t.Errorf("CacheCategory can return %q, not in CacheCategories() %v", c, got)
		}
	}
	for _, c := range got {
		if !returned[c] {
			t.Errorf("CacheCategories() lists %q, which CacheCategory never returns", c)
		}
	}

	doc, err := os.ReadFile("../../docs/accounting.md")
	if err != nil {
		t.Fatal(err)
	}
	// The rows of the table headed "| category | paths |".
	_, table, ok := strings.Cut(string(doc), "| category | paths |\n|---|---|\n")
	if !ok {
		t.Fatal("docs/accounting.md has no cache category table")
	}
	var documented []string
	row := regexp.MustCompile("^\\| `([a-z-]+)` \\|")
	for _, line := range strings.Split(table, "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			break
		}
		documented = append(documented, m[1])
	}
	if !slices.Equal(got, documented) {
		t.Errorf("CacheCategories() = %v\ndocs/accounting.md lists %v", got, documented)
	}

	// The result is the caller's to change.
	got[0] = "changed"
	if CacheCategories()[0] == "changed" {
		t.Errorf("CacheCategories shares its slice with the caller")
	}
}
