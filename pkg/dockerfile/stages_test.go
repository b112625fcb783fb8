package dockerfile

import (
	"os"
	"strings"
	"testing"

	"github.com/whittle/whittle/internal/testenv"
)

const multiStage = `ARG GO=1.22
ARG BASE=alpine:3.19
FROM golang:${GO} AS build
ENV CGO_ENABLED=0 GOFLAGS="-trimpath"
WORKDIR /src
RUN go build -o /out/app .
FROM build AS test
WORKDIR sub
RUN go test ./...
FROM node:20 AS assets
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
USER node
RUN npm ci
FROM ${BASE}
ARG GO
ARG LOCAL=x
ENV LOCAL=y
COPY --from=build /out/app /app
COPY --from=2 /x rel/
RUN --mount=type=cache,target=.cache,from=assets echo
`

func TestStages(t *testing.T) {
	f, err := Parse("Dockerfile", []byte(multiStage))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.MetaArgs) != 2 || len(f.Stages) != 4 {
		t.Fatalf("meta args %d, stages %d", len(f.MetaArgs), len(f.Stages))
	}
	build, test, assets, final := f.Stages[0], f.Stages[1], f.Stages[2], f.Stages[3]
	if build.Base != "golang:1.22" || build.Name != "build" || build.BaseStage != nil {
		t.Errorf("build: %+v", build)
	}
	if test.BaseStage != build || test.Base != "build" {
		t.Errorf("test base: %v %q", test.BaseStage, test.Base)
	}
	if final.Base != "alpine:3.19" || final.Label() != "3" || f.Target != final {
		t.Errorf("final: %q %q", final.Base, final.Label())
	}
	// Scope inherited through FROM <stage>: ENV and WORKDIR, not ARG.
	testRun := test.Instructions[2]
	if v, ok := testRun.Scope.Lookup("CGO_ENABLED"); !ok || v != "0" {
		t.Errorf("CGO_ENABLED in test stage = %q %v", v, ok)
	}
	if v, _ := testRun.Scope.Lookup("GOFLAGS"); v != "-trimpath" {
		t.Errorf("GOFLAGS = %q", v)
	}
	if testRun.Scope.Workdir != "/src/sub" {
		t.Errorf("workdir %q", testRun.Scope.Workdir)
	}
	if _, ok := testRun.Scope.Lookup("GO"); ok {
		t.Errorf("meta ARG GO visible in a stage without ARG GO")
	}
	npm := assets.Instructions[3]
	if strings.Join(npm.Scope.Shell, " ") != "/bin/bash -o pipefail -c" || npm.Scope.User != "node" {
		t.Errorf("assets scope: %v %q", npm.Scope.Shell, npm.Scope.User)
	}
	last := final.Instructions[len(final.Instructions)-1]
	if v, _ := last.Scope.Lookup("GO"); v != "1.22" {
		t.Errorf("ARG GO in final stage = %q, want the meta value", v)
	}
	if v, _ := last.Scope.Lookup("LOCAL"); v != "y" {
		t.Errorf("LOCAL = %q, want ENV to win", v)
	}
	c1, c2 := final.Instructions[4].Copy, final.Instructions[5].Copy
	if c1.FromStage != build || c1.DestPath != "/app" {
		t.Errorf("copy 1: %+v", c1)
	}
	if c2.FromStage != assets || c2.DestPath != "/rel/" {
		t.Errorf("copy 2: %+v", c2)
	}
	m := last.Run.Mounts
	if len(m) != 1 || m[0].Type != "cache" || m[0].Target != "/.cache" || m[0].FromStage != assets {
		t.Errorf("mounts: %+v", m)
	}
	if got := last.Run.CacheTargets(); len(got) != 1 || got[0] != "/.cache" {
		t.Errorf("cache targets %v", got)
	}
	reach := map[string]bool{}
	for _, s := range f.Stages {
		reach[s.Label()] = s.Reaches
	}
	want := map[string]bool{"build": true, "test": false, "assets": true, "3": true}
	for k, v := range want {
		if reach[k] != v {
			t.Errorf("stage %s reaches = %v, want %v", k, reach[k], v)
		}
	}

	f2, err := Parse("Dockerfile", []byte(multiStage), WithTarget("test"), WithBuildArgs(map[string]string{"GO": "1.23"}))
	if err != nil {
		t.Fatal(err)
	}
	if f2.Target != f2.Stages[1] || !f2.Stages[0].Reaches || f2.Stages[2].Reaches || f2.Stages[3].Reaches {
		t.Errorf("target test: reaches %v %v %v %v", f2.Stages[0].Reaches, f2.Stages[1].Reaches, f2.Stages[2].Reaches, f2.Stages[3].Reaches)
	}
	if f2.Stages[0].Base != "golang:1.23" {
		t.Errorf("build arg not applied: %q", f2.Stages[0].Base)
	}
	if _, err := Parse("Dockerfile", []byte(multiStage), WithTarget("nope")); err == nil {
		t.Error("unknown target accepted")
	}
}

// TestTargetByIndex: a target is a stage's name or its index (as COPY
// --from takes them), and a target that is neither lists every stage,
// unnamed ones by their index.
func TestTargetByIndex(t *testing.T) {
	for target, want := range map[string]int{"1": 1, "TEST": 1, "3": 3, "0": 0, "assets": 2} {
		f, err := Parse("Dockerfile", []byte(multiStage), WithTarget(target))
		if err != nil {
			t.Errorf("target %q: %v", target, err)
			continue
		}
		if f.Target != f.Stages[want] {
			t.Errorf("target %q: stage %d, want %d", target, f.Target.Index, want)
		}
	}
	f, err := Parse("Dockerfile", []byte(multiStage), WithTarget("1"))
	if err != nil {
		t.Fatal(err)
	}
	if !f.Stages[0].Reaches || f.Stages[2].Reaches || f.Stages[3].Reaches {
		t.Errorf("target 1: reaches %v %v %v", f.Stages[0].Reaches, f.Stages[2].Reaches, f.Stages[3].Reaches)
	}
	const want = `the stages are 0 named build (FROM golang:1.22), 1 named test (FROM build), 2 named assets (FROM node:20), 3 (FROM alpine:3.19)`
	for _, bad := range []string{"nope", "4", "-1", "01x"} {
		_, err := Parse("Dockerfile", []byte(multiStage), WithTarget(bad))
		if err == nil || !strings.Contains(err.Error(), `target stage "`+bad+`" not found: `+want) {
			t.Errorf("target %q: %v, want the stages listed: %s", bad, err, want)
		}
	}
	_, err = Parse("Dockerfile", []byte("FROM alpine\nRUN true\nFROM scratch\n"), WithTarget("x"))
	if err == nil || !strings.HasSuffix(err.Error(), `target stage "x" not found: the stages are 0 (FROM alpine), 1 (FROM scratch)`) {
		t.Errorf("unnamed stages not listed: %v", err)
	}
}

func TestDirectives(t *testing.T) {
	f, err := Parse("Dockerfile", []byte("# syntax=docker/dockerfile:1.7\n# escape=`\n# not a directive\nFROM alpine\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Directives) != 2 || f.Escape != '`' {
		t.Fatalf("directives %+v escape %q", f.Directives, f.Escape)
	}
	if v, ok := f.Directive("syntax"); !ok || v != "docker/dockerfile:1.7" {
		t.Errorf("syntax = %q", v)
	}
	d := f.Directives[1]
	if d.Range.Start.Line != 2 || string(f.Src[d.Range.Start.Offset:d.Range.End.Offset]) != "# escape=`" {
		t.Errorf("escape directive range %+v", d.Range)
	}
}

func TestWalkStops(t *testing.T) {
	f, err := Parse("Dockerfile", []byte("FROM a\nONBUILD RUN x\nRUN y\n"))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	Walk(f, func(in *Instruction) bool {
		kinds = append(kinds, string(in.Kind))
		return len(kinds) < 3
	})
	if strings.Join(kinds, " ") != "FROM ONBUILD RUN" {
		t.Errorf("walk order %v", kinds)
	}
	if f.Instructions[1].Onbuild.Stage != f.Stages[0] {
		t.Error("trigger has no stage")
	}
}

func FuzzParse(f *testing.F) {
	for _, tc := range positionCases {
		f.Add([]byte(tc.src))
	}
	f.Add([]byte(multiStage))
	if testenv.SharedTier { // every tenth real Dockerfile too
		for i, name := range corpusFiles(f) {
			if i%10 != 0 {
				continue
			}
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := Parse("Dockerfile", src)
		if err != nil {
			if pe, ok := err.(*ParseError); ok && strings.HasPrefix(pe.Msg, "internal error") {
				t.Fatalf("panic: %v", pe)
			}
			return
		}
		checkInvariants(t, file)
		for in := range file.All() {
			if in.Run != nil && in.Run.Script != nil && in.Run.Script.File != nil {
				scriptWords(in.Run.Script)
			}
		}
	})
}

func TestInstructionBeforeFrom(t *testing.T) {
	f, err := Parse("Dockerfile", []byte("RUN apk add x\nFROM alpine\n"))
	if err != nil {
		t.Fatal(err)
	}
	in := f.Instructions[0]
	if in.Stage != nil || in.Run.Script.File == nil {
		t.Errorf("RUN before FROM: stage %v, script parsed %v", in.Stage, in.Run.Script.File != nil)
	}
}

func TestPlatformArgs(t *testing.T) {
	src := "ARG TARGETARCH\nFROM --platform=$BUILDPLATFORM golang:1.22-$BUILDARCH AS b\nRUN echo\nARG TARGETOS TARGETARCH\nRUN echo\n"
	for _, tc := range []struct {
		opts []Option
		arch string
	}{{nil, "amd64"}, {[]Option{WithPlatform("linux/arm64")}, "arm64"}} {
		f, err := Parse("Dockerfile", []byte(src), tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if want := "golang:1.22-" + tc.arch; f.Stages[0].Base != want {
			t.Errorf("base %q, want %q", f.Stages[0].Base, want)
		}
		if _, ok := f.Instructions[2].Scope.Lookup("TARGETARCH"); ok {
			t.Error("TARGETARCH visible in a stage before ARG")
		}
		if v, _ := f.Instructions[4].Scope.Lookup("TARGETARCH"); v != tc.arch {
			t.Errorf("TARGETARCH = %q, want %q", v, tc.arch)
		}
		if v, _ := f.Instructions[4].Scope.Lookup("TARGETOS"); v != "linux" {
			t.Errorf("TARGETOS = %q", v)
		}
	}
	if _, err := Parse("Dockerfile", []byte(src), WithPlatform("amd64")); err == nil {
		t.Error("bad platform accepted")
	}
}
