// Package measure joins a Dockerfile's lint findings to the account of the
// image built from it: each instruction of the target stage is paired with
// the layer it made, and each finding whose cost the image shows gets that
// cost in bytes (the cache a RUN left, what a later layer hid of an earlier
// one, the base image's layers).
package measure

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/packages"
	"github.com/whittle/whittle/pkg/rules"
)

// Result is a Dockerfile measured against the image built from it.
type Result struct {
	// File is the Dockerfile's name as given; Stage the target stage
	// (its name, or its index).
	File  string `json:"file"`
	Stage string `json:"stage"`
	// BaseLayers is how many of the image's bottom layers come from the
	// image the build started FROM (everything below the layers the
	// Dockerfile's instructions made).
	BaseLayers int `json:"base_layers"`
	// Instructions are the Dockerfile's instructions that made a layer,
	// in order, with their layers.
	Instructions []Instruction `json:"instructions"`
	// Findings are the lint findings with their cost, the largest first
	// (findings without a measured cost last, in file order).
	Findings []Finding `json:"findings"`
	// MeasuredBytes is what the measured findings cost together: every
	// byte counted once, even when several findings measure it (a file
	// under /tmp that a later RUN deletes is both a /tmp file left and a
	// download hidden later).
	MeasuredBytes int64 `json:"measured_bytes"`
}

// Instruction is an instruction paired with the layer it made.
type Instruction struct {
	Line      int    `json:"line"`
	Kind      string `json:"kind"`
	Layer     int    `json:"layer"`
	CreatedBy string `json:"created_by"`
}

// Finding is a lint finding and what it costs in the image.
type Finding struct {
	rules.Finding
	// Layer is the layer the finding's instruction made; -1 when it
	// made none in the image (another stage, or an instruction that
	// makes no layer).
	Layer int `json:"layer"`
	// Measured is true when CostBytes is a measurement; Basis says what
	// was measured, or why nothing could be.
	Measured  bool   `json:"measured"`
	CostBytes int64  `json:"cost_bytes"`
	Basis     string `json:"basis"`
	// SharedBytes is the part of CostBytes that another finding measures
	// too (a download under /tmp is both a /tmp file left and a download
	// deleted later); MeasuredBytes counts it once.
	SharedBytes int64 `json:"shared_bytes"`
	// CostPackages are, for a finding about OS packages (WH107), the
	// packages its cost is made of, largest first: those it names, then
	// the dependencies installed for them alone.
	CostPackages []CostPackage `json:"cost_packages,omitempty"`

	// What was measured, so that the total counts each byte once: the
	// visible part by key, the hidden part as indices of report waste
	// items, or the base layers.
	visibleKey   string
	visibleBytes int64
	waste        []int
	files        []int // indices of visible report Watched files
	base         bool
	pkgs         []string // keys of the packages counted
}

// CostPackage is one package a finding's cost counts.
type CostPackage struct {
	Manager      string `json:"manager"`
	Name         string `json:"name"`
	Version      string `json:"version"`
	Architecture string `json:"architecture"`
	Bytes        int64  `json:"bytes"`
	Files        int64  `json:"files"`
	// Dependency is true for a package the finding does not name, which
	// the layer installed automatically for the named ones alone.
	Dependency bool `json:"dependency"`
}

// Option changes what Measure can measure.
type Option func(*options)

type options struct {
	packages *packages.Result
}

// WithPackages gives Measure the image's package attribution
// (packages.Attribute of the same report), with which it measures the
// findings about OS packages (rules.MeasurePackages). Without it they are
// not measured.
func WithPackages(res *packages.Result) Option {
	return func(o *options) { o.packages = res }
}

// MismatchError reports an image whose layers do not follow the
// Dockerfile: the instruction at Line should have made layer Layer, whose
// history (CreatedBy) says something else: another instruction, or (Dest
// set) a COPY or ADD to another destination. Kind "FROM" is a stage built
// FROM scratch (at Line) under whose instructions' layers the image has
// more, Layer the highest of them. Layer is -1 when the image has too few
// layers.
type MismatchError struct {
	Line      int
	Kind      string
	Layer     int
	CreatedBy string
	// Dest is where the COPY or ADD at Line copies to, absolute; "" when
	// the mismatch is not about the destination.
	Dest string
}

func (e *MismatchError) Error() string {
	switch {
	case e.Layer < 0:
		return fmt.Sprintf("the image has too few layers for the Dockerfile: no layer left for the %s at line %d", e.Kind, e.Line)
	case e.Kind == string(dockerfile.KindFrom):
		return fmt.Sprintf("the image does not follow the Dockerfile: the stage at line %d is built FROM scratch, so no layer should lie below the ones its instructions made, but layer %d was made by %q", e.Line, e.Layer, e.CreatedBy)
	case e.Dest != "":
		return fmt.Sprintf("the image does not follow the Dockerfile: the %s at line %d copies to %s, but layer %d, which it should have made, was made by %q", e.Kind, e.Line, e.Dest, e.Layer, e.CreatedBy)
	}
	return fmt.Sprintf("the image does not follow the Dockerfile: the %s at line %d should have made layer %d, made by %q", e.Kind, e.Line, e.Layer, e.CreatedBy)
}

// metaOf returns the rule's metadata, which says how its findings are
// measured (rules.Meta.Measure and Category).
var metaOf = sync.OnceValue(func() map[string]rules.Meta {
	out := map[string]rules.Meta{}
	for _, m := range rules.Metas() {
		out[m.ID] = m
	}
	return out
})

// measureKind returns how a rule's findings are measured.
func measureKind(rule string) rules.Measure { return metaOf()[rule].Measure }

// byPaths reports whether a finding is measured by the files under its
// paths: a rule about named files, or a cache rule whose finding names
// where the cache really is (a cache moved by an option or a variable,
// microdnf's /var/cache/yum): there its category's usual place holds
// nothing of it.
func byPaths(f rules.Finding) bool {
	k := measureKind(f.Rule)
	return len(f.Paths) > 0 && (k == rules.MeasurePaths || k == rules.MeasureCache)
}

// WatchPaths are the paths the report must watch (account.WithWatch) for
// Measure to measure the findings about files.
func WatchPaths(findings []rules.Finding) []string {
	var out []string
	for _, f := range findings {
		if byPaths(f) {
			out = append(out, f.Paths...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// wasteIndex is the index of the report's waste item for a watched file
// (the same file hidden later), or -1 when it is visible.
func wasteIndex(rep *account.Report, w account.WatchedFile) int {
	for i, x := range rep.Waste {
		if x.Layer == w.Layer && x.Path == w.Path {
			return i
		}
	}
	return -1
}

// Measure pairs the target stage's instructions with the image's layers
// and measures each finding. rep must be the account of the image built
// from f (its target stage); findings are rules.Lint's for f.
func Measure(f *dockerfile.File, findings []rules.Finding, rep *account.Report, opts ...Option) (*Result, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if f.Target == nil {
		return nil, fmt.Errorf("%s: no build stage", f.Name)
	}
	res := &Result{File: f.Name, Stage: f.Target.Label(), Instructions: []Instruction{}, Findings: []Finding{}}

	// The instructions that made the image: the target's stage and the
	// stages it is built FROM, bottom stage first.
	var chain []*dockerfile.Stage
	for s := f.Target; s != nil; s = s.BaseStage {
		chain = append(chain, s)
	}
	slices.Reverse(chain)
	var ins []*dockerfile.Instruction
	for _, s := range chain {
		for _, in := range s.Instructions {
			if in.Kind != dockerfile.KindFrom {
				ins = append(ins, in)
			}
		}
	}
	// Pair them with the layers from the top down: the layers below the
	// first one the Dockerfile made are the base image's.
	layerOf := map[*dockerfile.Instruction]int{}
	j := len(rep.Layers) - 1
	for k := len(ins) - 1; k >= 0; k-- {
		in := ins[k]
		switch {
		case in.Kind.CreatesLayer():
			if j < 0 {
				return nil, &MismatchError{Line: in.Range.Start.Line, Kind: string(in.Kind), Layer: -1}
			}
			if got := kindOf(rep.Layers[j].CreatedBy); got != "" && got != string(in.Kind) {
				return nil, &MismatchError{Line: in.Range.Start.Line, Kind: string(in.Kind), Layer: j, CreatedBy: rep.Layers[j].CreatedBy}
			}
			if in.Copy != nil && in.Copy.DestPath != "" && in.Scope != nil {
				if d := historyDest(rep.Layers[j].CreatedBy); d != "" && !sameDest(resolveIn(in.Scope.Workdir, d), in.Copy.DestPath) {
					return nil, &MismatchError{Line: in.Range.Start.Line, Kind: string(in.Kind), Layer: j, CreatedBy: rep.Layers[j].CreatedBy, Dest: in.Copy.DestPath}
				}
			}
		case in.Kind == dockerfile.KindWorkdir:
			// WORKDIR makes a layer only when it creates the directory.
			if j < 0 || kindOf(rep.Layers[j].CreatedBy) != "WORKDIR" {
				continue
			}
		default:
			continue
		}
		layerOf[in] = j
		j--
	}
	// A stage built FROM scratch starts with no layer: every layer lies
	// above it.
	if bottom := chain[0]; j >= 0 && bottom.BaseStage == nil && bottom.Base == "scratch" && bottom.From != nil {
		return nil, &MismatchError{Line: bottom.From.Range.Start.Line, Kind: string(dockerfile.KindFrom), Layer: j, CreatedBy: rep.Layers[j].CreatedBy}
	}
	res.BaseLayers = j + 1
	for _, in := range ins {
		if l, ok := layerOf[in]; ok {
			res.Instructions = append(res.Instructions, Instruction{Line: in.Range.Start.Line, Kind: string(in.Kind), Layer: l, CreatedBy: rep.Layers[l].CreatedBy})
		}
	}
	// at finds the layer of the instruction holding a line.
	at := func(line int) int {
		for _, in := range ins {
			if in.Range.Start.Line <= line && line <= in.Range.End.Line {
				if l, ok := layerOf[in]; ok {
					return l
				}
				return -1
			}
		}
		return -1
	}

	for _, fd := range findings {
		m := Finding{Finding: fd, Layer: -1}
		if fd.InFinalImage {
			m.Layer = at(fd.Line)
		}
		measure(&m, rep, res.BaseLayers, at, o.packages)
		res.Findings = append(res.Findings, m)
	}
	res.MeasuredBytes = union(res.Findings, rep)
	slices.SortStableFunc(res.Findings, func(a, b Finding) int {
		switch {
		case a.Measured != b.Measured:
			if a.Measured {
				return -1
			}
			return 1
		case a.CostBytes != b.CostBytes:
			if a.CostBytes > b.CostBytes {
				return -1
			}
			return 1
		}
		return 0
	})
	return res, nil
}

// union is what the measured findings cost together, each byte once, and
// it sets each finding's SharedBytes. Bytes are identified as a hidden
// file (a report waste item), a visible cache category of a layer, a
// visible watched file (which a measured cache category of its layer
// already holds when the file is in that category), the base, or an OS
// package (its visible files, taken as apart from the caches and the
// files the other rules name: packages do not ship those).
func union(fs []Finding, rep *account.Report) int64 {
	wasteBy, keyBy, fileBy, pkgBy := map[int]int{}, map[string]int{}, map[int]int{}, map[string]int{}
	for _, m := range fs {
		if !m.Measured {
			continue
		}
		for _, k := range m.pkgs {
			pkgBy[k]++
		}
		for _, w := range m.waste {
			wasteBy[w]++
		}
		if m.visibleKey != "" {
			keyBy[m.visibleKey]++
		}
		for _, f := range m.files {
			fileBy[f]++
		}
	}
	inKey := func(f int) bool {
		w := rep.Watched[f]
		return keyBy[fmt.Sprintf("%s %d", account.CacheCategory(strings.TrimPrefix(w.Path, "/")), w.Layer)] > 0
	}
	var total int64
	base := false
	seen := map[string]bool{}
	for i := range fs {
		m := &fs[i]
		for _, w := range m.waste {
			if wasteBy[w] > 1 {
				m.SharedBytes += rep.Waste[w].Bytes
			}
			if k := fmt.Sprint("w", w); !seen[k] {
				seen[k] = true
				total += rep.Waste[w].Bytes
			}
		}
		if m.visibleKey != "" {
			if keyBy[m.visibleKey] > 1 {
				m.SharedBytes += m.visibleBytes
			}
			if k := "k" + m.visibleKey; !seen[k] {
				seen[k] = true
				total += m.visibleBytes
			}
		}
		for _, f := range m.files {
			shared := inKey(f)
			if fileBy[f] > 1 || shared {
				m.SharedBytes += rep.Watched[f].Bytes
			}
			if k := fmt.Sprint("f", f); !seen[k] && !shared {
				seen[k] = true
				total += rep.Watched[f].Bytes
			}
		}
		if m.base && !base {
			base = true
			total += m.CostBytes
		}
		for j, k := range m.pkgs {
			b := m.CostPackages[j].Bytes
			if pkgBy[k] > 1 {
				m.SharedBytes += b
			}
			if k := "p" + k; !seen[k] {
				seen[k] = true
				total += b
			}
		}
	}
	// A cache category shares with a watched file in it.
	for i := range fs {
		m := &fs[i]
		if m.visibleKey == "" || keyBy[m.visibleKey] > 1 {
			continue
		}
		for f := range fileBy {
			w := rep.Watched[f]
			if fmt.Sprintf("%s %d", account.CacheCategory(strings.TrimPrefix(w.Path, "/")), w.Layer) == m.visibleKey {
				m.SharedBytes += w.Bytes
			}
		}
	}
	return total
}

// measure works out one finding's cost.
func measure(m *Finding, rep *account.Report, baseLayers int, at func(int) int, pk *packages.Result) {
	switch {
	case !m.InFinalImage:
		m.Basis = "its stage does not reach the image"
		return
	case measureKind(m.Rule) == rules.MeasureBase:
		for _, l := range rep.Layers[:baseLayers] {
			m.CostBytes += l.SizeBytes
		}
		m.Measured, m.base = true, true
		switch baseLayers {
		case 0:
			m.Basis = "the base image has no layers"
		case 1:
			m.Basis = "the base image's layer (0)"
		default:
			m.Basis = fmt.Sprintf("the base image's %d layers (0 to %d)", baseLayers, baseLayers-1)
		}
		return
	case m.Layer < 0:
		m.Basis = "its instruction made no layer of the image"
		return
	}
	if measureKind(m.Rule) == rules.MeasureCache && !byPaths(m.Finding) {
		cat := metaOf()[m.Rule].Category
		for _, c := range rep.Caches {
			if c.Category != cat {
				continue
			}
			for _, lb := range c.Layers {
				if lb.Layer == m.Layer {
					m.visibleBytes += lb.Bytes
				}
			}
		}
		m.visibleKey = fmt.Sprintf("%s %d", cat, m.Layer)
		m.CostBytes = m.visibleBytes
		for i, w := range rep.Waste {
			if w.Layer == m.Layer && account.CacheCategory(strings.TrimPrefix(w.Path, "/")) == cat {
				m.waste = append(m.waste, i)
				m.CostBytes += w.Bytes
			}
		}
		m.Measured = true
		m.Basis = fmt.Sprintf("%s bytes that layer %d ships (visible or hidden later)", cat, m.Layer)
		return
	}
	if measureKind(m.Rule) == rules.MeasureHidden {
		earlier := -1
		if m.RelatedLine > 0 {
			earlier = at(m.RelatedLine)
		}
		if earlier < 0 {
			m.Basis = fmt.Sprintf("the instruction at line %d made no layer of the image", m.RelatedLine)
			return
		}
		for i, w := range rep.Waste {
			if w.Layer == earlier && w.ShadowedBy == m.Layer {
				m.waste = append(m.waste, i)
				m.CostBytes += w.Bytes
			}
		}
		m.Measured = true
		m.Basis = fmt.Sprintf("bytes of layer %d (line %d) that layer %d hides", earlier, m.RelatedLine, m.Layer)
		return
	}
	if byPaths(m.Finding) && rep.Watched == nil {
		m.Basis = "the files it names were not watched in the image (account.WithWatch)"
		return
	}
	if byPaths(m.Finding) {
		under := func(p string) bool {
			for _, q := range m.Paths {
				if account.PathUnder(p, path.Clean(q)) {
					return true
				}
			}
			return false
		}
		for f, w := range rep.Watched {
			if w.Layer != m.Layer || !under(w.Path) {
				continue
			}
			m.CostBytes += w.Bytes
			if i := wasteIndex(rep, w); i >= 0 {
				m.waste = append(m.waste, i)
			} else {
				m.files = append(m.files, f)
			}
		}
		m.Measured = true
		m.Basis = fmt.Sprintf("bytes of %s that layer %d ships (visible or hidden later)", strings.Join(m.Paths, ", "), m.Layer)
		return
	}
	if measureKind(m.Rule) == rules.MeasurePackages {
		measurePackages(m, pk)
		return
	}
	m.Basis = "not measurable in the image alone: it takes a rebuild to compare"
}

// measurePackages measures a finding about OS packages: the bytes of the
// packages it names that its layer installed, with the dependencies the
// layer installed for them alone (packages.Result.Removal).
func measurePackages(m *Finding, pk *packages.Result) {
	if len(m.Packages) == 0 {
		m.Basis = "the finding names no package"
		return
	}
	if pk == nil {
		m.Basis = "the image's packages were not attributed (analyze --packages=false)"
		return
	}
	read := false
	for _, db := range pk.Databases {
		if db.Status == packages.StatusRead && (db.Manager == packages.Dpkg || db.Manager == packages.Apk) {
			read = true
		}
	}
	if !read {
		m.Basis = "no dpkg or apk database of the image was read (rpm's are not read: see docs/packages.md)"
		return
	}
	rm := pk.Removal(m.Packages, m.Layer)
	add := func(ps []packages.Package, dep bool) {
		for _, p := range ps {
			m.CostPackages = append(m.CostPackages, CostPackage{Manager: p.Manager, Name: p.Name, Version: p.Version, Architecture: p.Architecture, Bytes: p.Bytes, Files: p.Files, Dependency: dep})
			m.pkgs = append(m.pkgs, p.Manager+" "+p.Name+" "+p.Architecture)
		}
	}
	add(rm.Named, false)
	add(rm.Deps, true)
	m.CostBytes = rm.Bytes
	m.Measured = true
	var names []string
	for _, p := range rm.Named {
		names = append(names, p.Name)
	}
	switch len(names) {
	case 0:
		m.Basis = fmt.Sprintf("no package it names was installed by layer %d", m.Layer)
	default:
		m.Basis = fmt.Sprintf("bytes of %s, installed by layer %d", strings.Join(names, ", "), m.Layer)
		switch n := len(rm.Deps); n {
		case 0:
			m.Basis += ", no dependency installed for them alone"
		case 1:
			m.Basis += ", with 1 dependency installed for them alone"
		default:
			m.Basis += fmt.Sprintf(", with %d dependencies installed for them alone", n)
		}
	}
	if len(rm.Missing) > 0 {
		m.Basis += fmt.Sprintf(" (not installed by it: %s)", strings.Join(rm.Missing, ", "))
	}
}

// historyDest is the destination a COPY or ADD history entry records, as
// written there: the classic builder's "COPY file:... in DEST" or
// BuildKit's "COPY SRC... DEST # buildkit"; "" when it shows none plainly
// (a variable, exec form, a heredoc's text).
func historyDest(createdBy string) string {
	s := strings.TrimSpace(createdBy)
	if strings.ContainsAny(s, "\n$\"[") {
		return ""
	}
	if _, after, ok := strings.Cut(s, "#(nop)"); ok {
		if i := strings.LastIndex(after, " in "); i >= 0 {
			return strings.TrimSpace(after[i+len(" in "):])
		}
		s = after
	} else {
		s = strings.TrimSuffix(s, "# buildkit")
	}
	f := strings.Fields(s)
	if len(f) < 3 { // the keyword, a source, the destination
		return ""
	}
	return f[len(f)-1]
}

// resolveIn makes a destination absolute against the working directory.
func resolveIn(workdir, dest string) string {
	if path.IsAbs(dest) {
		return path.Clean(dest)
	}
	if workdir == "" {
		workdir = "/"
	}
	return path.Join(workdir, dest)
}

// sameDest reports whether a history's destination (absolute) is the
// Dockerfile's: the same path, or one the directory the other names (a
// file copied into a directory is recorded either way).
func sameDest(hist, dest string) bool {
	h, d := path.Clean(hist), path.Clean(dest)
	return h == d || path.Dir(h) == d || path.Dir(d) == h
}

// kindOf is the instruction a history entry's created_by records: "RUN",
// "COPY", "ADD", "WORKDIR" or another keyword, or "" when it is empty.
// Builders write it as BuildKit does ("RUN /bin/sh -c ... # buildkit",
// "COPY src dst # buildkit") or as the classic builder does ("/bin/sh -c
// #(nop)  COPY file:... in /dst", and a RUN's command line as it is).
func kindOf(createdBy string) string {
	s := strings.TrimSpace(createdBy)
	if s == "" {
		return ""
	}
	if _, after, ok := strings.Cut(s, "#(nop)"); ok {
		word, _, _ := strings.Cut(strings.TrimSpace(after), " ")
		return strings.ToUpper(word)
	}
	word, _, _ := strings.Cut(s, " ")
	switch w := strings.ToUpper(word); w {
	case "COPY", "ADD", "WORKDIR", "RUN":
		return w
	}
	return "RUN" // the classic builder records a RUN as its command line
}
