package fix

import "testing"

// TestPkgOpRecognition checks that flag repairs go where shellfacts (and
// so lint) reads a package-manager operation, and only there: a flag the
// operation already has in another spelling, a wrapper the repair cannot
// see through, or another subcommand leave the line alone. The wanted
// outputs are written by hand.
func TestPkgOpRecognition(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"apt install", "RUN apt-get install -y curl",
			"RUN apt-get install --no-install-recommends -y curl"},
		{"apt -o before verb", "RUN apt-get -o Dpkg::Use-Pty=0 install -y curl",
			"RUN apt-get -o Dpkg::Use-Pty=0 install --no-install-recommends -y curl"},
		{"apt recommends off by option", "RUN apt-get -o APT::Install-Recommends=0 install -y curl", ""},
		{"apt recommends off, other spelling", "RUN apt-get install -y -oAPT::Install-Recommends=false curl", ""},
		{"aptitude takes other flags", "RUN aptitude install -y curl", ""},
		{"apk add", "RUN apk add curl", "RUN apk add --no-cache curl"},
		{"apk add with flag", "RUN apk add --no-cache curl", ""},
		{"apk del", "RUN apk del curl", ""},
		{"pip", "RUN pip3 install flask", "RUN pip3 install --no-cache-dir flask"},
		{"python -m pip", "RUN python3 -m pip install flask", "RUN python3 -m pip install --no-cache-dir flask"},
		{"python from ARG -m pip", "ARG PY=3.12\nRUN python\"${PY}\" -m pip install flask",
			"ARG PY=3.12\nRUN python\"${PY}\" -m pip install --no-cache-dir flask"},
		{"pip cache off by prefix assignment", "RUN PIP_NO_CACHE_DIR=1 pip install flask", ""},
		{"pip download", "RUN pip download flask", ""},
		{"gem", "RUN gem install rails", "RUN gem install --no-document rails"},
		{"gem -N", "RUN gem install -N rails", ""},
		{"gem --no-ri kept as written", "RUN gem install --no-ri rails", ""},
		{"sudo", "USER app\nRUN sudo apk add curl", "USER app\nRUN sudo apk add --no-cache curl"},
		{"dnf", "RUN dnf install -y curl", "RUN dnf install -y curl && dnf clean all"},
		{"dnf --setopt before verb", "RUN dnf --setopt=tsflags=nodocs install -y curl",
			"RUN dnf --setopt=tsflags=nodocs install -y curl && dnf clean all"},
		{"microdnf", "RUN microdnf install -y curl", "RUN microdnf install -y curl && microdnf clean all"},
		{"tdnf is not dnf", "RUN tdnf install -y curl", ""},
		{"yum cleaned", "RUN yum -y install curl && yum clean all", ""},
		{"zypper in", "RUN zypper -n in curl", "RUN zypper -n in curl && zypper clean --all"},
		{"zypper remove", "RUN zypper -n rm curl", ""},
		{"npm ci", "RUN npm ci", "RUN npm ci && npm cache clean --force"},
		{"npm run", "RUN npm run build", ""},
		{"npm cleaned", "RUN npm install && npm cache clean --force", ""},
		{"yarn bare", "RUN yarn --frozen-lockfile", "RUN yarn --frozen-lockfile && yarn cache clean"},
		{"yarn --cwd before verb", "RUN yarn --cwd web install", "RUN yarn --cwd web install && yarn cache clean"},
		{"yarn run", "RUN yarn run build", ""},
		{"go build", "RUN go build ./...", "RUN go build ./... && go clean -cache"},
		{"go cache cleaned", "RUN go build ./... && go clean -cache", ""},
		{"go clean -modcache only", "RUN go build ./... && go clean -modcache", "RUN go build ./... && go clean -modcache && go clean -cache"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "FROM scratch\n" + tc.in + "\n"
			want := src
			if tc.want != "" {
				want = "FROM scratch\n" + tc.want + "\n"
			}
			res, err := Fix([]byte(src), WithRules("WH202", "WH301", "WH501", "WH504", "WH401", "WH402", "WH403", "WH502", "WH503", "WH505"))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(res.Output); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}
