package rules

import (
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// The indexes of a RUN answer what reading the commands after one
// answers: removes and mv for goneAfter, extracts for extractedAfter,
// layerPathOverlaps for overlapsAfter.
func TestRunIndexMatchesScans(t *testing.T) {
	script := `cd /opt && curl -o /tmp/a.tgz https://e.com/a && tar xzf /tmp/a.tgz -C /opt/a` +
		` && wget -O b.zip https://e.com/b && unzip b.zip && rm -rf /tmp/a.tgz /var/lib/apt/lists/*` +
		` && mv /opt/x /opt/y && find /var/cache -delete && rm -f ~/.cache/pip $TMP && rm -rf /usr/share/doc/*/copyright` +
		` && dpkg -i /tmp/pkg_1.deb && apt-get install -y ./c.deb && tar xf "ruby-${V}.tar.gz" && tar xf /srv/*.tar.xz` +
		` && rm -rf /opt/a/sub && rmdir /opt/empty && mv tmp.* /elsewhere && rm -rf /tmp/tmp.*`
	f, err := dockerfile.Parse("Dockerfile", []byte("FROM debian:12\nRUN "+script+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := &Pass{File: f, shared: newShared(f)}
	ri := p.runs()[0]
	targets := []string{"/tmp/a.tgz", "/opt/b.zip", "b.zip", "/var/lib/apt/lists", "/var/lib/apt/lists/x", "/opt/x/f",
		"/opt/y", "/var/cache/apt", "/root/.cache/pip", "/root/.cache/pip/http", "/usr/share/doc/x/copyright", "/usr/share/doc",
		"/tmp/pkg_1.deb", "/opt/c.deb", "ruby-3.3.tar.gz", "/srv/r.tar.xz", "/opt/a", "/opt/a/sub/deeper", "/opt/empty", "/",
		"/tmp/tmp.*", "/tmp/tmp.X", "$TMP", "/tmp/ruby-${V}.tar.gz", "", "rel/x"}
	cmds := ri.cmds
	// How often each scan said yes: the case must exercise both answers.
	yes := map[string]int{}
	total := 0
	for i := -1; i < len(cmds); i++ {
		for _, target := range targets {
			var removed, gone, extracted bool
			for _, c := range cmds[i+1:] {
				removed = removed || removes(c, target)
				extracted = extracted || extracts(c, target)
				if removes(c, target) {
					gone = true
				}
				if fo := c.File; fo != nil && fo.Op == "mv" {
					for _, src := range fo.Paths {
						gone = gone || covers(c.at(src), target)
					}
				}
				if fo := c.File; fo != nil && fo.Op == "rm" && containsTmpGlob(target) {
					for _, op := range fo.Paths {
						gone = gone || len(op) > 0 && op[0] == '$'
					}
				}
			}
			total++
			for k, v := range map[string]bool{"removed": removed, "gone": gone, "extracted": extracted} {
				if v {
					yes[k]++
				}
			}
			if got := removedAfter(ri, i, target); got != removed {
				t.Errorf("removedAfter(%d, %q) = %v, want %v", i, target, got, removed)
			}
			if got := goneAfter(ri, i, target); got != gone {
				t.Errorf("goneAfter(%d, %q) = %v, want %v", i, target, got, gone)
			}
			if got := extractedAfter(ri, i, target); got != extracted {
				t.Errorf("extractedAfter(%d, %q) = %v, want %v", i, target, got, extracted)
			}
			// What layerMade asks: rm or mv operands overlapping target.
			ux := newMadeUndos(ri.facts.Commands)
			overlap := false
			for _, c := range ri.facts.Commands[i+1:] {
				if c.File != nil && (c.File.Op == "rm" || c.File.Op == "mv") {
					for _, q := range c.File.Paths {
						overlap = overlap || layerPathOverlaps(target, q)
					}
				}
			}
			if overlap {
				yes["overlap"]++
			}
			if got := ux.rmMv.overlapsAfter(i, target); got != overlap {
				t.Errorf("overlapsAfter(%d, %q) = %v, want %v", i, target, got, overlap)
			}
		}
	}
	for _, k := range []string{"removed", "gone", "extracted", "overlap"} {
		if yes[k] == 0 || yes[k] == total {
			t.Errorf("%s: yes %d times of %d", k, yes[k], total)
		}
	}
	t.Logf("yes of %d: %v", total, yes)
}

func containsTmpGlob(p string) bool {
	for i := 0; i+5 <= len(p); i++ {
		if p[i:i+5] == "tmp.*" {
			return true
		}
	}
	return false
}
