package rules

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/packages"
)

// pipRecord is one pip found by its RECORD.
type pipRecord struct {
	dir, version string // site-packages, relative; pip's version
	files        map[string]bool
}

// pipRecords reads the RECORDs of pip captured with the package databases
// (packages.PipRecordPaths), outside the OS package
// managers' directories (/usr/lib, where Debian's python3-pip and
// Alpine's py3-pip live, is left to the package rule).
func pipRecords(rep *account.Report) []pipRecord {
	var out []pipRecord
	for _, c := range rep.Captured {
		if c.Data == nil || strings.HasPrefix(c.Path, "usr/lib/") || !isPipRecord(c.Path) {
			continue
		}
		distInfo := path.Dir(c.Path)
		r := pipRecord{dir: path.Dir(distInfo), files: map[string]bool{}}
		r.version = strings.TrimSuffix(strings.TrimPrefix(path.Base(distInfo), "pip-"), ".dist-info")
		cr := csv.NewReader(bytes.NewReader(c.Data))
		cr.FieldsPerRecord, cr.LazyQuotes, cr.ReuseRecord = -1, true, true
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				continue // a line csv cannot read: skipped
			}
			if len(rec) == 0 || rec[0] == "" {
				continue
			}
			p := rec[0]
			if path.IsAbs(p) {
				p = path.Clean(p)[1:]
			} else {
				p = path.Join(r.dir, p)
			}
			if p == "" || p == "." || p == ".." || strings.HasPrefix(p, "../") {
				continue
			}
			r.files[p] = true
		}
		out = append(out, r)
	}
	return out
}

func isPipRecord(p string) bool {
	for _, pat := range packages.PipRecordPaths() {
		if ok, _ := path.Match(pat[1:], p); ok {
			return true
		}
	}
	return false
}

// pipFindings makes one WH803 finding for each pip found by its RECORD:
// the visible bytes of the files it lists (each file once), at the layer
// that shipped most of them.
func pipFindings(rep *account.Report) []ImageFinding {
	records := pipRecords(rep)
	if len(records) == 0 {
		return nil
	}
	type acc struct {
		bytes, files int64
		seen         map[int]bool
		byLayer      map[int]int64
	}
	accs := make([]acc, len(records))
	for i := range accs {
		accs[i] = acc{seen: map[int]bool{}, byLayer: map[int]int64{}}
	}
	for _, f := range rep.VisibleFiles {
		for i, r := range records {
			if !r.files[f.Path] || accs[i].seen[f.File] {
				continue
			}
			a := &accs[i]
			a.seen[f.File] = true
			a.bytes += f.Bytes
			a.files++
			a.byLayer[f.Layer] += f.Bytes
		}
	}
	var out []ImageFinding
	for i, r := range records {
		a := accs[i]
		if a.files == 0 {
			continue
		}
		layer := -1
		for l, b := range a.byLayer {
			if layer < 0 || b > a.byLayer[layer] || (b == a.byLayer[layer] && l < layer) {
				layer = l
			}
		}
		createdBy := ""
		if layer < len(rep.Layers) {
			createdBy = rep.Layers[layer].CreatedBy
		}
		out = append(out, ImageFinding{Severity: Warning,
			Message:   fmt.Sprintf("pip in the final image: pip %s in /%s, installed by Python (no OS package)", r.version, r.dir),
			Bytes:     a.bytes,
			Layer:     layer,
			CreatedBy: createdBy,
			Packages:  []ImagePackage{{Manager: "pip", Name: "pip", Version: r.version, Bytes: a.bytes, Files: a.files, FilesKnown: true}},
			Fix: "install the dependencies in a build stage and copy only the installed packages (a virtual environment made with `python -m venv --without-pip`, " +
				"dependencies installed with `pip --python /venv/bin/python install`), or `pip uninstall -y pip` in the RUN that last used it"})
	}
	slices.SortStableFunc(out, func(a, b ImageFinding) int { return cmp.Compare(a.Layer, b.Layer) })
	return out
}
