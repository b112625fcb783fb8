package layercache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// DefaultMaxBytes is the default size cap of a cache directory.
const DefaultMaxBytes = 2 << 30

// Options configure Open.
type Options struct {
	// MaxBytes caps the size of the entries in the directory (0:
	// DefaultMaxBytes). Past it, the least recently used entries are
	// removed; an entry larger than the cap is not stored.
	MaxBytes int64
}

// Cache is a directory of layer entries. Its methods are safe for
// concurrent use, and several processes may share one directory.
type Cache struct {
	dir string
	max int64

	mu   sync.Mutex
	size int64 // bytes of entries as this process last saw them; -1: not yet counted

	found, missing, invalid, written, evicted, failed atomic.Int64
}

// Stats counts what a Cache did since it was opened.
type Stats struct {
	// Found is the number of Get calls that returned an entry, Missing
	// those that found none, Invalid those that found one they could not
	// trust (truncated, corrupt, of another Version or another layer).
	Found, Missing, Invalid int64
	// Written counts the entries Put stored, Failed those it could not
	// (the cache is then only slower: callers go on), Evicted the entries
	// removed to keep the directory under its cap.
	Written, Failed, Evicted int64
}

// ext names entry files; temporary files start with tmpPrefix.
const (
	ext       = ".layer"
	tmpPrefix = ".tmp-"
)

// DefaultDir is the default cache directory: whittle/layers under the
// user's cache directory (os.UserCacheDir: $XDG_CACHE_HOME, else
// ~/.cache, on Linux).
func DefaultDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the user's cache directory: %w", err)
	}
	return filepath.Join(d, "whittle", "layers"), nil
}

// Open opens the cache in dir, making the directory if need be.
func Open(dir string, o Options) (*Cache, error) {
	if o.MaxBytes < 0 {
		return nil, fmt.Errorf("cache size cap must not be negative, got %d", o.MaxBytes)
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("making the layer cache directory: %w", err)
	}
	return &Cache{dir: dir, max: o.MaxBytes, size: -1}, nil
}

// Dir returns the cache's directory.
func (c *Cache) Dir() string { return c.dir }

// Stats returns the counts so far.
func (c *Cache) Stats() Stats {
	return Stats{Found: c.found.Load(), Missing: c.missing.Load(), Invalid: c.invalid.Load(),
		Written: c.written.Load(), Failed: c.failed.Load(), Evicted: c.evicted.Load()}
}

func (c *Cache) path(diffID v1.Hash) string {
	return filepath.Join(c.dir, diffID.Hex+ext)
}

// validKey reports whether diffID can name an entry file.
func validKey(diffID v1.Hash) bool {
	if diffID.Algorithm != "sha256" || len(diffID.Hex) != 64 {
		return false
	}
	return strings.Trim(diffID.Hex, "0123456789abcdef") == ""
}

// Get returns the entry of the layer diffID, and touches it (it is then
// the most recently used). An entry that cannot be trusted is a miss, and
// is replaced by the next Put of that layer.
func (c *Cache) Get(diffID v1.Hash) (*Entry, bool) {
	if !validKey(diffID) {
		c.missing.Add(1)
		return nil, false
	}
	p := c.path(diffID)
	b, err := os.ReadFile(p)
	if err != nil {
		c.missing.Add(1)
		return nil, false
	}
	e, err := decode(b, diffID)
	if err != nil {
		c.invalid.Add(1)
		return nil, false
	}
	now := time.Now()
	_ = os.Chtimes(p, now, now) // best effort: a read-only cache still serves
	c.found.Add(1)
	return e, true
}

// Put stores e, replacing any entry of its layer: written to a temporary
// file in the directory, then renamed into place, so that a reader sees
// the old entry or the new one, never a part. It then removes the least
// recently used entries while the directory is over its cap.
func (c *Cache) Put(e *Entry) error {
	err := c.put(e)
	if err != nil {
		c.failed.Add(1)
		return fmt.Errorf("storing layer %s in the cache: %w", e.DiffID, err)
	}
	c.written.Add(1)
	return nil
}

func (c *Cache) put(e *Entry) error {
	if !validKey(e.DiffID) {
		return fmt.Errorf("invalid diff_id %q", e.DiffID)
	}
	b, err := encode(e)
	if err != nil {
		return err
	}
	if int64(len(b)) > c.max {
		return fmt.Errorf("the entry (%d bytes) is larger than the cache's cap (%d bytes)", len(b), c.max)
	}
	f, err := os.CreateTemp(c.dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	p := c.path(e.DiffID)
	var old int64
	if fi, serr := os.Stat(p); serr == nil {
		old = fi.Size()
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.size >= 0 {
		c.size += int64(len(b)) - old
	}
	if c.size < 0 || c.size > c.max {
		c.evict(p)
	}
	return nil
}

// staleTemp is the age after which a temporary file is taken for the
// leftover of a run that died while writing.
const staleTemp = time.Hour

// evict counts the entries in the directory and removes the least
// recently used ones, never keep, while they are over the cap. c.mu is
// held.
func (c *Cache) evict(keep string) {
	des, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	type file struct {
		path  string
		size  int64
		mtime time.Time
	}
	var files []file
	var total int64
	for _, de := range des {
		name := de.Name()
		fi, err := de.Info()
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		p := filepath.Join(c.dir, name)
		if strings.HasPrefix(name, tmpPrefix) {
			if time.Since(fi.ModTime()) > staleTemp {
				os.Remove(p)
			}
			continue
		}
		if !strings.HasSuffix(name, ext) {
			continue
		}
		files = append(files, file{p, fi.Size(), fi.ModTime()})
		total += fi.Size()
	}
	slices.SortFunc(files, func(a, b file) int { return a.mtime.Compare(b.mtime) })
	for _, f := range files {
		if total <= c.max {
			break
		}
		if f.path == keep {
			continue
		}
		if err := os.Remove(f.path); err == nil || errors.Is(err, fs.ErrNotExist) {
			total -= f.size
			c.evicted.Add(1)
		}
	}
	c.size = total
}
