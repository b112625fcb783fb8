package shellfacts

import (
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"
)

// FuzzAnalyze checks that any script mvdan/sh parses is read without a
// panic, and that every command lies inside the script.
func FuzzAnalyze(f *testing.F) {
	for _, tc := range meaningCases {
		f.Add(tc.script)
	}
	f.Add("set -e; cd /x && (cd y; rm -rf z) || tar xzf a.tgz -C b | sh -c 'apk add --virtual .d x && apk del .d'")
	f.Fuzz(func(t *testing.T, script string) {
		file, err := syntax.NewParser().Parse(strings.NewReader(script), "")
		if err != nil {
			return
		}
		facts, err := Analyze(file, WithWorkdir("/w"), WithEnv(map[string]string{"A": "b"}))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range facts.Commands {
			if int(c.End.Offset()) > len(script) || c.Pos.Offset() > c.End.Offset() {
				t.Fatalf("command %s at %d-%d outside a %d-byte script", c.Name, c.Pos.Offset(), c.End.Offset(), len(script))
			}
		}
	})
}
