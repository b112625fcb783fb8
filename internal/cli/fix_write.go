package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// fixTarget resolves the file --write replaces: a symbolic link is
// followed, so the file it points to is replaced and the link stays.
func fixTarget(name string) string {
	if real, err := filepath.EvalSymlinks(name); err == nil {
		return real
	}
	return name
}

// readOnly reports whether fix --write should treat the file as
// read-only: the user may not write it, or its mode gives no one write
// permission (chmod a-w; as root, the first test always passes).
func readOnly(path string, fi fs.FileInfo) bool {
	return fi.Mode().Perm()&0o222 == 0 || unix.Access(path, unix.W_OK) != nil
}

// checkWritable refuses a read-only file unless force.
func checkWritable(name string, force bool) error {
	path := fixTarget(name)
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s: %w", name, unwrapPathError(err))
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: --write needs a regular file", name)
	}
	if !force && readOnly(path, fi) {
		return fmt.Errorf("%s is read-only (mode %04o): --write leaves it alone; --force rewrites it, keeping its mode", name, fi.Mode().Perm())
	}
	return nil
}

// writeFixed writes the repaired text back to name for --write, and says
// on stderr when that breaks a hard link.
func writeFixed(cmd *cobra.Command, name string, data, src []byte, fl fixFlags) error {
	path := fixTarget(name)
	links, err := writeFileAtomic(path, data, src, fl.force)
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if links > 1 && !fl.quiet {
		fmt.Fprintf(cmd.ErrOrStderr(), "%s: the file had %d names (hard links): it was replaced, not edited in place, so its other %s the text it had before\n",
			name, links, plural(int64(links-1), "name keeps", "names keep"))
	}
	return nil
}

// writeFileAtomic replaces path with data through a temporary file in the
// same directory and a rename. The new file gets the old one's mode (and,
// where the user may set it, its owner). src is the text fix read: when
// the file no longer holds it, nothing is written. A read-only file is
// refused unless force. It returns how many names (hard links) the old
// file had: the rename gives path a new file, and the other names keep the
// old one.
func writeFileAtomic(path string, data, src []byte, force bool) (links uint64, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, unwrapPathError(err)
	}
	if !fi.Mode().IsRegular() {
		return 0, errors.New("not a regular file")
	}
	if !force && readOnly(path, fi) {
		return 0, fmt.Errorf("read-only (mode %04o); --force rewrites it", fi.Mode().Perm())
	}
	links = 1
	var uid, gid = -1, -1
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		links = uint64(st.Nlink)
		uid, gid = int(st.Uid), int(st.Gid)
	}
	cur, err := os.ReadFile(path)
	if err != nil {
		return 0, unwrapPathError(err)
	}
	if !bytes.Equal(cur, src) {
		return 0, errors.New("the file changed since fix read it; nothing written")
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".whittle-*")
	if err != nil {
		return 0, unwrapPathError(err)
	}
	name := tmp.Name()
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil && uid >= 0 && (uid != os.Getuid() || gid != os.Getgid()) {
		// Keep the owner where the user may (root, or a group of the
		// user's); otherwise the file becomes the user's, as an editor
		// would make it.
		_ = os.Chown(name, uid, gid)
	}
	if werr == nil {
		// After the chown, which clears setuid and setgid bits.
		werr = os.Chmod(name, fi.Mode().Perm()|fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
	}
	if werr == nil {
		werr = os.Rename(name, path)
	}
	if werr != nil {
		os.Remove(name)
		return 0, werr
	}
	return links, nil
}
