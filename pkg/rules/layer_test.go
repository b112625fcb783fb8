package rules

import (
	"fmt"
	"strings"
	"testing"
)

// layerWant is one expected finding: its line, words its message must hold
// and its severity.
type layerWant struct {
	line     int
	contains []string
	sev      Severity
}

type layerCase struct {
	name string
	src  string
	want []layerWant
}

func runLayerCases(t *testing.T, r Rule, cases []layerCase) {
	t.Helper()
	for i, tc := range cases {
		t.Run(fmt.Sprintf("%02d-%s", i, tc.name), func(t *testing.T) {
			got := lintString(t, tc.src, WithRuleSet(r))
			if len(got) != len(tc.want) {
				for _, g := range got {
					t.Logf("got %d: %s", g.Line, g.Message)
				}
				t.Fatalf("got %d findings, want %d", len(got), len(tc.want))
			}
			for k, w := range tc.want {
				g := got[k]
				if g.Line != w.line || g.Severity != w.sev {
					t.Errorf("finding %d at line %d (%s), want line %d (%s): %s", k, g.Line, g.Severity, w.line, w.sev, g.Message)
				}
				for _, s := range w.contains {
					if !strings.Contains(g.Message+" | "+g.Fix, s) {
						t.Errorf("finding %d lacks %q: %s | %s", k, s, g.Message, g.Fix)
					}
				}
				if g.Rule != r.Meta().ID || g.Doc != "docs/rules/"+g.Rule+".md" {
					t.Errorf("rule %s doc %s", g.Rule, g.Doc)
				}
			}
		})
	}
}

var wh101Cases = []layerCase{
	// What a command removes is gone: a later command does not undo it
	// again (each of n removals reporting every earlier install made n
	// squared findings).
	{name: "purged twice: the first purge undoes the install", src: "FROM debian\nRUN apt-get update && apt-get install -y gcc && rm -rf /var/lib/apt/lists/*\nRUN apt-get purge -y gcc\nRUN apt-get purge -y gcc\n",
		want: []layerWant{{3, []string{"purges package gcc (apt)", "line 2"}, Warning}}},
	{name: "a stage built on one that removed it", src: "FROM debian AS a\nRUN cp /etc/hosts /opt/x.bin\nRUN rm /opt/x.bin\nFROM a\nRUN rm -f /opt/x.bin\n",
		want: []layerWant{{3, []string{"removes /opt/x.bin", "line 2"}, Warning}}},
	// What a RUN between makes under a copied tree is not the COPY's.
	{name: "node_modules made by npm install after COPY . .", src: "FROM node\nWORKDIR /app\nCOPY . .\nRUN npm install\nRUN rm -rf node_modules/.cache\n"},
	{name: "a subpath removed right after COPY . .", src: "FROM node\nWORKDIR /app\nCOPY . .\nRUN rm -rf /app/docs\n",
		want: []layerWant{{4, []string{"removes", "/app/docs", "COPY at line 3"}, Warning}}},
	// A non-recursive chmod or chown of a directory rewrites its entry,
	// not the files below it.
	{name: "chown of the extracted directory, not recursive", src: "FROM debian\nRUN curl -fsSL https://e/x.tgz | tar -xz -C /opt/app\nRUN chown app /opt/app\n"},
	{name: "chmod of a directory above, not recursive", src: "FROM debian\nRUN cp /etc/hosts /opt/app/hosts\nRUN chmod 755 /opt/app\n"},
	{name: "chown -R of the extracted directory", src: "FROM debian\nRUN curl -fsSL https://e/x.tgz | tar -xz -C /opt/app\nRUN chown -R app /opt/app\n",
		want: []layerWant{{3, []string{"changes the owner of", "/opt/app"}, Warning}}},
	{name: "chmod of the copied file itself", src: "FROM debian\nRUN cp /etc/hosts /usr/local/bin/tool\nRUN chmod +x /usr/local/bin/tool\n",
		want: []layerWant{{3, []string{"changes the mode of", "/usr/local/bin/tool"}, Warning}}},
	// PARFUM cc8c73f5...: the later RUN deletes the downloads (WH103's
	// finding) before its mv, whose glob then matches only what was
	// extracted.
	{name: "mv after the same RUN removed the download", src: `FROM alpine
RUN cd /usr/local/src && v=$(curl -s https://e.org/latest) && wget -c https://e.org/pcre-$v.tar.gz
RUN cd /usr/local/src && tar zxf pcre-*.tar.gz && rm *.tar.gz && mv pcre-* pcre
`},
	{name: "classic apk add, pip, apk del", src: `FROM alpine:3.7
RUN apk add python3
RUN apk add py3-pip
RUN pip3 install django
RUN apk del py3-pip
`, want: []layerWant{{line: 5, sev: Warning, contains: []string{"RUN at line 5 removes package py3-pip (apk)", "RUN at line 3", "--virtual .build-deps"}}}},
	{name: "apt purge in a later RUN", src: `FROM debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN make -C /src
RUN apt-get purge -y --auto-remove gcc
`, want: []layerWant{{line: 5, sev: Warning, contains: []string{"purges package gcc (apt)", "line 2", "apt-get purge -y --auto-remove"}}}},
	{name: "apt lists removed later", src: `FROM debian
RUN apt-get update && apt-get install -y curl
RUN rm -rf /var/lib/apt/lists/*
`, want: []layerWant{{line: 3, sev: Warning, contains: []string{"cleans the cache /var/lib/apt/lists", "line 2"}}}},
	{name: "pip cache purged later", src: `FROM python:3.12
RUN pip install flask
RUN pip cache purge
`, want: []layerWant{{line: 3, sev: Warning, contains: []string{"/root/.cache/pip"}}}},
	{name: "build deps in an ENV, purged later", src: `FROM debian:bookworm-slim
ENV BUILD_DEPS="gcc make"
RUN apt-get update && apt-get install -y --no-install-recommends $BUILD_DEPS && rm -rf /var/lib/apt/lists/*
RUN make
RUN apt-get purge -y --auto-remove $BUILD_DEPS
`, want: []layerWant{{line: 5, sev: Warning, contains: []string{"package gcc (apt), package make (apt)", "line 3"}}}},
	{name: "moved go cache removed later", src: `FROM golang:1.22
ENV GOCACHE=/tmp/gocache
RUN go build -o /app .
RUN rm -rf /tmp/gocache
`, want: []layerWant{{line: 4, sev: Warning, contains: []string{"the cache /tmp/gocache", "line 3"}}}},
	{name: "copied file removed later", src: `FROM python:3.12-slim
COPY requirements.txt wheels.tar /tmp/
RUN pip install --no-cache-dir -r /tmp/requirements.txt && rm /tmp/requirements.txt /tmp/wheels.tar
`, want: []layerWant{{line: 3, sev: Warning, contains: []string{"removes /tmp/requirements.txt, /tmp/wheels.tar", "COPY at line 2", ".dockerignore"}}}},
	{name: "ADD of a local tarball unpacks it: no archive to remove", src: `FROM alpine
ADD app.tar.gz /opt/
RUN rm -f /opt/app.tar.gz
`},
	{name: "ADD of a local tarball, part of it removed later", src: `FROM alpine
ADD app.tar.gz /srv/app/
RUN rm -rf /srv/app/docs
`, want: []layerWant{{line: 3, sev: Warning, contains: []string{"removes /srv/app/docs", "ADD at line 2"}}}},
	{name: "copied archive extracted and removed: WH105's case", src: `FROM alpine
COPY app.tar.gz /tmp/
RUN tar xzf /tmp/app.tar.gz -C /opt && rm /tmp/app.tar.gz
`},
	{name: "downloaded binary made executable later", src: `FROM alpine
RUN wget -O /usr/local/bin/tool https://example.com/tool
RUN chmod +x /usr/local/bin/tool
`, want: []layerWant{{line: 3, sev: Warning, contains: []string{"changes the mode of /usr/local/bin/tool", "line 2"}}}},
	{name: "git clone then .git removed", src: `FROM alpine
WORKDIR /src
RUN git clone --depth 1 https://example.com/repo.git
RUN rm -rf repo/.git
`, want: []layerWant{{line: 4, sev: Warning, contains: []string{"removes /src/repo", "line 3"}}}},
	{name: "removal in a stage built on the installing stage", src: `FROM debian AS base
RUN apt-get install -y gcc
FROM base
RUN apt-get remove -y gcc
`, want: []layerWant{{line: 4, sev: Warning, contains: []string{"removes package gcc", "line 2"}}}},
	{name: "stage not shipped: info", src: `FROM alpine AS build
RUN apk add --no-cache gcc
RUN apk del gcc
FROM scratch
COPY --from=build /bin/true /true
`, want: []layerWant{{line: 3, sev: Info, contains: []string{"gcc"}}}},
	{name: "apk virtual group removed later", src: `FROM alpine
RUN apk add --no-cache --virtual .deps gcc make
RUN apk del .deps
`, want: []layerWant{{line: 3, sev: Warning, contains: []string{"package .deps (apk)"}}}},
	{name: "one RUN: nothing", src: `FROM alpine:3.7
RUN apk add python3
RUN apk add py3-pip && pip3 install django && apk del py3-pip
`},
	{name: "virtual group used in one RUN", src: `FROM alpine
RUN apk add --no-cache --virtual .build-deps gcc musl-dev && pip install x && apk del .build-deps
`},
	{name: "directory copy, build output removed", src: `FROM node:20
COPY . /app
RUN cd /app && npm run build && rm -rf /app/build/tmp
`},
	{name: "lists cleaned in the same RUN", src: `FROM debian
RUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*
RUN rm -rf /var/lib/apt/lists/*
`},
	{name: "cache mount keeps the cache out", src: `FROM alpine
RUN --mount=type=cache,target=/var/cache/apk apk add gcc
RUN rm -rf /var/cache/apk/*
`},
	{name: "removing a package the file never installed", src: `FROM debian
RUN apt-get purge -y --auto-remove foo
`},
	{name: "other stage's file", src: `FROM alpine AS a
RUN wget -O /x https://example.com/x
FROM alpine
RUN chmod +x /x
`},
	{name: "no-cache apk, later rm of the cache dir", src: `FROM alpine
RUN apk add --no-cache curl
RUN rm -rf /var/cache/apk/*
`},
}

func TestWH101(t *testing.T) { runLayerCases(t, layerTechnique{}, wh101Cases) }

var wh102Cases = []layerCase{
	{name: "copy then chown -R", src: `FROM node:20-slim
WORKDIR /app
COPY . .
RUN npm ci
RUN chown -R node:node /app
`, want: []layerWant{{line: 5, sev: Warning, contains: []string{"runs chown on /app", "COPY at line 3", "--chown=node:node"}}}},
	{name: "copy then chmod +x of the file", src: `FROM alpine
COPY entrypoint.sh /usr/local/bin/
RUN chmod +x /usr/local/bin/entrypoint.sh
`, want: []layerWant{{line: 3, sev: Warning, contains: []string{"chmod", "/usr/local/bin/entrypoint.sh", "--chmod=+x", "BuildKit"}}}},
	{name: "chown of a parent dir, recursive", src: `FROM alpine
COPY --from=golang:1.22 /usr/local/go /usr/local/go
RUN chown -R 1000 /usr/local
`, want: []layerWant{{line: 3, sev: Warning, contains: []string{"COPY at line 2"}}}},
	{name: "copy with --chown already", src: `FROM alpine
COPY --chown=app:app . /app
RUN chown app:app /app
`},
	{name: "chown of something else", src: `FROM alpine
COPY . /app
RUN mkdir /data && chown -R app /data
`},
	{name: "chown in the same RUN that made the files", src: `FROM alpine
RUN mkdir /app && touch /app/x && chown -R app /app
`},
	// PARFUM 613403030ca5...: COPY Gemfile /usr/src/app/ and a later
	// chown of /usr/src/app. Without -R the chown rewrites only the
	// directory entry, not the copied Gemfile.
	{name: "non-recursive chown of the directory a file was copied into", src: `FROM ruby:alpine
COPY Gemfile /usr/src/app/
COPY Gemfile.lock /usr/src/app/
RUN adduser -u 9000 -D app
RUN chown app:app /usr/src/app && chmod 755 /usr/src/app
`},
	{name: "recursive chown of the directory a file was copied into", src: `FROM ruby:alpine
COPY Gemfile /usr/src/app/
COPY Gemfile.lock /usr/src/app/
RUN chown -R app:app /usr/src/app
`, want: []layerWant{{line: 4, sev: Warning, contains: []string{"runs chown on /usr/src/app", "COPY at line 3", "--chown=app:app"}}}},
	{name: "non-recursive chmod of the copied files by glob", src: `FROM alpine
COPY scripts/ /opt/scripts/
RUN chmod +x /opt/scripts/*
`, want: []layerWant{{line: 3, sev: Warning, contains: []string{"chmod", "/opt/scripts/*", "COPY at line 2"}}}},
	{name: "non-recursive chown of the copied file itself", src: `FROM alpine
COPY app.conf /etc/app/
RUN chown app /etc/app/app.conf
`, want: []layerWant{{line: 3, sev: Warning, contains: []string{"runs chown on /etc/app/app.conf"}}}},
}

func TestWH102(t *testing.T) { runLayerCases(t, layerCopyChown{}, wh102Cases) }

var wh103Cases = []layerCase{
	{name: "deleted, then deleted again: the second rm touches nothing downloaded", src: `FROM debian
RUN curl -fsSL -o /tmp/a.tgz https://e/a.tgz
RUN tar -xzf /tmp/a.tgz -C /opt && rm /tmp/a.tgz
RUN rm -f /tmp/a.tgz
`, want: []layerWant{{line: 3, sev: Warning, contains: []string{"extracts it at line 3, then deletes it at line 3: the download"}}}},
	{name: "curl then tar and rm in a later RUN", src: `FROM debian
RUN curl -fsSL -o /tmp/node.tar.xz https://nodejs.org/dist/v20.0.0/node-v20.0.0-linux-x64.tar.xz
RUN tar -xJf /tmp/node.tar.xz -C /usr/local --strip-components=1 && rm /tmp/node.tar.xz
`, want: []layerWant{{line: 3, sev: Warning, contains: []string{"downloads /tmp/node.tar.xz", "extracts it at line 3, then deletes it at line 3", "curl -fsSL URL | tar"}}}},
	{name: "wget into WORKDIR, unzip later, rm even later", src: `FROM alpine
WORKDIR /opt
RUN wget https://example.com/dl/tool.zip
RUN unzip tool.zip -d /opt/tool
RUN rm tool.zip
`, want: []layerWant{{line: 4, sev: Warning, contains: []string{"/opt/tool.zip", "extracts it at line 4, then deletes it at line 5"}}}},
	{name: "ADD url then extract", src: `FROM alpine
ADD https://example.com/app-1.0.tar.gz /tmp/
RUN tar xzf /tmp/app-1.0.tar.gz -C /srv/app && rm /tmp/app-1.0.tar.gz
`, want: []layerWant{{line: 3, sev: Warning, contains: []string{"ADD at line 2", "ADD never extracts remote URLs"}}}},
	{name: "variables in the URL and path", src: `FROM alpine
ARG V=1.2.3
RUN curl -fsSLO https://example.com/x-${V}.tgz
RUN tar xzf x-${V}.tgz
`, want: []layerWant{{line: 4, sev: Warning, contains: []string{"/x-1.2.3.tgz"}}}},
	{name: "all in one RUN", src: `FROM debian
RUN curl -fsSL -o /tmp/x.tgz https://e.com/x.tgz && tar xzf /tmp/x.tgz -C /opt && rm /tmp/x.tgz
`},
	{name: "streamed", src: `FROM debian
RUN curl -fsSL https://e.com/x.tgz | tar xz -C /opt
RUN ls /opt
`},
	{name: "download kept, never extracted", src: `FROM debian
RUN curl -fsSL -o /usr/local/bin/jq https://e.com/jq
RUN jq --version
`},
}

func TestWH103(t *testing.T) { runLayerCases(t, layerDownload{}, wh103Cases) }

func TestLayerUndos(t *testing.T) {
	f := parseString(t, `FROM alpine:3.7
RUN apk add python3
RUN apk add py3-pip && wget -O /tmp/x https://e.com/x
RUN pip3 install django
RUN apk del py3-pip && chmod 644 /tmp/x
`)
	us := LayerUndos(f)
	if len(us) != 2 {
		t.Fatalf("undos: %+v", us)
	}
	u := us[0]
	if u.Made != f.Instructions[2] || u.Undo != f.Instructions[4] || u.Verb != "removes" || strings.Join(u.Packages["apk"], ",") != "py3-pip" {
		t.Errorf("first undo: %+v", u)
	}
	if got := string(f.Src[u.Command.Range.Start.Offset:u.Command.Range.End.Offset]); got != "apk del py3-pip" {
		t.Errorf("command range covers %q", got)
	}
	if v := us[1]; v.Verb != "changes the mode of" || strings.Join(v.Paths, ",") != "/tmp/x" || v.Made != f.Instructions[2] {
		t.Errorf("second undo: %+v", v)
	}
	if LayerUndos(nil) != nil {
		t.Error("nil file")
	}
}
