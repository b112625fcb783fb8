package fix

import "testing"

// hazard is a case of a hazard that real Dockerfiles showed, with the
// wanted output of fix (safe repairs) and of fix --unsafe-fixes; "" means
// the input unchanged. The cases come in pairs: the hazard, and the
// nearby input where the repair is right. Outputs are written by hand.
type hazard struct {
	name, in string
	safe     string
	unsafe   string
}

const deb = "FROM debian:bookworm\n" // docker-clean: no WH203
const raw = "FROM local/debian:12\n" // a base that keeps apt's caches

var hazards = []hazard{
	// A cleanup appended to a set -e script whose last statement is an &&
	// list joins it with &&: with ";" a failing first link would no
	// longer fail the RUN.
	{name: "set -e, last statement an && list",
		in:   deb + "RUN set -e; apt-get update; test -f /etc/debian_version && apt-get install -y --no-install-recommends curl\n",
		safe: deb + "RUN set -e; apt-get update; test -f /etc/debian_version && apt-get install -y --no-install-recommends curl && \\\n    rm -rf /var/lib/apt/lists/*\n"},
	{name: "set -e, last statement a command",
		in:     deb + "RUN set -e; apt-get update; apt-get install -y curl\n",
		safe:   deb + "RUN set -e; apt-get update; apt-get install -y curl; rm -rf /var/lib/apt/lists/*\n",
		unsafe: deb + "RUN set -e; apt-get update; apt-get install --no-install-recommends -y ca-certificates curl; rm -rf /var/lib/apt/lists/*\n"},
	{name: "set -e, negated last statement",
		in:   "FROM busybox\nRUN set -e; echo x > /tmp/blob; ! test -f /etc/passwd\n",
		safe: "FROM busybox\nRUN set -e; echo x > /tmp/blob; ! test -f /etc/passwd && rm -rf /tmp/blob\n"},
	{name: "nothing after a final exit",
		in: deb + "RUN apt-get update && apt-get install -y --no-install-recommends curl && exit 0\n"},
	{name: "after a conditional exit",
		in:   deb + "RUN apt-get update && apt-get install -y --no-install-recommends curl || exit 1\n",
		safe: deb + "RUN apt-get update && apt-get install -y --no-install-recommends curl || exit 1 && \\\n    rm -rf /var/lib/apt/lists/*\n"},

	// A cleanup that needs a tool goes after its last use and before the
	// command of the same RUN that removes it, or nowhere.
	{name: "npm removed in the same RUN",
		in:     deb + "RUN apt-get update && apt-get install -y --no-install-recommends npm && npm install -g yarn && apt-get purge -y npm && rm -rf /var/lib/apt/lists/*\n",
		safe:   deb + "RUN apt-get update && apt-get install -y --no-install-recommends npm && npm install -g yarn && npm cache clean --force && apt-get purge -y npm && rm -rf /var/lib/apt/lists/*\n",
		unsafe: deb + "RUN apt-get update && apt-get install -y --no-install-recommends npm && npm install -g yarn && npm cache clean --force && apt-get purge --auto-remove -y npm && rm -rf /var/lib/apt/lists/*\n"},
	{name: "npm kept",
		in:   deb + "RUN npm install -g yarn && echo done\n",
		safe: deb + "RUN npm install -g yarn && echo done && npm cache clean --force\n"},
	{name: "go removed, set -e statements",
		in:   deb + "RUN set -e; go build -o /usr/local/bin/app ./cmd/app; rm -rf /usr/local/go\n",
		safe: deb + "RUN set -e; go build -o /usr/local/bin/app ./cmd/app; go clean -cache; rm -rf /usr/local/go\n"},
	{name: "yarn removed by npm, multi-line",
		in:   deb + "RUN yarn install && \\\n    yarn build && \\\n    npm uninstall -g yarn\n",
		safe: deb + "RUN yarn install && \\\n    yarn build && \\\n    yarn cache clean && \\\n    npm uninstall -g yarn\n"},
	{name: "no place before the removal",
		in: deb + "RUN if true; then npm ci; apt-get purge -y npm; fi\n"},

	// --no-install-recommends is unsafe, and names what the stage needs
	// of the recommends.
	{name: "recommends and https",
		in:     deb + "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\nRUN curl -fsSL https://example.com/x -o /x\n",
		unsafe: deb + "RUN apt-get update && apt-get install --no-install-recommends -y ca-certificates curl && rm -rf /var/lib/apt/lists/*\nRUN curl -fsSL https://example.com/x -o /x\n"},
	{name: "recommends, certificates named",
		in:     deb + "RUN apt-get update && apt-get install -y ca-certificates curl && rm -rf /var/lib/apt/lists/*\n",
		unsafe: deb + "RUN apt-get update && apt-get install --no-install-recommends -y ca-certificates curl && rm -rf /var/lib/apt/lists/*\n"},
	{name: "recommends and a keyserver",
		in:     deb + "RUN apt-get update && apt-get install -y gpg && rm -rf /var/lib/apt/lists/*\nRUN gpg --batch --keyserver hkps://keys.openpgp.org --recv-keys ABCD\n",
		unsafe: deb + "RUN apt-get update && apt-get install --no-install-recommends -y dirmngr gpg-agent gpg && rm -rf /var/lib/apt/lists/*\nRUN gpg --batch --keyserver hkps://keys.openpgp.org --recv-keys ABCD\n"},
	{name: "recommends and a keyserver, dirmngr named",
		in:     deb + "RUN apt-get update && apt-get install -y dirmngr gpg && rm -rf /var/lib/apt/lists/*\nRUN gpg --batch --keyserver hkps://keys.openpgp.org --recv-keys ABCD\n",
		unsafe: deb + "RUN apt-get update && apt-get install --no-install-recommends -y gpg-agent dirmngr gpg && rm -rf /var/lib/apt/lists/*\nRUN gpg --batch --keyserver hkps://keys.openpgp.org --recv-keys ABCD\n"},
	{name: "recommends, no keyserver",
		in:     deb + "RUN apt-get update && apt-get install -y gpg && rm -rf /var/lib/apt/lists/*\nRUN gpg --batch --list-keys\n",
		unsafe: deb + "RUN apt-get update && apt-get install --no-install-recommends -y gpg && rm -rf /var/lib/apt/lists/*\nRUN gpg --batch --list-keys\n"},
	{name: "recommends, nothing to name",
		in:     deb + "RUN apt-get update && apt-get install -y jq && rm -rf /var/lib/apt/lists/*\n",
		unsafe: deb + "RUN apt-get update && apt-get install --no-install-recommends -y jq && rm -rf /var/lib/apt/lists/*\n"},

	// apk --no-cache is unsafe where a later command reads the index.
	{name: "abuild reads the index",
		in:     "FROM alpine:3.20\nRUN apk add build-base abuild\nRUN abuild -r\n",
		unsafe: "FROM alpine:3.20\nRUN apk add --no-cache build-base abuild\nRUN abuild -r\n"},
	{name: "a later RUN adds without --no-cache",
		in:   "FROM alpine:3.20\nRUN apk add python3\nRUN apk add py3-pip\n",
		safe: "FROM alpine:3.20\nRUN apk add --no-cache python3\nRUN apk add --no-cache py3-pip\n"},
	{name: "nothing reads the index",
		in:   "FROM alpine:3.20\nRUN apk add build-base && make\n",
		safe: "FROM alpine:3.20\nRUN apk add --no-cache build-base && make\n"},
	{name: "apk update for an upgrade",
		in:   "FROM alpine:3.20\nRUN apk update && apk upgrade\n",
		safe: "FROM alpine:3.20\nRUN apk update && apk upgrade && rm -rf /var/cache/apk/*\n"},
	{name: "apk update for adds only",
		in:   "FROM alpine:3.20\nRUN apk update && apk add --no-cache curl\n",
		safe: "FROM alpine:3.20\nRUN apk add --no-cache curl\n"},

	// A flag that a later option overrides: the cause is repaired.
	{name: "--cache-dir after --no-cache-dir",
		in:   deb + "RUN pip install --no-cache-dir --cache-dir=/pipcache flask\n",
		safe: deb + "RUN pip install --no-cache-dir flask\n"},
	{name: "--cache-dir alone",
		in:   deb + "RUN pip install --cache-dir /pipcache flask\n",
		safe: deb + "RUN pip install --no-cache-dir flask\n"},
	{name: "an abbreviated --cache after --no-cache",
		in:   deb + "RUN pip install --no-cache --cache /pipcache flask\n",
		safe: deb + "RUN pip install --no-cache flask\n"},
	{name: "PIP_NO_CACHE_DIR=off turns the cache off",
		in: deb + "ENV PIP_NO_CACHE_DIR=off\nRUN pip install flask\n"},

	// A comment that states the opposite intent: never applied.
	{name: "comment wants recommends",
		in: deb + "# We DO want recommends here: the docs tools need them.\nRUN apt-get update && apt-get install -y texlive && rm -rf /var/lib/apt/lists/*\n"},
	{name: "comment says nothing about recommends",
		in:     deb + "# Install the docs tools.\nRUN apt-get update && apt-get install -y texlive && rm -rf /var/lib/apt/lists/*\n",
		unsafe: deb + "# Install the docs tools.\nRUN apt-get update && apt-get install --no-install-recommends -y texlive && rm -rf /var/lib/apt/lists/*\n"},
	{name: "comment keeps the lists",
		in: deb + "# keep the package lists: the entrypoint installs plugins\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"},

	// No edit where lint reports nothing; --auto-remove is unsafe.
	{name: "apt-get remove of what the RUN installed",
		in:     deb + "RUN apt-get update && apt-get install -y --no-install-recommends gcc && make && apt-get remove -y gcc && rm -rf /var/lib/apt/lists/*\n",
		unsafe: deb + "RUN apt-get update && apt-get install -y --no-install-recommends gcc && make && apt-get remove --auto-remove -y gcc && rm -rf /var/lib/apt/lists/*\n"},
	{name: "apt-get remove of a package of the base",
		in: deb + "RUN apt-get remove -y --purge exim4-base\n"},

	// The savings: apt's package caches, a copied archive extracted by a
	// RUN that does more, lists needed by later RUNs.
	{name: "apt-get update's pkgcache.bin",
		in:   raw + "RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n",
		safe: raw + "RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* && \\\n    apt-get clean\n"},
	{name: "apt-get download",
		in:   raw + "WORKDIR /debs\nRUN apt-get update && apt-get download curl && rm -rf /var/lib/apt/lists/*\n",
		safe: raw + "WORKDIR /debs\nRUN apt-get update && apt-get download curl && rm -rf /var/lib/apt/lists/* && \\\n    apt-get clean\n"},
	{name: "archive extracted by a RUN that does more",
		in:   deb + "COPY app.tar.gz /tmp/\nRUN mkdir -p /opt/app && tar -xzf /tmp/app.tar.gz -C /opt/app && rm /tmp/app.tar.gz && ln -s /opt/app/bin/app /usr/local/bin/app\n",
		safe: deb + "ADD app.tar.gz /opt/app/\nRUN mkdir -p /opt/app && ln -s /opt/app/bin/app /usr/local/bin/app\n"},
	{name: "archive read again after extraction",
		in: deb + "COPY app.tar.gz /tmp/\nRUN tar -xzf /tmp/app.tar.gz -C /opt && sha256sum /tmp/app.tar.gz > /opt/sum\n"},
	{name: "lists needed by later RUNs",
		in:   deb + "RUN apt-get update\nRUN apt-get install -y --no-install-recommends curl\nENV A=1\nRUN apt-get install -y --no-install-recommends jq\n",
		safe: deb + "RUN apt-get update && \\\n    apt-get install -y --no-install-recommends curl && \\\n    export A=\"1\" && \\\n    apt-get install -y --no-install-recommends jq && \\\n    rm -rf /var/lib/apt/lists/*\nENV A=1\n"},
	{name: "lists needed across a COPY",
		in:     deb + "RUN apt-get update && apt-get install -y --no-install-recommends curl\nCOPY x /x\nRUN apt-get install -y --no-install-recommends jq\n",
		unsafe: deb + "RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\nCOPY x /x\nRUN apt-get update && apt-get install -y --no-install-recommends jq && rm -rf /var/lib/apt/lists/*\n"},
	{name: "a lone update, a COPY, then installs",
		in:     deb + "RUN apt-get update\nCOPY x /x\nRUN apt-get install -y --no-install-recommends curl\nRUN apt-get install -y --no-install-recommends jq\n",
		unsafe: deb + "COPY x /x\nRUN apt-get update && apt-get install -y --no-install-recommends curl && \\\n    apt-get install -y --no-install-recommends jq && \\\n    rm -rf /var/lib/apt/lists/*\n"},
	{name: "a lone update, installs across COPYs",
		in:     deb + "RUN apt-get update\nCOPY x /x\nRUN apt-get install -y --no-install-recommends curl\nCOPY y /y\nRUN apt-get install -y --no-install-recommends jq\n",
		unsafe: deb + "COPY x /x\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\nCOPY y /y\nRUN apt-get update && apt-get install -y --no-install-recommends jq && rm -rf /var/lib/apt/lists/*\n"},
	{name: "a lone update, a COPY, installs, on a base that keeps apt's caches",
		in:     raw + "RUN apt-get update\nCOPY x /x\nRUN apt-get install -y --no-install-recommends curl\n",
		safe:   raw + "RUN apt-get update && apt-get clean\nCOPY x /x\nRUN apt-get install -y --no-install-recommends curl && apt-get clean\n",
		unsafe: raw + "COPY x /x\nRUN apt-get update && apt-get install -y --no-install-recommends curl && apt-get clean && rm -rf /var/lib/apt/lists/*\n"},
	{name: "bundler told to install into vendor/bundle",
		in:   "FROM rubylang/ruby:3.3-jammy\nWORKDIR /app\nRUN bundle config set --local path vendor/bundle\nRUN bundle install\n",
		safe: "FROM rubylang/ruby:3.3-jammy\nWORKDIR /app\nRUN bundle config set --local path vendor/bundle\nRUN bundle install && rm -rf /app/vendor/bundle/ruby/*/cache\n"},
	{name: "bundler as another user, into the system gems",
		in: "FROM rubylang/ruby:3.3-jammy\nWORKDIR /app\nUSER app\nRUN bundle install\n"},
	{name: "a later RUN queries the lists",
		in:   deb + "RUN apt-get update && apt-get install -y --no-install-recommends curl\nRUN apt-cache show jq > /jq.txt\n",
		safe: deb + "RUN apt-get update && apt-get install -y --no-install-recommends curl && \\\n    apt-cache show jq > /jq.txt && \\\n    rm -rf /var/lib/apt/lists/*\n"},
	{name: "a later RUN queries the lists across a COPY",
		in:     deb + "RUN apt-get update && apt-get install -y --no-install-recommends curl\nCOPY x /x\nRUN apt list jq > /jq.txt\n",
		unsafe: deb + "RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\nCOPY x /x\nRUN apt-get update && apt list jq > /jq.txt && rm -rf /var/lib/apt/lists/*\n"},
}

func TestHazards(t *testing.T) {
	for _, h := range hazards {
		t.Run(h.name, func(t *testing.T) {
			safe, unsafe := h.safe, h.unsafe
			if safe == "" {
				safe = h.in
			}
			if unsafe == "" {
				unsafe = safe
			}
			for _, mode := range []struct {
				unsafe bool
				want   string
			}{{false, safe}, {true, unsafe}} {
				res, err := Fix([]byte(h.in), WithUnsafeFixes(mode.unsafe))
				if err != nil {
					t.Fatal(err)
				}
				if got := string(res.Output); got != mode.want {
					t.Errorf("unsafe=%v:\n got: %q\nwant: %q\nchanges %+v", mode.unsafe, got, mode.want, res.Changes)
				}
			}
		})
	}
}
