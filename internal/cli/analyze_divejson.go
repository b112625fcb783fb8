package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/imageref"
)

// dive's JSON export (dive IMAGE --json FILE), in dive's field names and
// order (cmd/dive/cli/internal/command/export of dive); see
// docs/analyze.md, "dive's --json export".

type diveExportLayer struct {
	Index     int                    `json:"index"`
	ID        string                 `json:"id"`
	DigestID  string                 `json:"digestId"`
	SizeBytes int64                  `json:"sizeBytes"`
	Command   string                 `json:"command"`
	FileList  []account.DiveFileInfo `json:"fileList"`
}

type diveExportImage struct {
	SizeBytes        int64               `json:"sizeBytes"`
	InefficientBytes int64               `json:"inefficientBytes"`
	EfficiencyScore  float64             `json:"efficiencyScore"`
	FileReference    []diveFileReference `json:"fileReference"`
}

type diveFileReference struct {
	Count     int    `json:"count"`
	SizeBytes int64  `json:"sizeBytes"`
	File      string `json:"file"`
}

// diveLayerMeta is what dive's export says of layer i beside its files:
// id, the first name of the layer's path in the archive dive read (paths
// from manifest.json; without them, "blobs", as every layer of an OCI
// layout or of a Docker Engine 25 `docker save` is under blobs/); and
// digestId and command from the i-th history entry that is not
// empty_layer: the i-th diff_id and created_by without its "/bin/sh -c "
// ("" and "(missing)" past the end of the history).
func diveLayerMeta(cfg *v1.ConfigFile, paths []string, i int) (id, digest, command string) {
	id = "blobs"
	if i < len(paths) {
		id, _, _ = strings.Cut(paths[i], "/")
	}
	command = "(missing)"
	k := 0
	for _, h := range cfg.History {
		if h.EmptyLayer {
			continue
		}
		if k == i {
			command = strings.TrimPrefix(h.CreatedBy, "/bin/sh -c ")
			if i < len(cfg.RootFS.DiffIDs) {
				digest = cfg.RootFS.DiffIDs[i].String()
			}
			break
		}
		k++
	}
	return id, digest, command
}

// diveExportFile writes dive's export a layer at a time, a file at a
// time: to a temporary file beside path, renamed into place once complete;
// to stdout for path "-"; straight into path when it is there and is not a
// regular file (a device, a fifo: never replaced). The bytes are those of
// dive's json.MarshalIndent(export, "", "  "): each part is marshalled
// and indented at its depth.
type diveExportFile struct {
	path   string
	target string   // the file replaced: path, or what a symbolic link at path names
	tmp    *os.File // the temporary file, or nil
	direct *os.File // path itself when it is not a regular file, or nil
	w      *bufio.Writer
	cfg    *v1.ConfigFile
	paths  []string
	layers int
	buf    bytes.Buffer
	done   bool // complete, or abandoned
}

func newDiveExportFile(path string, stdout io.Writer, cfg *v1.ConfigFile, paths []string) (*diveExportFile, error) {
	x := &diveExportFile{path: path, cfg: cfg, paths: paths}
	var out io.Writer
	target, direct := outputTarget(path)
	var err error
	if path == "-" {
		out = stdout
	} else if direct {
		if x.direct, err = os.OpenFile(path, os.O_WRONLY, 0); err != nil {
			return nil, fmt.Errorf("writing %s: %w", path, pathErrCause(err))
		}
		out = x.direct
	} else {
		x.target = target
		if x.tmp, err = os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".*.tmp"); err != nil {
			return nil, fmt.Errorf("writing %s: %w", path, pathErrCause(err))
		}
		out = x.tmp
	}
	x.w = bufio.NewWriterSize(out, 64<<10)
	x.w.WriteString("{\n  \"layer\": [")
	return x, nil
}

// part writes sep, then v marshalled and indented at depth (in units of
// two spaces), and returns what it wrote of v.
func (x *diveExportFile) part(sep string, v any, depth int) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	x.buf.Reset()
	if err := json.Indent(&x.buf, raw, strings.Repeat("  ", depth), "  "); err != nil {
		return nil, err
	}
	x.w.WriteString(sep)
	_, err = x.w.Write(x.buf.Bytes())
	return x.buf.Bytes(), err
}

// emptyFileList ends a layer marshalled with no file at depth 2.
const emptyFileList = "[]\n    }"

// layer writes one layer (account.WithDiveExport calls it in order): its
// fields, then its files one by one.
func (x *diveExportFile) layer(l *account.DiveLayer) error {
	id, digest, command := diveLayerMeta(x.cfg, x.paths, l.Index)
	sep := "\n    "
	if x.layers > 0 {
		sep = ",\n    "
	}
	x.layers++
	dl := diveExportLayer{Index: l.Index, ID: id, DigestID: digest, SizeBytes: l.SizeBytes, Command: command, FileList: []account.DiveFileInfo{}}
	if len(l.Files) == 0 {
		if _, err := x.part(sep, dl, 2); err != nil {
			return fmt.Errorf("writing %s: %w", x.path, err)
		}
		return nil
	}
	// The layer without its files, up to the list's "[".
	raw, err := json.Marshal(dl)
	if err != nil {
		return fmt.Errorf("writing %s: %w", x.path, err)
	}
	x.buf.Reset()
	if err := json.Indent(&x.buf, raw, "    ", "  "); err != nil {
		return fmt.Errorf("writing %s: %w", x.path, err)
	}
	head, ok := bytes.CutSuffix(x.buf.Bytes(), []byte(emptyFileList))
	if !ok {
		return fmt.Errorf("writing %s: a layer does not end with its file list", x.path)
	}
	x.w.WriteString(sep)
	x.w.Write(head)
	x.w.WriteString("[")
	for k := range l.Files {
		sep := "\n        "
		if k > 0 {
			sep = ",\n        "
		}
		if _, err := x.part(sep, &l.Files[k], 4); err != nil {
			return fmt.Errorf("writing %s: %w", x.path, err)
		}
	}
	_, err = x.w.WriteString("\n      ]\n    }")
	return err
}

// finish writes the image part from dive's figures and puts the file into
// place.
func (x *diveExportFile) finish(d account.Dive) (err error) {
	defer func() {
		if err != nil {
			x.abort()
			err = fmt.Errorf("writing %s: %w", x.path, pathErrCause(err))
		}
	}()
	if x.layers > 0 {
		x.w.WriteString("\n  ")
	}
	img := diveExportImage{SizeBytes: d.SizeBytes, InefficientBytes: d.WastedBytes, EfficiencyScore: d.Efficiency, FileReference: []diveFileReference{}}
	for _, f := range d.Inefficiencies {
		img.FileReference = append(img.FileReference, diveFileReference{Count: f.Count, SizeBytes: f.SizeBytes, File: f.Path})
	}
	if _, err = x.part("],\n  \"image\": ", img, 1); err != nil {
		return err
	}
	x.w.WriteString("\n}")
	if err = x.w.Flush(); err != nil {
		return err
	}
	switch {
	case x.direct != nil:
		err = x.direct.Close()
	case x.tmp != nil:
		if err = x.tmp.Chmod(0o644); err != nil {
			return err
		}
		if err = x.tmp.Close(); err != nil {
			return err
		}
		err = os.Rename(x.tmp.Name(), x.target)
	}
	if err != nil {
		return err
	}
	x.done = true
	return nil
}

// abort removes the temporary file.
func (x *diveExportFile) abort() {
	if x.done {
		return
	}
	x.done = true
	if x.direct != nil {
		x.direct.Close()
	}
	if x.tmp != nil {
		x.tmp.Close()
		os.Remove(x.tmp.Name())
	}
}

// openDiveExport starts dive's export of img, read from ref, to path.
func openDiveExport(ctx context.Context, ref imageref.Ref, img v1.Image, path string, stdout io.Writer, opts []imageref.Option) (*diveExportFile, error) {
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading the config of %s: %w", ref, err)
	}
	paths, _, err := ref.SavedLayerPaths(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ref, err)
	}
	return newDiveExportFile(path, stdout, cfg, paths)
}
