package rules

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/edit"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// baseImage is WH701: the final image is built on a heavy base (a full
// distribution or a full language image) where a -slim, -alpine,
// distroless or scratch base would do. With registry lookups on, the
// message carries the measured compressed sizes.
type baseImage struct {
	// size returns an image's compressed size (the sum of its manifest's
	// layer sizes); nil means remote lookups through go-containerregistry.
	size func(ctx context.Context, ref string) (int64, error)
}

var _ ContextRule = baseImage{}

func (baseImage) Meta() Meta {
	return Meta{
		ID:       "WH701",
		Name:     "heavy-base-image",
		Summary:  "The final stage is built on a full distribution or language image; a slim, alpine, distroless or scratch base is usually several times smaller.",
		Severity: Info,
		Doc:      "docs/rules/WH701.md",
		Repair:   Unsafe,
		Measure:  MeasureBase,
	}
}

// baseAdvice is the advice for one heavy base.
type baseAdvice struct {
	ref         string   // the base as written (expanded)
	what        string   // "a full Debian image"
	suggestions []string // smaller bases, best first
	caveats     []string
}

// baseParts splits an image reference into its registry prefix
// ("" for Docker Hub), repository as written after it, and tag.
func baseParts(ref string) (prefix, repo, tag string, ok bool) {
	// A digest pins the image; the tag before it still names the variant.
	ref, _, _ = strings.Cut(ref, "@")
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", "", "", false
	}
	repo = r.Context().RepositoryStr()
	if reg := r.Context().RegistryStr(); reg != name.DefaultRegistry {
		prefix = reg + "/"
	}
	repo = strings.TrimPrefix(repo, "library/")
	if t, isTag := r.(name.Tag); isTag {
		tag = t.TagStr()
	}
	return prefix, repo, tag, true
}

var (
	baseSmallTag  = regexp.MustCompile(`(^|[-.])(slim|alpine|distroless|minimal|micro|busybox|musl|static|nanoserver)([-.0-9]|$)`)
	baseSmallRepo = map[string]bool{"alpine": true, "busybox": true, "scratch": true, "wolfi-base": true, "static": true}
	baseCodename  = regexp.MustCompile(`-(bookworm|bullseye|buster|stretch|jessie|trixie|jammy|noble|focal|bionic|xenial)$`)
	baseMajor     = regexp.MustCompile(`^[0-9]+`)
)

// baseLast is the last path element of a repository ("library/python" →
// "python", "bitnami/python" → "python").
func baseLast(repo string) string {
	if i := strings.LastIndex(repo, "/"); i >= 0 {
		return repo[i+1:]
	}
	return repo
}

// variant returns tag with a variant ("slim", "alpine") in docker-library
// naming: 3.12 → 3.12-slim, 3.12-bookworm → 3.12-slim-bookworm, "" → slim.
func baseVariant(tag, v string) string {
	if tag == "" || tag == "latest" {
		return v
	}
	if m := baseCodename.FindStringSubmatch(tag); m != nil {
		if v == "alpine" {
			return strings.TrimSuffix(tag, m[0]) + "-alpine"
		}
		return strings.TrimSuffix(tag, m[0]) + "-" + v + m[0]
	}
	return tag + "-" + v
}

// adviseBase returns the advice for a base reference, or nil if it is
// already small or unknown.
func adviseBase(ref string, static bool) *baseAdvice {
	prefix, repo, tag, ok := baseParts(ref)
	if !ok || ref == "scratch" {
		return nil
	}
	last := baseLast(repo)
	// Only official images (no namespace) have the variants suggested
	// here; circleci/python or bitnami/node name their tags their own way.
	if strings.Contains(repo, "/") && !strings.Contains(repo, "distroless") {
		return nil
	}
	if baseSmallRepo[last] || baseSmallTag.MatchString(tag) || strings.Contains(repo, "distroless") || strings.Contains(repo, "chainguard") {
		return nil
	}
	a := &baseAdvice{ref: ref}
	same := func(v string) string { return prefix + repo + ":" + baseVariant(tag, v) }
	musl := "alpine uses musl, not glibc: prebuilt glibc binaries fail and some language packages must compile from source"
	noShell := "distroless has no shell or package manager: no RUN after FROM, debug with its :debug tag"
	scratchNote := "scratch holds nothing: the binary must be static (CGO_ENABLED=0) and CA certificates and tzdata must be copied in if needed"
	switch last {
	case "debian":
		a.what = "a full Debian image"
		a.suggestions = []string{same("slim")}
		if tag == "" || tag == "latest" {
			a.suggestions = []string{prefix + repo + ":stable-slim"}
		}
		a.suggestions = append(a.suggestions, "alpine", "gcr.io/distroless/base-debian12")
		a.caveats = []string{"debian -slim drops man pages, docs and locales only", musl, noShell}
	case "ubuntu":
		a.what = "an Ubuntu image"
		a.suggestions = []string{"alpine", "gcr.io/distroless/base-debian12"}
		a.caveats = []string{"the ubuntu image is already about the size of debian -slim: the saving comes from alpine or distroless", musl, noShell}
	case "centos", "fedora", "rockylinux", "almalinux", "oraclelinux", "amazonlinux":
		a.what = "a full " + last + " image"
		a.suggestions = []string{"registry.access.redhat.com/ubi9/ubi-minimal", "alpine"}
		a.caveats = []string{"ubi-minimal has microdnf instead of dnf", musl}
	case "python", "node", "ruby", "perl", "elixir", "erlang":
		a.what = "the full " + last + " image (Debian with compilers and headers)"
		a.suggestions = []string{same("slim"), same("alpine")}
		switch last {
		case "python":
			a.suggestions = append(a.suggestions, "gcr.io/distroless/python3-debian12")
			a.caveats = []string{"-slim keeps glibc, so manylinux wheels still install; build tools for sdists must be added (and removed in the same RUN) or used in a builder stage",
				"alpine uses musl: most wheels on PyPI are manylinux (glibc), so pip compiles from source there", noShell}
		case "node":
			if m := baseMajor.FindString(tag); m != "" {
				a.suggestions = append(a.suggestions, "gcr.io/distroless/nodejs"+m+"-debian12")
			}
			a.caveats = []string{"-slim lacks compilers for native addons (node-gyp): build them in a builder stage", musl, noShell}
		default:
			a.caveats = []string{"-slim lacks compilers and headers for native extensions: build them in a builder stage", musl}
		}
	case "php":
		a.what = "the full php image"
		a.suggestions = []string{same("alpine")}
		a.caveats = []string{musl}
	case "golang", "rust":
		a.what = "the " + last + " toolchain image"
		a.suggestions = []string{"scratch", "gcr.io/distroless/static-debian12", "alpine"}
		a.caveats = []string{"build in a builder stage and COPY --from it only the binary", scratchNote, noShell}
	case "openjdk", "maven", "gradle", "eclipse-temurin", "amazoncorretto":
		if last == "eclipse-temurin" && strings.Contains(tag, "jre") {
			return nil
		}
		major := baseMajor.FindString(tag)
		if major == "" || last == "maven" || last == "gradle" {
			major = "21"
		}
		a.what = "a full JDK image"
		a.suggestions = []string{"eclipse-temurin:" + major + "-jre", "eclipse-temurin:" + major + "-jre-alpine", "gcr.io/distroless/java" + major + "-debian12"}
		a.caveats = []string{"a JRE runs the application; the JDK, Maven or Gradle belong in a builder stage", musl, noShell}
	case "buildpack-deps", "gcc", "haskell":
		a.what = "a build-tools image"
		a.suggestions = []string{"debian:stable-slim", "alpine"}
		a.caveats = []string{"build in a builder stage and COPY --from it only the results"}
	default:
		return nil
	}
	if static && last != "golang" && last != "rust" {
		a.suggestions = append([]string{"scratch", "gcr.io/distroless/static-debian12"}, a.suggestions...)
		a.caveats = append([]string{"the binary copied from the builder stage is static: " + scratchNote}, a.caveats...)
	}
	return a
}

// rootBase follows FROM <stage> links to the image the stage starts from.
func rootBase(s *dockerfile.Stage) *dockerfile.Stage {
	seen := map[*dockerfile.Stage]bool{}
	for s.BaseStage != nil && !seen[s] {
		seen[s] = true
		s = s.BaseStage
	}
	return s
}

// copiesStaticBinary reports whether the stage copies files out of a
// stage that builds a static Go binary (CGO_ENABLED=0) or a Rust musl
// binary.
func copiesStaticBinary(s *dockerfile.Stage) bool {
	for _, in := range s.Instructions {
		if in.Copy == nil || in.Copy.FromStage == nil {
			continue
		}
		b := in.Copy.FromStage
		for st := b; st != nil; st = st.BaseStage {
			for _, r := range st.Instructions {
				facts, _ := shellfacts.OfRun(r)
				if facts == nil {
					continue
				}
				for _, c := range facts.Commands {
					if c.Pkg == nil {
						continue
					}
					switch {
					case c.Pkg.Manager == shellfacts.Go && (c.Pkg.Verb == shellfacts.Build || c.Pkg.Verb == shellfacts.Install):
						v, ok := c.Assigns["CGO_ENABLED"]
						if !ok {
							v, ok = r.Scope.Lookup("CGO_ENABLED")
						}
						if ok && v == "0" {
							return true
						}
					case c.Pkg.Manager == shellfacts.Cargo && c.Pkg.Verb == shellfacts.Build:
						for _, fl := range c.Pkg.Flags {
							if strings.Contains(fl, "musl") {
								return true
							}
						}
					}
				}
			}
		}
	}
	return false
}

func (r baseImage) Check(p *Pass) []Finding {
	out, _ := r.check(context.Background(), p, false)
	return out
}

func (r baseImage) CheckContext(ctx context.Context, p *Pass) ([]Finding, error) {
	return r.check(ctx, p, p.RegistryLookups)
}

func (r baseImage) check(ctx context.Context, p *Pass, lookups bool) ([]Finding, error) {
	t := p.File.Target
	if t == nil {
		return nil, nil
	}
	root := rootBase(t)
	a := adviseBase(root.Base, copiesStaticBinary(t))
	if a == nil {
		// A base switch asked for (fix --base-image) is reported on any
		// base, so that the repair has its finding.
		if r := p.baseSwitchRepair(root); r != nil {
			f := p.FindingAt(root.From.Range, fmt.Sprintf("the final image is built on %s; a switch to %s is asked for", root.Base, p.BaseImage), "")
			f.Repair = r
			return []Finding{f}, nil
		}
		return nil, nil
	}
	msg := fmt.Sprintf("the final image is built on %s, %s", a.ref, a.what)
	if root != t {
		msg += fmt.Sprintf(" (through stage %s)", root.Label())
	}
	if lookups {
		m, err := r.measure(ctx, a)
		if err != nil {
			return nil, err
		}
		msg += m
	}
	fix := fmt.Sprintf("use a smaller base: %s. Caveats: %s", strings.Join(a.suggestions, ", "), strings.Join(a.caveats, "; "))
	f := p.FindingAt(root.From.Range, msg, fix)
	f.Repair = p.baseSwitchRepair(root)
	return []Finding{f}, nil
}

// baseSwitchRepair replaces the image of the FROM the final image starts
// from with the one Pass.BaseImage names (fix --base-image); nil when none
// is asked for or the FROM cannot be edited. It is unsafe: everything the
// image starts from changes, and RUNs that call another package manager
// must be ported.
func (p *Pass) baseSwitchRepair(root *dockerfile.Stage) *Repair {
	ref := p.BaseImage
	in := root.From
	if ref == "" || in == nil || in.From == nil || in.From.Image == ref || in.JSON {
		return nil
	}
	i := strings.Index(in.Original[len(in.Keyword):], in.From.Image)
	if i < 0 {
		return nil
	}
	at := in.Range.Start.Offset + len(in.Keyword) + i
	reason := "every package, library and tool the image starts from changes"
	if m := baseMismatch(p.File, ref); m != "" {
		reason += "; " + m
	}
	return newRepair(p.File, Unsafe, "switch the base image to "+ref+" (--base-image)", reason,
		edit.Replace(at, at+len(in.From.Image), ref))
}

// measure looks up the compressed sizes of the base and its suggestions
// and says what each would save. Lookup failures are reported in the
// text, not as errors; a cancelled context is an error.
func (r baseImage) measure(ctx context.Context, a *baseAdvice) (string, error) {
	size := r.size
	if size == nil {
		size = remoteSize
	}
	cur, err := size(ctx, a.ref)
	if ctx.Err() != nil {
		return "", fmt.Errorf("measuring %s: %w", a.ref, ctx.Err())
	}
	if err != nil {
		return fmt.Sprintf(" (size lookup failed: %v)", err), nil
	}
	parts := []string{fmt.Sprintf("%s is %s compressed", a.ref, humanize.Bytes(uint64(cur)))}
	for _, s := range a.suggestions {
		if s == "scratch" {
			continue
		}
		n, err := size(ctx, s)
		if ctx.Err() != nil {
			return "", fmt.Errorf("measuring %s: %w", s, ctx.Err())
		}
		if err != nil {
			continue
		}
		if n < cur {
			parts = append(parts, fmt.Sprintf("%s is %s (saves %s)", s, humanize.Bytes(uint64(n)), humanize.Bytes(uint64(cur-n))))
		} else {
			parts = append(parts, fmt.Sprintf("%s is %s", s, humanize.Bytes(uint64(n))))
		}
	}
	return "; measured: " + strings.Join(parts, ", "), nil
}

// remoteSize is the sum of the compressed layer sizes in the manifest of
// ref for linux/amd64, read from its registry with the user's docker
// credentials.
func remoteSize(ctx context.Context, ref string) (int64, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return 0, fmt.Errorf("parsing %s: %w", ref, err)
	}
	img, err := remote.Image(r, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"}))
	if err != nil {
		return 0, fmt.Errorf("fetching %s: %w", ref, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return 0, fmt.Errorf("reading manifest of %s: %w", ref, err)
	}
	var n int64
	for _, l := range m.Layers {
		n += l.Size
	}
	return n, nil
}
