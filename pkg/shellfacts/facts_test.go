package shellfacts

import (
	"fmt"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"
)

// describe renders what a command means, for table comparisons.
func describe(c *Command) string {
	var b strings.Builder
	b.WriteString(c.Name)
	flag := func(on bool, s string) {
		if on {
			b.WriteString(" " + s)
		}
	}
	switch {
	case c.Pkg != nil:
		p := c.Pkg
		fmt.Fprintf(&b, " [%s %s]", p.Manager, p.Verb)
		flag(p.Yes, "yes")
		flag(p.NoInstallRecommends, "norec")
		flag(p.AutoRemove, "autoremove")
		flag(p.NoCache, "nocache")
		flag(p.Update, "update")
		flag(p.Virtual != "", "virtual="+p.Virtual)
		flag(p.NoDocument, "nodoc")
		flag(p.Force, "force")
		flag(p.All, "all")
		flag(p.Global, "global")
		flag(len(p.Requirements) > 0, "req="+strings.Join(p.Requirements, ","))
		flag(len(p.Packages) > 0, "pkgs="+strings.Join(p.Packages, ","))
	case c.Download != nil:
		d := c.Download
		fmt.Fprintf(&b, " [get] out=%s", d.Output)
		flag(d.Stdout, "stdout")
		flag(d.Piped, "piped")
	case c.Extract != nil:
		e := c.Extract
		fmt.Fprintf(&b, " [extract] archive=%s dest=%s", e.Archive, e.Dest)
		flag(e.FromPipe, "pipe")
		flag(e.Create, "create")
	case c.File != nil:
		f := c.File
		fmt.Fprintf(&b, " [%s] %s", f.Op, strings.Join(f.Paths, ","))
		flag(f.Dest != "", "dest="+f.Dest)
		flag(f.Mode != "", "mode="+f.Mode)
		flag(f.Recursive, "-r")
		flag(f.Force, "-f")
	}
	return b.String()
}

func analyze(t *testing.T, script string, opts ...Option) *Facts {
	t.Helper()
	file, err := syntax.NewParser().Parse(strings.NewReader(script), "")
	if err != nil {
		t.Fatalf("parsing %q: %v", script, err)
	}
	f, err := Analyze(file, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var meaningCases = []struct {
	script string
	opts   []Option
	want   []string
}{
	// apt, every spelling that matters
	{script: "apt-get update && apt-get install -y --no-install-recommends curl git", want: []string{
		"apt-get [apt update]", "apt-get [apt install] yes norec pkgs=curl,git"}},
	{script: "apt-get -yq install curl", want: []string{"apt-get [apt install] yes pkgs=curl"}},
	{script: "apt-get install --yes curl", want: []string{"apt-get [apt install] yes pkgs=curl"}},
	{script: "apt-get install --assume-yes curl", want: []string{"apt-get [apt install] yes pkgs=curl"}},
	{script: "apt-get -qq install curl", want: []string{"apt-get [apt install] yes pkgs=curl"}},
	{script: "apt-get -q install curl", want: []string{"apt-get [apt install] pkgs=curl"}},
	{script: "apt-get -q -q install curl", want: []string{"apt-get [apt install] yes pkgs=curl"}},
	{script: "apt-get -o APT::Install-Recommends=false install -y x", want: []string{"apt-get [apt install] yes norec pkgs=x"}},
	{script: "apt-get install -o APT::Install-Recommends=0 x", want: []string{"apt-get [apt install] norec pkgs=x"}},
	{script: "apt-get -o Dpkg::Options::=--force-confold install -y x", want: []string{"apt-get [apt install] yes pkgs=x"}},
	{script: "apt install -y x", want: []string{"apt [apt install] yes pkgs=x"}},
	{script: "aptitude install -y -R x", want: []string{"aptitude [apt install] yes norec pkgs=x"}},
	{script: "apt-get purge -y --auto-remove gcc make", want: []string{"apt-get [apt purge] yes autoremove pkgs=gcc,make"}},
	{script: "apt-get remove --purge --autoremove -y gcc", want: []string{"apt-get [apt purge] yes autoremove pkgs=gcc"}},
	{script: "apt-get remove -y gcc", want: []string{"apt-get [apt remove] yes pkgs=gcc"}},
	{script: "apt-get autoremove -y && apt-get clean", want: []string{"apt-get [apt autoremove] yes", "apt-get [apt clean]"}},
	{script: "rm -rf /var/lib/apt/lists/*", want: []string{"rm [rm] /var/lib/apt/lists/* -r -f"}},
	{script: "apt-get dist-upgrade -y", want: []string{"apt-get [apt upgrade] yes"}},
	// apk
	{script: "apk add --no-cache curl", want: []string{"apk [apk install] nocache pkgs=curl"}},
	{script: "apk --no-cache add curl", want: []string{"apk [apk install] nocache pkgs=curl"}},
	{script: "apk add --update --virtual .build-deps gcc musl-dev", want: []string{"apk [apk install] update virtual=.build-deps pkgs=gcc,musl-dev"}},
	{script: "apk add -U -t .deps gcc", want: []string{"apk [apk install] update virtual=.deps pkgs=gcc"}},
	{script: "apk add --virtual=.deps gcc", want: []string{"apk [apk install] virtual=.deps pkgs=gcc"}},
	{script: "apk del .build-deps", want: []string{"apk [apk remove] pkgs=.build-deps"}},
	{script: "apk update && apk cache clean", want: []string{"apk [apk update]", "apk [apk clean]"}},
	// rpm family
	{script: "dnf install -y --setopt=install_weak_deps=False x && dnf clean all", want: []string{
		"dnf [dnf install] yes norec pkgs=x", "dnf [dnf clean] all pkgs=all"}},
	{script: "yum -y install x && yum clean all", want: []string{"yum [yum install] yes pkgs=x", "yum [yum clean] all pkgs=all"}},
	{script: "yum install --assumeyes x", want: []string{"yum [yum install] yes pkgs=x"}},
	{script: "microdnf install --setopt=install_weak_deps=0 --nodocs x", want: []string{"microdnf [microdnf install] norec pkgs=x"}},
	{script: "dnf -y remove x", want: []string{"dnf [dnf remove] yes pkgs=x"}},
	{script: "zypper -n in curl", want: []string{"zypper [zypper install] yes pkgs=curl"}},
	{script: "zypper --non-interactive install --no-recommends x", want: []string{"zypper [zypper install] yes norec pkgs=x"}},
	{script: "zypper cc -a", want: []string{"zypper [zypper clean] all"}},
	{script: "zypper clean --all", want: []string{"zypper [zypper clean] all"}},
	// pip
	{script: "pip install --no-cache-dir -r requirements.txt", want: []string{"pip [pip install] nocache req=requirements.txt"}},
	{script: "pip3 install django", want: []string{"pip3 [pip install] pkgs=django"}},
	{script: "pip3.11 install --no-cache-dir x", want: []string{"pip3.11 [pip install] nocache pkgs=x"}},
	{script: "python3 -m pip install --no-cache-dir --upgrade pip", want: []string{"python3 [pip install] nocache pkgs=pip"}},
	{script: "python -m pip install x", want: []string{"python [pip install] pkgs=x"}},
	{script: "PIP_NO_CACHE_DIR=1 pip install x", want: []string{"pip [pip install] nocache pkgs=x"}},
	{script: "export PIP_NO_CACHE_DIR=true && pip install x", want: []string{"pip [pip install] nocache pkgs=x"}},
	{script: "PIP_NO_CACHE_DIR=1; pip install x", want: []string{"pip [pip install] pkgs=x"}},
	{script: "pip install x", opts: []Option{WithEnv(map[string]string{"PIP_NO_CACHE_DIR": "on"})}, want: []string{"pip [pip install] nocache pkgs=x"}},
	// tar's old-style bundle: a letter that takes a value takes the next
	// word, wherever it is in the bundle.
	{script: "tar xvfz /tmp/a.tgz -C /opt", want: []string{"tar [extract] archive=/tmp/a.tgz dest=/opt"}},
	{script: "tar xzf /tmp/a.tgz", want: []string{"tar [extract] archive=/tmp/a.tgz dest=/"}},
	{script: "tar -xvfz /tmp/a.tgz", want: []string{"tar [extract] archive=/z dest=/"}},
	// pip reads unique prefixes of its long options.
	{script: "pip install --no-cache flask", want: []string{"pip [pip install] nocache pkgs=flask"}},
	{script: "pip install --no-c flask", want: []string{"pip [pip install] pkgs=flask"}},
	{script: "pip install --no-cache-dir --cache /c flask", want: []string{"pip [pip install] pkgs=flask"}},
	// pip turns its cache off for every boolean value, false ones too.
	{script: "pip install x", opts: []Option{WithEnv(map[string]string{"PIP_NO_CACHE_DIR": "0"})}, want: []string{"pip [pip install] nocache pkgs=x"}},
	{script: "pip install x", opts: []Option{WithEnv(map[string]string{"PIP_NO_CACHE_DIR": ""})}, want: []string{"pip [pip install] pkgs=x"}},
	{script: "pip install --no-cache-dir --cache-dir=/c x", want: []string{"pip [pip install] pkgs=x"}},
	{script: "pip install --cache-dir=/c --no-cache-dir x", want: []string{"pip [pip install] nocache pkgs=x"}},
	{script: "PIP_NO_CACHE_DIR=1 pip install --cache-dir /c x", want: []string{"pip [pip install] pkgs=x"}},
	{script: "pip uninstall -y x", want: []string{"pip [pip remove] pkgs=x"}},
	{script: "pip cache purge", want: []string{"pip [pip clean]"}},
	// node
	{script: "npm ci && npm cache clean --force", want: []string{"npm [npm install]", "npm [npm clean] force"}},
	{script: "npm install -g yarn", want: []string{"npm [npm install] global pkgs=yarn"}},
	{script: "npm i --production", want: []string{"npm [npm install]"}},
	{script: "yarn install --frozen-lockfile && yarn cache clean", want: []string{"yarn [yarn install]", "yarn [yarn clean]"}},
	{script: "yarn", want: []string{"yarn [yarn install]"}},
	{script: "yarn global add x", want: []string{"yarn [yarn install] global pkgs=x"}},
	{script: "pnpm add x && pnpm store prune", want: []string{"pnpm [pnpm install] pkgs=x", "pnpm [pnpm clean]"}},
	// gem
	{script: "gem install --no-document bundler", want: []string{"gem [gem install] nodoc pkgs=bundler"}},
	{script: "gem install -N x", want: []string{"gem [gem install] nodoc pkgs=x"}},
	{script: "gem install --no-ri --no-rdoc x", want: []string{"gem [gem install] nodoc pkgs=x"}},
	{script: "gem install --no-ri x", want: []string{"gem [gem install] pkgs=x"}},
	{script: "gem install bundler -v 2.4.0", want: []string{"gem [gem install] pkgs=bundler"}},
	// go, cargo
	{script: "go build -o /app . && go clean -cache", want: []string{"go [go build] pkgs=.", "go [go clean] all"}},
	{script: "go mod download", want: []string{"go [go install]"}},
	{script: "cargo build --release", want: []string{"cargo [cargo build]"}},
	// downloads and extraction
	{script: "curl -fsSL -o /tmp/x.tgz https://e.org/x.tgz", want: []string{"curl [get] out=/tmp/x.tgz"}},
	{script: "curl -fsSLo x.tgz https://e.org/x.tgz", opts: []Option{WithWorkdir("/src")}, want: []string{"curl [get] out=/src/x.tgz"}},
	{script: "curl --output=/x https://e.org/a", want: []string{"curl [get] out=/x"}},
	{script: "curl -O https://e.org/a/b.tar.gz?x=1", opts: []Option{WithWorkdir("/build")}, want: []string{"curl [get] out=/build/b.tar.gz"}},
	{script: "curl -sL https://e.org/x.tgz | tar xz -C /opt", want: []string{"curl [get] out= stdout piped", "tar [extract] archive= dest=/opt pipe"}},
	{script: "wget -qO- https://e.org/i.sh | sh", want: []string{"wget [get] out= stdout piped", "sh"}},
	{script: "curl -sL https://e.org/x.tgz > /tmp/x.tgz", want: []string{"curl [get] out=/tmp/x.tgz"}},
	{script: "wget -qO- https://e.org/x.zip >x.zip", opts: []Option{WithWorkdir("/d")}, want: []string{"wget [get] out=/d/x.zip"}},
	{script: "curl -s https://e.org/x 2>/dev/null", want: []string{"curl [get] out= stdout"}},
	{script: "wget -O /tmp/f.zip https://e.org/f.zip", want: []string{"wget [get] out=/tmp/f.zip"}},
	{script: "wget https://e.org/d/f.zip", opts: []Option{WithWorkdir("/tmp")}, want: []string{"wget [get] out=/tmp/f.zip"}},
	{script: "wget https://e.org/$(curl -s https://e.org/latest)", want: []string{"curl [get] out= stdout piped", "wget [get] out="}},
	{script: "wget -P /opt https://e.org/d/f.zip", want: []string{"wget [get] out=/opt/f.zip"}},
	{script: "curl -o /tmp/x-${VERSION}.tgz https://e.org/${VERSION}", opts: []Option{WithEnv(map[string]string{"VERSION": "1.2"})}, want: []string{"curl [get] out=/tmp/x-1.2.tgz"}},
	{script: "tar xzf x.tgz -C /opt", opts: []Option{WithWorkdir("/tmp")}, want: []string{"tar [extract] archive=/tmp/x.tgz dest=/opt"}},
	{script: "tar -xzf /tmp/x.tgz", want: []string{"tar [extract] archive=/tmp/x.tgz dest=/"}},
	{script: "tar --extract --file=/a.tar --directory=/b", want: []string{"tar [extract] archive=/a.tar dest=/b"}},
	{script: "7za x /tmp/a.7z && unrar x b.rar && zcat /tmp/c.gz > /c && unzstd d.zst && lzma -d e.lzma", opts: []Option{WithWorkdir("/src")}, want: []string{"7za [extract] archive=/tmp/a.7z dest=/src", "unrar [extract] archive=/src/b.rar dest=/src", "zcat [extract] archive=/tmp/c.gz dest=/src", "unzstd [extract] archive=/src/d.zst dest=/src", "lzma [extract] archive=/src/e.lzma dest=/src"}},
	{script: "tar -x -f /a.tar.xz --strip-components=1 -C /usr/local", want: []string{"tar [extract] archive=/a.tar.xz dest=/usr/local"}},
	{script: "unzip -q a.zip -d /opt", opts: []Option{WithWorkdir("/tmp")}, want: []string{"unzip [extract] archive=/tmp/a.zip dest=/opt"}},
	{script: "tar czf out.tgz dir", want: []string{"tar [extract] archive=/out.tgz dest=/ create"}},
	{script: "tar tf x.tar", want: []string{"tar"}},
	{script: "gunzip /x.gz && gzip -d /y.gz", want: []string{"gunzip [extract] archive=/x.gz dest=/", "gzip [extract] archive=/y.gz dest=/"}},
	// files, cd and paths
	{script: "rm -r -f a", opts: []Option{WithWorkdir("/app")}, want: []string{"rm [rm] /app/a -r -f"}},
	{script: "rm --recursive --force /a /b", want: []string{"rm [rm] /a,/b -r -f"}},
	{script: "mv a /b", opts: []Option{WithWorkdir("/app")}, want: []string{"mv [mv] /app/a dest=/b"}},
	{script: "cp -a src/. /dst", opts: []Option{WithWorkdir("/app")}, want: []string{"cp [cp] /app/src dest=/dst -r"}},
	{script: "chmod -R 755 /app", want: []string{"chmod [chmod] /app mode=755 -r"}},
	{script: "chmod +x /usr/local/bin/x", want: []string{"chmod [chmod] /usr/local/bin/x mode=+x"}},
	{script: "chmod -Rf u+rwX,go-w /srv", want: []string{"chmod [chmod] /srv mode=u+rwX,go-w -r -f"}},
	{script: "chown -R app:app /app", want: []string{"chown [chown] /app mode=app:app -r"}},
	{script: "chown --recursive 1000 data", opts: []Option{WithWorkdir("/srv")}, want: []string{"chown [chown] /srv/data mode=1000 -r"}},
	{script: "mkdir -p /a/b", want: []string{"mkdir [mkdir] /a/b -r"}},
	{script: "cd /opt && rm -rf build", want: []string{"cd", "rm [rm] /opt/build -r -f"}},
	// Brace expansion: bash (and zsh, ksh) expand, sh does not.
	{script: "rm -f /tmp/x.tar.gz{,.sha256}", opts: []Option{WithShell("/bin/bash", "-c")}, want: []string{"rm [rm] /tmp/x.tar.gz,/tmp/x.tar.gz.sha256 -f"}},
	{script: "rm -f /tmp/x.tar.gz{,.sha256}", want: []string{"rm [rm] /tmp/x.tar.gz{,.sha256} -f"}},
	{script: "bash -c 'rm -f /tmp/{a,b}.deb'", want: []string{"rm [rm] /tmp/a.deb,/tmp/b.deb -f"}},
	{script: "mkdir -p /opt/{1..3}", opts: []Option{WithShell("bash")}, want: []string{"mkdir [mkdir] /opt/1,/opt/2,/opt/3 -r"}},
	{script: "cp /etc/hosts '/tmp/{a,b}'", opts: []Option{WithShell("bash")}, want: []string{"cp [cp] /etc/hosts dest=/tmp/{a,b}"}},
	{script: "cd sub; rm x", opts: []Option{WithWorkdir("/app")}, want: []string{"cd", "rm [rm] /app/sub/x"}},
	{script: "(cd /tmp && rm x); rm y", opts: []Option{WithWorkdir("/app")}, want: []string{"cd", "rm [rm] /tmp/x", "rm [rm] /app/y"}},
	{script: "cd ~ && rm .cache -rf", want: []string{"cd", "rm [rm] /root/.cache -r -f"}},
	{script: "cd $(mktemp -d) && rm x", want: []string{"mktemp", "cd", "rm [rm] x"}},
	// field splitting of unquoted known variables
	{script: "apt-get purge -y $BUILD_DEPS", opts: []Option{WithEnv(map[string]string{"BUILD_DEPS": "gcc  make\tlibc-dev"})}, want: []string{"apt-get [apt purge] yes pkgs=gcc,make,libc-dev"}},
	{script: `apk add "$PKGS"`, opts: []Option{WithEnv(map[string]string{"PKGS": "a b"})}, want: []string{"apk [apk install] pkgs=a b"}},
	{script: "apk add $EMPTY x", want: []string{"apk [apk install] pkgs=$EMPTY,x"}},
	// wrappers
	{script: "sudo apt-get install -y x", want: []string{"apt-get [apt install] yes pkgs=x"}},
	{script: "env DEBIAN_FRONTEND=noninteractive apt-get install -y x", want: []string{"apt-get [apt install] yes pkgs=x"}},
	{script: "sh -c 'apt-get update && apt-get install -y x'", want: []string{"apt-get [apt update]", "apt-get [apt install] yes pkgs=x"}},
	{script: "/usr/bin/apk add --no-cache x", want: []string{"apk [apk install] nocache pkgs=x"}},
}

func TestMeaning(t *testing.T) {
	for i, tc := range meaningCases {
		t.Run(fmt.Sprintf("%03d", i), func(t *testing.T) {
			f := analyze(t, tc.script, tc.opts...)
			var got []string
			for _, c := range f.Commands {
				got = append(got, describe(c))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("%s\n got: %q\nwant: %q", tc.script, got, tc.want)
			}
		})
	}
}

// flowOf renders each command as name:A (always) / name:- and S (stops).
func flowOf(f *Facts) string {
	var parts []string
	for _, c := range f.Commands {
		s := c.Name + ":"
		if c.Always {
			s += "A"
		} else {
			s += "-"
		}
		if c.Stops {
			s += "S"
		} else {
			s += "-"
		}
		if c.Subshell {
			s += "(sub)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestFlow(t *testing.T) {
	cases := []struct {
		script string
		opts   []Option
		want   string
	}{
		{"a && b && c", nil, "a:AS b:AS c:AS"},
		{"a; b", nil, "a:A- b:AS"},
		{"a && b; c", nil, "a:A- b:-- c:AS"},
		{"set -e; a; b", nil, "set:A- a:AS b:AS"},
		{"set -eux; a && b; c", nil, "set:A- a:A- b:-S c:AS"},
		{"set -o errexit; a", nil, "set:A- a:AS"},
		{"a; b", []Option{WithShellFlags("-e", "-c")}, "a:AS b:AS"},
		{"a || true", nil, "a:A- true:-S"},
		{"a && b || c", nil, "a:A- b:-- c:-S"},
		{"if [ -f x ]; then rm x; fi", nil, "[:A- rm:-S"},
		{"a | b", nil, "a:A-(sub) b:AS(sub)"},
		{"set -o pipefail; a | b", nil, "set:A- a:AS(sub) b:AS(sub)"},
		{"a | b", []Option{WithShellFlags("-o", "pipefail", "-c")}, "a:AS(sub) b:AS(sub)"},
		{"for i in 1 2; do rm $i; done", nil, "rm:--"},
		{"! a", nil, "a:A-"},
		{"{ a; b; }", nil, "a:A- b:AS"},
		{"(a && b)", nil, "a:AS(sub) b:AS(sub)"},
		{"f() { a; }; b", nil, "a:-- b:AS"},
	}
	for _, tc := range cases {
		got := flowOf(analyze(t, tc.script, tc.opts...))
		if got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.script, got, tc.want)
		}
	}
}

func TestCacheCovers(t *testing.T) {
	f := analyze(t, "apt-get update", WithCacheMounts("/var/cache/apt", "/var/lib/apt/"))
	if tgt, ok := f.CacheCovers("/var/cache/apt/archives/x.deb"); !ok || tgt != "/var/cache/apt" {
		t.Errorf("cache covers: %q %v", tgt, ok)
	}
	if _, ok := f.CacheCovers("/var/lib/apt/lists/*"); !ok {
		t.Error("glob under a mount not covered")
	}
	if _, ok := f.CacheCovers("/var/cache/aptitude"); ok {
		t.Error("prefix match without a path boundary")
	}
	if _, err := Analyze(nil, WithCacheMounts("rel")); err == nil {
		t.Error("relative cache mount accepted")
	}
	if _, err := Analyze(nil, WithWorkdir("rel")); err == nil {
		t.Error("relative workdir accepted")
	}
	if f, _ := Analyze(nil); !f.Unparsed {
		t.Error("nil file not marked unparsed")
	}
}

func TestCacheDir(t *testing.T) {
	cases := []struct {
		script string
		opts   []Option
		want   string
	}{
		{"GOCACHE=/tmp/gc go build ./...", nil, "/tmp/gc"},
		{"go build ./...", []Option{WithEnv(map[string]string{"GOCACHE": "/cache/go"})}, "/cache/go"},
		{"export GOCACHE=/c && go build .", nil, "/c"},
		{"GOCACHE=/c; go build .", nil, ""},
		{"pip install --cache-dir /pc x", nil, "/pc"},
		{"PIP_CACHE_DIR=.pc pip install x", []Option{WithWorkdir("/app")}, "/app/.pc"},
		{"npm ci --cache /tmp/npm", nil, "/tmp/npm"},
		{"yarn install --cache-folder=/y", nil, "/y"},
		{"YARN_CACHE_FOLDER=/yc yarn", nil, "/yc"},
		{"go build .", nil, ""},
		// XDG_CACHE_HOME moves pip's, go's and yarn's caches; their own
		// variables and options win over it; it does not move npm's.
		{"pip install x", []Option{WithEnv(map[string]string{"XDG_CACHE_HOME": "/xdg/"})}, "/xdg/pip"},
		{"XDG_CACHE_HOME=/x go build .", nil, "/x/go-build"},
		{"XDG_CACHE_HOME=/x PIP_CACHE_DIR=/p pip install y", nil, "/p"},
		{"XDG_CACHE_HOME=/x pip install --cache-dir=/c y", nil, "/c"},
		{"XDG_CACHE_HOME=/x GOCACHE=/g go build .", nil, "/g"},
		{"XDG_CACHE_HOME=/x npm ci", nil, ""},
		{"XDG_CACHE_HOME=/x yarn install", nil, "/x/yarn"},
		{"yarn", []Option{WithEnv(map[string]string{"XDG_CACHE_HOME": "/xdg/"})}, "/xdg/yarn"},
		{"XDG_CACHE_HOME=/x YARN_CACHE_FOLDER=/y yarn add z", nil, "/y"},
		{"XDG_CACHE_HOME=/x yarn install --cache-folder /c", nil, "/c"},
		{"XDG_CACHE_HOME= pip install y", nil, ""},
		// A HOME other than /root moves the caches under it; XDG_CACHE_HOME
		// and the tools' own settings win.
		{"pip install y", []Option{WithEnv(map[string]string{"HOME": "/app"})}, "/app/.cache/pip"},
		{"npm ci", []Option{WithEnv(map[string]string{"HOME": "/home/node/"})}, "/home/node/.npm"},
		{"HOME=/srv go build .", nil, "/srv/.cache/go-build"},
		{"HOME=/srv XDG_CACHE_HOME=/x pip install y", nil, "/x/pip"},
		{"HOME=/srv npm ci --cache /c", nil, "/c"},
		{"HOME=/root pip install y", nil, ""},
		{"HOME=relative pip install y", nil, ""},
		{"HOME=/srv yarn install", nil, ""},
	}
	for _, tc := range cases {
		f := analyze(t, tc.script, tc.opts...)
		pk := f.Pkgs("")
		if len(pk) != 1 || pk[0].Pkg.CacheDir != tc.want {
			var got string
			if len(pk) == 1 {
				got = pk[0].Pkg.CacheDir
			}
			t.Errorf("%q: cache dir %q, want %q", tc.script, got, tc.want)
		}
	}
}

func TestPipNoCacheValue(t *testing.T) {
	for v, want := range map[string]bool{"1": true, "true": true, "TRUE": true, "yes": true, "on": true, "0": true, "false": true, "off": true, "no": true, "": false, "maybe": false} {
		if PipNoCacheValue(v) != want {
			t.Errorf("PipNoCacheValue(%q) = %v", v, !want)
		}
	}
}

func TestTruthy(t *testing.T) {
	for v, want := range map[string]bool{"1": true, "true": true, "TRUE": true, "yes": true, "on": true, "0": false, "false": false, "off": false, "": false, "no": false} {
		if Truthy(v) != want {
			t.Errorf("Truthy(%q) = %v", v, !want)
		}
	}
}

func TestRedirs(t *testing.T) {
	tests := []struct {
		script string
		want   []string // "name: targets" per command
	}{
		{"echo hi > /etc/gemrc", []string{"echo: /etc/gemrc"}},
		{"cd /opt && echo x >> notes.txt 2>/dev/null", []string{"cd: ", "echo: /opt/notes.txt"}},
		{"make >&2 &> build.log", []string{"make: /build.log"}},
		{"cat < in.txt; ls > /dev/null", []string{"cat: ", "ls: "}},
		{`sh -c 'echo a > /tmp/x'`, []string{"echo: /tmp/x"}},
		{"D=/srv; echo a > $D/f", []string{"echo: /srv/f"}},
	}
	for _, tt := range tests {
		f := analyze(t, tt.script)
		var got []string
		for _, c := range f.Commands {
			got = append(got, c.Name+": "+strings.Join(c.Redirs, ","))
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%q: got %q, want %q", tt.script, got, tt.want)
		}
	}
}

// TestAbsKeepsLeadingExpansion: a path that starts with an expansion
// whittle cannot expand is not joined to the working directory.
func TestAbsKeepsLeadingExpansion(t *testing.T) {
	tests := []struct{ script, want string }{
		{"rm -rf $CACHE/pip", "rm [rm] $CACHE/pip -r -f"},
		{"rm -rf `echo /x`/y", "rm [rm] $(echo /x)/y -r -f"},
		{"rm -rf ~/.npm", "rm [rm] /root/.npm -r -f"},
		{"rm -f cache.tgz", "rm [rm] /app/cache.tgz -f"},
	}
	for _, tt := range tests {
		f := analyze(t, tt.script, WithWorkdir("/app"))
		last := f.Commands[len(f.Commands)-1] // after any command substitution
		if describe(last) != tt.want {
			var got []string
			for _, c := range f.Commands {
				got = append(got, describe(c))
			}
			t.Errorf("%q: got %q, want %q", tt.script, got, tt.want)
		}
	}
}

// TestDirAs: where a cd goes somewhere unknown, commands keep the
// directory as written, so that relative paths still compare.
func TestDirAs(t *testing.T) {
	script := `tmp="$(mktemp -d)"; cd "$tmp" && cd src && touch a; cd /opt && touch b; (cd "$X"); touch c; if true; then cd "$Y"; fi; touch d; cd rel; touch e`
	want := []string{
		"mktemp / ",
		"cd / ",
		"cd  $tmp",        // tmp is unknown: kept as written
		"touch  $tmp/src", // relative cd under an unknown directory
		"cd  $tmp/src",
		"touch /opt ",
		"cd /opt ",
		"touch /opt ", // the subshell's cd does not leak
		"true /opt ",
		"cd /opt ",
		"touch  ", // after a cd in one branch: unknown
		"cd  ",
		"touch  ",
	}
	f := analyze(t, script)
	var got []string
	for _, c := range f.Commands {
		got = append(got, c.Name+" "+c.Dir+" "+c.DirAs)
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestRooted(t *testing.T) {
	tests := []struct {
		p    string
		want bool
	}{
		{"/usr/src", true},
		{"$HOME/.cache", true},
		{"${HOME}/.cache", true},
		{"$tmp", true},
		{"$(mktemp -d)", true},
		{"$(go env GOCACHE)/x", true},
		{"${A:-${B}}/x", true},
		{"${REVISION%~*}.tar.gz", false},
		{"$name-src", false},
		{"$1.tgz", false},
		{"src", false},
		{"$", false},
		{"${unclosed", false},
	}
	for _, tt := range tests {
		if got := Rooted(tt.p); got != tt.want {
			t.Errorf("Rooted(%q) = %v, want %v", tt.p, got, tt.want)
		}
	}
}

func TestDownloadOutputs(t *testing.T) {
	tests := []struct{ script, want string }{
		{"curl -fsSLO https://e.org/a.tgz", "/src/a.tgz"},
		{"curl -O https://e.org/a.tgz -O https://e.org/b.tgz", "/src/a.tgz /src/b.tgz"},
		{"curl --remote-name-all https://e.org/a.tgz https://e.org/b.zip", "/src/a.tgz /src/b.zip"},
		{"curl -o /tmp/x https://e.org/a -o y https://e.org/b", "/tmp/x /src/y"},
		{"curl -fsSL https://e.org/a.tgz", ""},
		{"curl -fsSL https://e.org/a.tgz > /tmp/a.tgz", "/tmp/a.tgz"},
		{"curl -JO https://e.org/dl?id=1", ""},
		{"wget -P /opt https://e.org/a.tgz https://e.org/", "/opt/a.tgz /opt/index.html"},
		{"wget -qO /tmp/k.asc https://e.org/a https://e.org/b", "/tmp/k.asc"},
		{"wget -qO- https://e.org/a", ""},
	}
	for _, tt := range tests {
		f := analyze(t, tt.script, WithWorkdir("/src"))
		if len(f.Commands) != 1 || f.Commands[0].Download == nil {
			t.Errorf("%q: no download", tt.script)
			continue
		}
		if got := strings.Join(f.Commands[0].Download.Outputs, " "); got != tt.want {
			t.Errorf("%q: outputs %q, want %q", tt.script, got, tt.want)
		}
	}
}

// TestUnknownAssignment: a variable assigned something whittle cannot know
// stays as written where it is used, and a known one is expanded.
func TestUnknownAssignment(t *testing.T) {
	script := `arch=$(uname -m); v=1.2; wget https://e.org/p-${v}-${arch}.zip; n="${undefined}x"; echo $n; v=$(cat VERSION); echo $v`
	f := analyze(t, script, WithWorkdir("/src"))
	var got []string
	for _, c := range f.Commands {
		got = append(got, c.Name+" "+strings.Join(c.Args, " "))
	}
	want := []string{"uname -m", "wget https://e.org/p-1.2-${arch}.zip", "echo $n", "cat VERSION", "echo $v"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if d := f.Commands[1].Download; d == nil || d.Output != "/src/p-1.2-${arch}.zip" {
		t.Errorf("download %+v", d)
	}
}
