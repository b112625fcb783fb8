package shellfacts

import (
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
)

func TestOfRun(t *testing.T) {
	src := "FROM python:3.12\n" +
		"ENV PIP_NO_CACHE_DIR=1\n" +
		"WORKDIR /app\n" +
		"SHELL [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\"]\n" +
		"RUN --mount=type=cache,target=/root/.cache/pip \\\n" +
		"    # install\n" +
		"    pip install -r req.txt; rm -rf build\n" +
		"RUN [\"apt-get\", \"install\", \"-y\", \"x\"]\n"
	f, err := dockerfile.Parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	facts, err := OfRun(f.Instructions[4])
	if err != nil {
		t.Fatal(err)
	}
	if !facts.Errexit || !facts.Pipefail {
		t.Errorf("shell flags not applied: errexit %v pipefail %v", facts.Errexit, facts.Pipefail)
	}
	if len(facts.Commands) != 2 {
		t.Fatalf("commands: %d", len(facts.Commands))
	}
	pip, rm := facts.Commands[0], facts.Commands[1]
	if !pip.Pkg.NoCache || pip.Dir != "/app" || !pip.Stops {
		t.Errorf("pip: %+v %+v", pip, pip.Pkg)
	}
	if pip.Range.Start.Line != 7 || pip.Range.Start.Col != 5 || pip.Range.End.Line != 7 || pip.Range.End.Col != 27 {
		t.Errorf("pip range %+v", pip.Range)
	}
	if got := string(f.Src[rm.Range.Start.Offset:rm.Range.End.Offset]); got != "rm -rf build" {
		t.Errorf("rm range covers %q", got)
	}
	if rm.File.Paths[0] != "/app/build" {
		t.Errorf("rm paths %v", rm.File.Paths)
	}
	if _, ok := facts.CacheCovers("/root/.cache/pip/http"); !ok {
		t.Error("cache mount not reported")
	}
	exec, err := OfRun(f.Instructions[5])
	if err != nil {
		t.Fatal(err)
	}
	if len(exec.Commands) != 1 || exec.Commands[0].Pkg == nil || !exec.Commands[0].Pkg.Yes || exec.Commands[0].Range != f.Instructions[5].Range {
		t.Errorf("exec form: %+v", exec.Commands)
	}
	if got, _ := OfRun(f.Instructions[0]); got != nil {
		t.Error("facts for a FROM")
	}
}

// TestOfRunOutsideStage: the model does not parse the script of a RUN
// outside any stage (an ONBUILD RUN before the first FROM); OfRun parses it
// and maps its commands to the file.
func TestOfRunOutsideStage(t *testing.T) {
	src := "ONBUILD RUN apk add curl && \\\n" +
		"    rm -rf /tmp/x\n"
	f, err := dockerfile.Parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var trigger *dockerfile.Instruction
	for in := range f.All() {
		if in.Kind == dockerfile.KindRun {
			trigger = in
		}
	}
	if trigger == nil || trigger.Run.Script == nil || trigger.Run.Script.File != nil {
		t.Fatalf("want an unparsed RUN, got %+v", trigger)
	}
	facts, err := OfRun(trigger)
	if err != nil {
		t.Fatal(err)
	}
	if facts.Unparsed || len(facts.Commands) != 2 {
		t.Fatalf("facts: unparsed %v, %d commands", facts.Unparsed, len(facts.Commands))
	}
	apk, rm := facts.Commands[0], facts.Commands[1]
	if apk.Pkg == nil || apk.Pkg.Verb != Install || rm.File == nil || rm.File.Paths[0] != "/tmp/x" {
		t.Errorf("apk %+v, rm %+v", apk.Pkg, rm.File)
	}
	if apk.Range.Start.Line != 1 || apk.Range.Start.Col != 13 || rm.Range.Start.Line != 2 || rm.Range.Start.Col != 5 {
		t.Errorf("ranges: apk %+v, rm %+v", apk.Range, rm.Range)
	}
}
