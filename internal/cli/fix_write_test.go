package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fixedNaive is what the default fix makes of naiveDockerfile.
const fixedNaive = "FROM local/debian:bookworm\n# tools\nRUN apt-get update && apt-get install -y curl && apt-get clean && rm -rf /var/lib/apt/lists/*\n"

// onlyFiles fails when dir holds anything but names (a temporary file
// left behind).
func onlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("directory holds %v, want %v", got, names)
	}
}

func TestFixWriteKeepsMode(t *testing.T) {
	for _, mode := range []os.FileMode{0o600, 0o640, 0o755, 0o664} {
		dir := t.TempDir()
		p := filepath.Join(dir, "Dockerfile")
		if err := os.WriteFile(p, []byte(naiveDockerfile), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		if code, _, errs := runCLI(t, "", "fix", "--write", "-q", p); code != ExitOK {
			t.Fatalf("%04o: exit %d: %s", mode, code, errs)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("mode %04o became %04o", mode, fi.Mode().Perm())
		}
		if b, _ := os.ReadFile(p); string(b) != fixedNaive {
			t.Errorf("%04o: content %q", mode, b)
		}
		onlyFiles(t, dir, "Dockerfile")
	}
}

func TestFixWriteReadOnly(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(p, []byte(naiveDockerfile), 0o444); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "fix", "--write", p)
	if code != ExitError || !strings.Contains(errs, "is read-only (mode 0444)") || !strings.Contains(errs, "--force") || out != "" {
		t.Errorf("exit %d: %q %q", code, out, errs)
	}
	// Refused before any work: no summary.
	if strings.Contains(errs, "WH201") {
		t.Errorf("summary printed before the refusal: %s", errs)
	}
	if b, _ := os.ReadFile(p); string(b) != naiveDockerfile {
		t.Errorf("read-only file written: %q", b)
	}
	// --force writes it and keeps it read-only.
	if code, _, errs := runCLI(t, "", "fix", "--write", "--force", "-q", p); code != ExitOK {
		t.Fatalf("--force: exit %d: %s", code, errs)
	}
	if b, _ := os.ReadFile(p); string(b) != fixedNaive {
		t.Errorf("--force: content %q", b)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o444 {
		t.Errorf("--force: mode %04o", fi.Mode().Perm())
	}
	onlyFiles(t, dir, "Dockerfile")
	// --force needs nothing else: without --write it changes nothing.
	if code, _, errs := runCLI(t, "", "fix", "--force", "-q", p); code != ExitOK {
		t.Errorf("--force alone: exit %d: %s", code, errs)
	}
}

func TestFixWriteHardLink(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "Dockerfile")
	other := filepath.Join(dir, "Dockerfile.link")
	if err := os.WriteFile(p, []byte(naiveDockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(p, other); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCLI(t, "", "fix", "--write", p)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, p+": the file had 2 names (hard links): it was replaced, not edited in place, so its other name keeps the text it had before\n") {
		t.Errorf("stderr: %s", errs)
	}
	if b, _ := os.ReadFile(p); string(b) != fixedNaive {
		t.Errorf("content %q", b)
	}
	if b, _ := os.ReadFile(other); string(b) != naiveDockerfile {
		t.Errorf("the other name: %q", b)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil || st.Nlink != 1 {
		t.Errorf("nlink %d: %v", st.Nlink, err)
	}
	onlyFiles(t, dir, "Dockerfile", "Dockerfile.link")
	// A file with one name: nothing said.
	if err := os.WriteFile(other, []byte(naiveDockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, errs := runCLI(t, "", "fix", "--write", other); strings.Contains(errs, "hard link") {
		t.Errorf("one name, yet: %s", errs)
	}
}

func TestFixWriteChangedMeanwhile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(p, []byte("edited by someone\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := writeFileAtomic(p, []byte(fixedNaive), []byte(naiveDockerfile), false)
	if err == nil || !strings.Contains(err.Error(), "changed since fix read it") {
		t.Errorf("error %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "edited by someone\n" {
		t.Errorf("overwritten: %q", b)
	}
	onlyFiles(t, dir, "Dockerfile")
}

func TestFixWriteKeepsOwner(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(p, []byte(naiveDockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		// Only root may give the file to another user; the write must
		// keep that owner.
		uid, gid = 4321, 4321
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, errs := runCLI(t, "", "fix", "--write", "-q", p); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	if int(st.Uid) != uid || int(st.Gid) != gid {
		t.Errorf("owner %d:%d, want %d:%d", st.Uid, st.Gid, uid, gid)
	}
}
