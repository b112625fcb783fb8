package cli

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// Test script commands and conditions for outputs (squash destinations,
// oci-archive:, analyze -).

// scriptCondition adds [root]: the script runs as root, for whom directory
// permissions do not stop a write.
func scriptCondition(cond string) (bool, error) {
	if cond == "root" {
		return os.Geteuid() == 0, nil
	}
	return false, nil
}

// cmdEmptyDir is `emptydir DIR`: DIR exists and holds nothing (with !: it
// holds something).
func cmdEmptyDir(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: emptydir DIR")
	}
	ents, err := os.ReadDir(ts.MkAbs(args[0]))
	ts.Check(err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if empty := len(names) == 0; empty == neg {
		ts.Fatalf("%s holds %v", args[0], names)
	}
}

// cmdSameFigures is `samefigures A.json B.json PATH...`: the two JSON
// documents are equal once the values at each PATH are removed from both.
// A PATH is dotted keys, * for every element of an array
// ("layers.*.media_type").
func cmdSameFigures(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: samefigures A.json B.json [PATH...]")
	}
	var docs [2]any
	for i, f := range args[:2] {
		ts.Check(json.Unmarshal([]byte(ts.ReadFile(f)), &docs[i]))
		for _, p := range args[2:] {
			dropPath(docs[i], strings.Split(p, "."))
		}
	}
	if !reflect.DeepEqual(docs[0], docs[1]) {
		a, _ := json.MarshalIndent(docs[0], "", "  ")
		b, _ := json.MarshalIndent(docs[1], "", "  ")
		ts.Fatalf("%s and %s differ:\n%s\n---\n%s", args[0], args[1], a, b)
	}
}

// dropPath deletes the value at path in v, a decoded JSON document.
func dropPath(v any, path []string) {
	switch x := v.(type) {
	case map[string]any:
		if len(path) == 1 {
			delete(x, path[0])
			return
		}
		if next, ok := x[path[0]]; ok {
			dropPath(next, path[1:])
		}
	case []any:
		if path[0] == "*" && len(path) > 1 {
			for _, e := range x {
				dropPath(e, path[1:])
			}
		}
	}
}
