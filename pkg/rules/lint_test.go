package rules

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
)

func lintString(t *testing.T, src string, opts ...Option) []Finding {
	t.Helper()
	f, err := dockerfile.Parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Lint(context.Background(), f, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func ruleIDs(fs []Finding) map[string]Severity {
	out := map[string]Severity{}
	for _, f := range fs {
		out[f.Rule] = f.Severity
	}
	return out
}

const smelly = `FROM debian
RUN apt-get update && apt-get install -y curl
RUN pip install flask
`

func TestLintEngine(t *testing.T) {
	tests := []struct {
		name string
		src  string
		opts []Option
		want map[string]Severity // exactly these rules, at these severities
	}{
		{"all rules", smelly, nil, map[string]Severity{"WH201": Warning, "WH202": Warning, "WH501": Warning}},
		{"only", smelly, []Option{WithRules("WH501")}, map[string]Severity{"WH501": Warning}},
		{"only by hadolint ID", smelly, []Option{WithRules("DL3009")}, map[string]Severity{"WH201": Warning}},
		{"skip", smelly, []Option{WithoutRules("WH201", "dl3015")}, map[string]Severity{"WH501": Warning}},
		{"severity override", smelly, []Option{WithSeverity("WH202", Error)}, map[string]Severity{"WH201": Warning, "WH202": Error, "WH501": Warning}},
		{"whittle ignore", "FROM debian\n# whittle ignore=WH201,WH202\nRUN apt-get update && apt-get install -y curl\n", nil, map[string]Severity{}},
		{"hadolint ignore", "FROM debian\n# hadolint ignore=DL3009\n# another comment\nRUN apt-get update && apt-get install -y curl\n", nil, map[string]Severity{"WH202": Warning}},
		{"ignore applies to the next instruction only", "FROM debian\n# whittle ignore=WH501\nRUN true\nRUN pip install x\n", []Option{WithRules("WH501")}, map[string]Severity{"WH501": Warning}},
		{"blank line ends the pragma block", "FROM debian\n# whittle ignore=WH501\n\nRUN pip install x\n", []Option{WithRules("WH501")}, map[string]Severity{"WH501": Warning}},
		{"global ignore", "# whittle global ignore=WH202\nFROM debian\nRUN apt-get update && apt-get install -y curl\n", nil, map[string]Severity{"WH201": Warning}},
		{"pragmas disabled: hadolint's", "FROM debian\n# hadolint ignore=DL3009\nRUN apt-get update && apt-get install -y curl\n", []Option{WithIgnorePragmas(false)}, map[string]Severity{"WH201": Warning, "WH202": Warning}},
		{"pragmas disabled: whittle's and global ones", "# hadolint global ignore=DL3009\n# whittle global ignore=WH501\nFROM debian\n# whittle ignore=WH202\nRUN apt-get update && apt-get install -y curl && pip install x\n", []Option{WithIgnorePragmas(false)}, map[string]Severity{"WH201": Warning, "WH202": Warning, "WH501": Warning}},
		{"pragmas on (explicitly)", "# hadolint global ignore=DL3009\n# whittle global ignore=WH501\nFROM debian\n# whittle ignore=WH202\nRUN apt-get update && apt-get install -y curl && pip install x\n", []Option{WithIgnorePragmas(true)}, map[string]Severity{}},
		{"pragmas disabled, options still skip", "FROM debian\n# whittle ignore=WH202\nRUN apt-get update && apt-get install -y curl\n", []Option{WithIgnorePragmas(false), WithoutRules("WH201")}, map[string]Severity{"WH202": Warning}},
		{"builder stage is info", "FROM debian AS build\nRUN pip install flask\nFROM debian\nCOPY --from=build /usr/local /usr/local\n", nil, map[string]Severity{"WH501": Info}},
		{"base stage ships", "FROM debian AS base\nRUN pip install flask\nFROM base\nRUN true\n", nil, map[string]Severity{"WH501": Warning}},
		{"override does not lift a builder stage", "FROM debian AS build\nRUN pip install flask\nFROM debian\n", []Option{WithSeverity("WH501", Error)}, map[string]Severity{"WH501": Info}},
		{"onbuild trigger linted", "FROM python:3\nONBUILD RUN pip install -r requirements.txt\n", nil, map[string]Severity{"WH501": Warning}},
		{"exec form", "FROM python:3\nRUN [\"pip\", \"install\", \"flask\"]\n", nil, map[string]Severity{"WH501": Warning}},
		{"exec form sh -c", "FROM python:3\nRUN [\"/bin/sh\", \"-c\", \"pip install flask\"]\n", nil, map[string]Severity{"WH501": Warning}},
		{"heredoc", "# syntax=docker/dockerfile:1\nFROM python:3\nRUN <<EOF\nset -e\npip install flask\nEOF\n", nil, map[string]Severity{"WH501": Warning}},
		{"shell error does not stop the rest", "FROM python:3\nRUN echo $(\nRUN pip install flask\n", nil, map[string]Severity{"WH000": Warning, "WH501": Warning}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ruleIDs(lintString(t, tt.src, tt.opts...))
			for id := range got {
				if id >= "WH101" && id <= "WH103" || id == "WH701" || id == "WH104" {
					delete(got, id) // rules tested elsewhere
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for id, s := range tt.want {
				if g, ok := got[id]; !ok || g != s {
					t.Errorf("%s: got %v (present %v), want %v", id, g, ok, s)
				}
			}
		})
	}
}

func TestLintPositionsAndOrder(t *testing.T) {
	src := "FROM debian\nRUN set -eux; \\\n    apt-get update; \\\n    pip install flask\n"
	fs := lintString(t, src, WithRules("WH201", "WH501"))
	if len(fs) != 2 {
		t.Fatalf("got %+v", fs)
	}
	// apt-get update starts on line 3 column 5; pip on line 4 column 5.
	if fs[0].Rule != "WH201" || fs[0].Line != 3 || fs[0].Column != 5 || fs[0].EndColumn != 19 {
		t.Errorf("WH201 at %d:%d-%d", fs[0].Line, fs[0].Column, fs[0].EndColumn)
	}
	if fs[1].Rule != "WH501" || fs[1].Line != 4 || fs[1].Column != 5 {
		t.Errorf("WH501 at %d:%d", fs[1].Line, fs[1].Column)
	}
	for _, f := range fs {
		if f.File != "Dockerfile" || f.Stage != "0" || !f.InFinalImage || f.Doc != "docs/rules/"+f.Rule+".md" {
			t.Errorf("fields not filled: %+v", f)
		}
	}
	if fs[0].Hadolint != "DL3009" {
		t.Errorf("hadolint = %q", fs[0].Hadolint)
	}
}

func TestLintOptionErrors(t *testing.T) {
	f, err := dockerfile.Parse("Dockerfile", []byte("FROM scratch\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, opt := range []Option{WithRules("WH999"), WithoutRules("DL9999"), WithSeverity("nope", Error), WithSeverity("WH201", Severity(7))} {
		_, err := Lint(context.Background(), f, opt)
		if err == nil {
			t.Errorf("option accepted, want an error")
		}
	}
	var ue *UnknownRuleError
	if err := ValidateOptions(WithRules("WH999")); !errors.As(err, &ue) || ue.ID != "WH999" {
		t.Errorf("ValidateOptions = %v", err)
	}
	if _, err := Lint(context.Background(), nil); err == nil {
		t.Error("nil file accepted")
	}
}

func TestMetas(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range All() {
		m := r.Meta()
		if err := validateMeta(m); err != nil {
			t.Error(err)
		}
		if seen[m.ID] {
			t.Errorf("duplicate rule %s", m.ID)
		}
		seen[m.ID] = true
	}
}

func TestSeverityText(t *testing.T) {
	for _, s := range []Severity{Info, Warning, Error} {
		b, _ := s.MarshalText()
		var back Severity
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%v round-trips to %v (%v)", s, back, err)
		}
	}
	if _, err := ParseSeverity("loud"); err == nil {
		t.Error("ParseSeverity accepted loud")
	}
}

// Findings about two instructions carry the earlier one's line.
func TestRelatedLine(t *testing.T) {
	for _, tc := range []struct {
		rule, src     string
		line, related int
	}{
		{"WH101", "FROM alpine:3.19\nRUN apk add build-base\nRUN make\nRUN apk del build-base\n", 4, 2},
		{"WH102", "FROM debian:12\nCOPY app /app\nRUN chown -R nobody /app\n", 3, 2},
		{"WH103", "FROM debian:12\nRUN curl -fsSLo /tmp/t.tgz https://example.com/t.tgz\nRUN tar -xzf /tmp/t.tgz -C /opt && rm /tmp/t.tgz\n", 3, 2},
		{"WH201", "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n", 2, 0},
	} {
		got := findingOf(t, tc.src, tc.rule)
		if got == nil {
			t.Errorf("%s: not reported", tc.rule)
			continue
		}
		if got.Line != tc.line || got.RelatedLine != tc.related {
			t.Errorf("%s: line %d related %d, want %d %d", tc.rule, got.Line, got.RelatedLine, tc.line, tc.related)
		}
	}
}

// Findings about known files name them.
func TestFindingPaths(t *testing.T) {
	for _, tc := range []struct {
		rule, src string
		want      []string
	}{
		{"WH602", "FROM debian:12\nRUN curl -fsSLo /tmp/t.tar.gz https://example.com/t.tar.gz && tar -xzf /tmp/t.tar.gz -C /opt\n", []string{"/tmp/t.tar.gz"}},
		{"WH105", "FROM debian:12\nCOPY app.tar.gz /tmp/\nRUN tar -xzf /tmp/app.tar.gz -C /opt\n", []string{"/tmp/app.tar.gz"}},
		{"WH105", "FROM debian:12\nWORKDIR /src\nCOPY app.tgz .\nRUN tar -xzf app.tgz\n", []string{"/src/app.tgz"}},
		{"WH105", "FROM debian:12\nCOPY app.tgz /opt/app.tgz\nRUN tar -xzf /opt/app.tgz -C /opt\n", []string{"/opt/app.tgz"}},
		{"WH605", "FROM debian:12\nRUN useradd -u 12345678 app\n", []string{"/var/log/lastlog", "/var/log/faillog"}},
		{"WH506", "FROM rust:1.80\nRUN cargo build --release\n", []string{"/usr/local/cargo/registry", "/usr/local/cargo/git"}},
		{"WH506", "FROM debian:12\nENV CARGO_HOME=/opt/cargo\nRUN cargo install ripgrep\n", []string{"/opt/cargo/registry", "/opt/cargo/git"}},
		{"WH504", "FROM debian:12\nRUN gem install rails\n", []string{"/var/lib/gems/*/doc", "/usr/lib/ruby/gems/*/doc", "/usr/local/lib/ruby/gems/*/doc"}},
		{"WH504", "FROM debian:12\nENV GEM_HOME=/usr/local/bundle\nRUN gem install rails\n", []string{"/usr/local/bundle/doc"}},
		// Caches moved from where their category looks name where they are;
		// caches in their usual place name nothing (the category measures
		// them).
		{"WH501", "FROM python:3.12\nRUN pip install --cache-dir=/x flask\n", []string{"/x"}},
		{"WH501", "FROM python:3.12\nRUN pip install --cache-dir /x/ flask\n", []string{"/x"}},
		{"WH501", "FROM python:3.12\nENV PIP_CACHE_DIR=/var/pip\nRUN pip install flask\n", []string{"/var/pip"}},
		{"WH501", "FROM python:3.12\nRUN PIP_CACHE_DIR=/var/pip pip install flask\n", []string{"/var/pip"}},
		{"WH501", "FROM python:3.12\nRUN pip install flask\n", nil},
		{"WH501", "FROM python:3.12\nRUN pip install --cache-dir /root/.cache/pip flask\n", nil},
		{"WH501", "FROM python:3.12\nRUN pip install --cache-dir \"$D\" flask\n", nil},
		{"WH502", "FROM node:20\nRUN npm install --cache /npmc express\n", []string{"/npmc"}},
		{"WH502", "FROM node:20\nRUN npm install express\n", nil},
		{"WH503", "FROM node:20\nRUN yarn install --cache-folder /yc\n", []string{"/yc"}},
		{"WH503", "FROM node:20\nENV YARN_CACHE_FOLDER=/yc\nRUN yarn add lodash\n", []string{"/yc"}},
		{"WH503", "FROM node:20\nRUN yarn install\n", nil},
		{"WH503", "FROM node:20\nENV XDG_CACHE_HOME=/cache\nRUN yarn install\n", []string{"/cache/yarn"}},
		{"WH503", "FROM node:20\nUSER node\nENV HOME=/app\nRUN yarn install\n", []string{"/app/.cache/yarn"}},
		{"WH503", "FROM node:20\nRUN useradd -m web\nUSER web\nRUN yarn install\n", []string{"/home/web/.cache/yarn"}},
		// The node image makes user node (uid 1000) with home /home/node;
		// another user it does not make, nor does debian make node.
		{"WH503", "FROM node:20\nUSER node\nRUN yarn install\n", []string{"/home/node/.cache/yarn"}},
		{"WH503", "FROM node:20\nUSER web\nRUN yarn install\n", nil},
		{"WH503", "FROM debian:12\nUSER node\nRUN yarn install\n", nil},
		{"WH503", "FROM node:20-alpine AS base\nFROM base\nUSER 1000\nRUN yarn install\n", []string{"/home/node/.cache/yarn"}},
		{"WH507", "FROM golang:1.22 AS b\nFROM node:20\nUSER node\nRUN go mod download\n", []string{"/home/node/go/pkg/mod"}},
		{"WH507", "FROM node:20 AS b\nFROM golang:1.22\nUSER node\nRUN go mod download\n", nil},
		// As root yarn keeps its cache in /usr/local/share/.cache/yarn
		// whatever HOME says.
		{"WH503", "FROM node:20\nENV HOME=/home/node\nRUN yarn install\n", nil},
		{"WH505", "FROM golang:1.22\nENV GOCACHE=/gocache\nRUN go build ./...\n", []string{"/gocache"}},
		{"WH505", "FROM golang:1.22\nRUN go build ./...\n", nil},
		{"WH505", "FROM golang:1.22\nENV XDG_CACHE_HOME=/cache\nRUN go build ./...\n", []string{"/cache/go-build"}},
		{"WH501", "FROM python:3.12\nENV XDG_CACHE_HOME=/cache\nRUN pip install flask\n", []string{"/cache/pip"}},
		{"WH501", "FROM python:3.12\nENV HOME=/app\nRUN pip install flask\n", []string{"/app/.cache/pip"}},
		{"WH502", "FROM node:20\nENV HOME=/srv\nRUN npm ci\n", []string{"/srv/.npm"}},
		// Another USER: a default cache is under that user's home, which
		// the category measures wherever it is; a rule measured by its
		// paths names them only where the Dockerfile shows the home.
		{"WH501", "FROM python:3.12\nUSER app\nRUN pip install flask\n", nil},
		{"WH501", "FROM python:3.12\nRUN useradd -m app\nUSER app\nRUN pip install flask\n", nil},
		{"WH505", "FROM golang:1.22\nRUN useradd -m app\nUSER app\nRUN go build ./...\n", nil},
		{"WH507", "FROM debian:12\nRUN useradd -m dev\nUSER dev\nRUN go mod download\n", []string{"/home/dev/go/pkg/mod"}},
		{"WH507", "FROM debian:12\nUSER dev\nRUN go mod download\n", nil},
		{"WH507", "FROM debian:12\nRUN go mod download\n", []string{"/root/go/pkg/mod"}},
		{"WH507", "FROM debian:12\nENV HOME=/srv\nRUN go mod download\n", []string{"/srv/go/pkg/mod"}},
		{"WH506", "FROM debian:12\nRUN adduser --system rs\nUSER rs\nRUN cargo build --release\n", nil},
		{"WH506", "FROM debian:12\nRUN useradd -m rs\nUSER rs\nRUN cargo build --release\n", []string{"/home/rs/.cargo/registry", "/home/rs/.cargo/git"}},
		{"WH508", "FROM php:8.3-cli\nRUN useradd -m web\nUSER web\nRUN composer install\n", []string{"/home/web/.composer/cache", "/home/web/.cache/composer"}},
		{"WH508", "FROM php:8.3-cli\nUSER web\nRUN composer install\n", nil},
		{"WH508", "FROM php:8.3-cli\nRUN composer install\n", []string{"/root/.composer/cache", "/root/.cache/composer"}},
		{"WH403", "FROM registry.access.redhat.com/ubi9/ubi-minimal\nRUN microdnf install -y python3\n", []string{"/var/cache/yum"}},
		{"WH403", "FROM fedora:41\nRUN dnf install -y python3\n", []string{"/var/cache/libdnf5"}},
		{"WH403", "FROM registry.access.redhat.com/ubi8/ubi\nRUN dnf install -y python3\n", nil},
		{"WH401", "FROM registry.access.redhat.com/ubi8/ubi\nRUN yum install -y python3\n", []string{"/var/cache/dnf"}},
		{"WH401", "FROM fedora:42\nRUN yum install -y python3\n", []string{"/var/cache/libdnf5"}},
		{"WH401", "FROM centos:7\nRUN yum install -y python3\n", nil},
		{"WH607", "FROM node:20\nWORKDIR /opt\nRUN git clone --depth=1 https://e/x/tool.git\n", []string{"/opt/tool/.git"}},
		{"WH607", "FROM node:20\nRUN git clone -b v1 https://e/x/tool.git /srv/app/\n", []string{"/srv/app/.git"}},
	} {
		got := findingOf(t, tc.src, tc.rule)
		if got == nil {
			t.Errorf("%s: not reported in %q", tc.rule, tc.src)
			continue
		}
		if !slices.Equal(got.Paths, tc.want) {
			t.Errorf("%s: paths %q, want %q", tc.rule, got.Paths, tc.want)
		}
	}
}

// WH107's findings name the build packages kept, tools then headers,
// without versions or architectures, for analyze --dockerfile to measure.
func TestFindingPackages(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want []string
	}{
		{"FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends libpq-dev gcc=4:12.2.0-3 curl make:amd64\nRUN make\n", []string{"gcc", "make", "libpq-dev"}},
		{"FROM alpine:3.20\nRUN apk add --no-cache build-base python3-dev py3-pip\nRUN pip install numpy\n", []string{"build-base", "python3-dev"}},
		{"FROM debian:12\nRUN apt-get update && apt-get install -y libffi-dev\nRUN pip install cffi\n", []string{"libffi-dev"}},
		{"FROM debian:12\nRUN apt-get update && apt-get install -y libc6-dev gcc \\\n  libc6-dev\nRUN make\n", []string{"libc6-dev", "gcc"}},
	} {
		var got *Finding
		for _, f := range lintString(t, tc.src) {
			if f.Rule == "WH107" {
				got = &f
				break
			}
		}
		if got == nil {
			t.Errorf("WH107: not reported in %q", tc.src)
			continue
		}
		if !slices.Equal(got.Packages, tc.want) {
			t.Errorf("%q: packages %q, want %q", tc.src, got.Packages, tc.want)
		}
	}
}

// The rpm-family rules name the cache where the tool keeps it on the base,
// in the message and in the fix's mount.
func TestRPMCacheMessages(t *testing.T) {
	for _, tc := range []struct {
		rule, src, msg, fix string
	}{
		{"WH401", "FROM registry.access.redhat.com/ubi8/ubi\nRUN yum install -y python3\n", "in /var/cache/dnf in", "mount a cache on /var/cache/dnf"},
		{"WH401", "FROM rockylinux:9\nRUN yum install -y python3\n", "in /var/cache/dnf in", "`rm -rf /var/cache/dnf`"},
		{"WH401", "FROM centos:7\nRUN yum install -y python3\n", "in /var/cache/yum in", "mount a cache on /var/cache/yum"},
		{"WH401", "FROM mycorp/base\nRUN yum install -y python3\n", "in /var/cache/yum in", "`rm -rf /var/cache/yum`"},
		{"WH403", "FROM registry.access.redhat.com/ubi8/ubi-minimal\nRUN microdnf install -y python3\n", "in /var/cache/yum in", "microdnf clean all"},
		{"WH403", "FROM fedora:41\nRUN dnf install -y python3\n", "in /var/cache/libdnf5 in", "dnf clean all"},
	} {
		got := findingOf(t, tc.src, tc.rule)
		if got == nil {
			t.Errorf("%s: not reported in %q", tc.rule, tc.src)
			continue
		}
		if !strings.Contains(got.Message, tc.msg) || !strings.Contains(got.Fix, tc.fix) {
			t.Errorf("%s on %q: message %q, fix %q; want %q and %q", tc.rule, tc.src, got.Message, got.Fix, tc.msg, tc.fix)
		}
	}
}

// WH107 and the image's command: a build package the CMD or ENTRYPOINT
// runs (git for a pull at start) is plausibly needed at run time. A
// finding about such packages alone is info; with other build packages
// kept, the finding is about those and leaves it out. Either way round.
func TestBuildPackagesRuntimeUse(t *testing.T) {
	const install = "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends %s && rm -rf /var/lib/apt/lists/*\nRUN pip install --no-cache-dir -r requirements.txt\n"
	for _, tc := range []struct {
		name, pkgs, tail string
		sev              Severity
		want             []string
		msg              string
	}{
		{"git for the build only", "git", "CMD [\"python\", \"app.py\"]\n", Warning, []string{"git"}, "they serve the build at line 3"},
		{"git and no command", "git", "", Warning, []string{"git"}, ""},
		{"git run by an exec-form CMD", "git", "CMD [\"git\", \"daemon\"]\n", Info, []string{"git"}, "the image's command runs git, line 4: the image may need it at run time"},
		{"git run by path", "git", "ENTRYPOINT [\"/usr/bin/git\"]\n", Info, []string{"git"}, "runs git, line 4"},
		{"git run by an sh -c CMD", "git", "CMD [\"sh\", \"-c\", \"git pull && exec python app.py\"]\n", Info, []string{"git"}, "runs git"},
		{"git run by a shell-form ENTRYPOINT", "git-core", "ENTRYPOINT git pull; python app.py\n", Info, []string{"git-core"}, "runs git-core"},
		{"git left out of a finding about gcc", "git gcc", "CMD git pull && python app.py\n", Warning, []string{"gcc"}, "; git, which the image's command runs (line 4), is left out"},
		{"make and gcc both run", "gcc make", "CMD make run && gcc --version\n", Info, []string{"gcc", "make"}, "may need them at run time"},
		{"a versioned compiler run", "gcc-12", "CMD [\"gcc\"]\n", Info, []string{"gcc-12"}, "runs gcc-12"},
		{"a word that is not the program", "git", "CMD [\"python\", \"git.py\", \"--git-dir\", \"x\"]\n", Warning, []string{"git"}, ""},
		{"build-essential is no command", "build-essential", "CMD [\"build-essential\"]\n", Warning, []string{"build-essential"}, ""},
		{"headers and git run", "git libpq-dev", "CMD [\"git\"]\n", Info, []string{"libpq-dev"}, "headers only"},
	} {
		src := fmt.Sprintf(install, tc.pkgs) + tc.tail
		var got *Finding
		for _, f := range lintString(t, src) {
			if f.Rule == "WH107" {
				got = &f
				break
			}
		}
		if got == nil {
			t.Errorf("%s: not reported in %q", tc.name, src)
			continue
		}
		if got.Severity != tc.sev || !slices.Equal(got.Packages, tc.want) || !strings.Contains(got.Message, tc.msg) {
			t.Errorf("%s: %s %q %q, want %s %q and a message with %q", tc.name, got.Severity, got.Packages, got.Message, tc.sev, tc.want, tc.msg)
		}
	}
	// The image's command is the target's, inherited from the stage it is
	// built on; a builder stage's CMD is not the image's.
	for _, tc := range []struct {
		src string
		sev Severity
	}{
		{"FROM python:3.12-slim AS base\nRUN apt-get install -y git\nRUN pip install -r r.txt\nCMD [\"git\", \"daemon\"]\nFROM base\nRUN echo hi\n", Info},
		{"FROM python:3.12-slim AS base\nRUN apt-get install -y git\nRUN pip install -r r.txt\nCMD [\"git\", \"daemon\"]\nFROM base\nCMD [\"python\"]\n", Warning},
		{"FROM alpine AS tools\nCMD [\"git\"]\nFROM python:3.12-slim\nRUN apt-get install -y git\nRUN pip install -r r.txt\n", Warning},
	} {
		var got *Finding
		for _, f := range lintString(t, tc.src) {
			if f.Rule == "WH107" {
				got = &f
				break
			}
		}
		if got == nil || got.Severity != tc.sev {
			t.Errorf("%q: finding %+v, want %s", tc.src, got, tc.sev)
		}
	}
}

// WH607 is info when the image's command runs git (it may need the
// repository), a warning otherwise, and says how deep the history is.
func TestCloneHistorySeverity(t *testing.T) {
	for _, tc := range []struct {
		src, msg string
		sev      Severity
	}{
		{"FROM debian\nRUN git clone https://e/app.git /app\nCMD [\"/app/run\"]\n", "(every revision of its history)", Warning},
		{"FROM debian\nRUN git clone --depth 1 https://e/app.git /app\n", "(the objects of the revisions it fetched)", Warning},
		{"FROM debian\nRUN git clone https://e/app.git /app\nCMD git -C /app pull && /app/run\n", "the image's command runs git, line 3", Info},
		{"FROM debian\nRUN git clone https://github.com/Homebrew/brew /home/linuxbrew/.linuxbrew/Homebrew\n", "Homebrew looks like a tool that updates itself", Info},
		{"FROM debian\nRUN git clone https://github.com/Linuxbrew/brew.git /usr/local/src/linuxbrew\n", "linuxbrew looks like", Info},
		{"FROM debian\nRUN git clone https://github.com/nvm-sh/nvm.git /opt/nvm\n", "nvm looks like", Info},
		{"FROM debian\nRUN git clone https://github.com/pyenv/pyenv.git /root/.pyenv\n", ".pyenv looks like", Info},
		{"FROM debian\nRUN git clone https://github.com/microsoft/vcpkg /opt/vcpkg\n", "vcpkg looks like", Info},
		{"FROM debian\nRUN git clone https://github.com/x/brewery /opt/brewery\n", "(every revision", Warning},
		{"FROM debian\nRUN git clone https://github.com/x/nvm-tools /opt/nvm-tools\n", "(every revision", Warning},
	} {
		var got *Finding
		for _, f := range lintString(t, tc.src) {
			if f.Rule == "WH607" {
				got = &f
				break
			}
		}
		if got == nil || got.Severity != tc.sev || !strings.Contains(got.Message, tc.msg) {
			t.Errorf("%q: %+v, want %s and a message with %q", tc.src, got, tc.sev, tc.msg)
		}
	}
}

// WH107's one-RUN fix names the packages and the build the finding is
// about, not a placeholder.
func TestBuildPackagesFixNamesBuild(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"FROM node:20-alpine\nRUN apk add --no-cache build-base python3-dev\nRUN npm install\n", "`apk add --no-cache --virtual .build-deps build-base python3-dev && npm install ... && apk del .build-deps`"},
		{"FROM debian:12\nRUN apt-get install -y --no-install-recommends build-essential\nRUN make -C /src\n", "`apt-get install -y --no-install-recommends build-essential && make ... && apt-get purge -y --auto-remove -o APT::AutoRemove::SuggestsImportant=false build-essential`"},
		{"FROM debian:12\nRUN apt-get install -y gcc libpq-dev\nRUN python3 -m pip install psycopg2\n", "libpq-dev && pip install ... &&"},
		{"FROM debian:12\nRUN apt-get install -y gcc\nRUN cd /src && ./configure --prefix=/usr\n", "gcc && ./configure ... &&"},
		{"FROM debian:12\nRUN apt-get install -y gcc g++ make cmake autoconf automake libtool\nRUN make\n", "--no-install-recommends gcc g++ make cmake ... && make ..."},
	} {
		var got *Finding
		for _, f := range lintString(t, tc.src) {
			if f.Rule == "WH107" {
				got = &f
				break
			}
		}
		if got == nil || !strings.Contains(got.Fix, tc.want) {
			t.Errorf("%q: fix %+v, want one with %q", tc.src, got, tc.want)
		}
	}
}

// findingOf returns the first finding of rule in src, nil when none.
func findingOf(t *testing.T, src, rule string) *Finding {
	t.Helper()
	for _, f := range lintString(t, src) {
		if f.Rule == rule {
			return &f
		}
	}
	return nil
}
