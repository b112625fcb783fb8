package shellfacts

import (
	"github.com/whittle/whittle/pkg/dockerfile"
	"mvdan.cc/sh/v3/syntax"
)

// Facts is what one script does.
type Facts struct {
	// Commands are the simple commands in source order, including those in
	// subshells, conditionals, loops and command substitutions.
	Commands []*Command
	// CacheMounts are the targets of the RUN's cache mounts (absolute):
	// each keeps whatever is written under it out of the image.
	CacheMounts []string
	// Errexit and Pipefail tell whether "set -e" / "set -o pipefail" (or
	// the SHELL's flags) are in effect at the start of the script.
	Errexit  bool
	Pipefail bool
	// Unparsed is true when the script had no AST (a parse error, or a
	// non-shell interpreter); Commands is then empty.
	Unparsed bool
}

// Command is one simple command.
type Command struct {
	// Name is the program's base name ("apt-get" for /usr/bin/apt-get);
	// wrappers such as sudo, env, nice, xargs and "sh -c" literal scripts
	// are looked through.
	Name string
	// Args are the argument words after Name, with quotes removed and
	// known variables expanded; a word with unknown parts keeps them as
	// written ("$HOME"). Globs are kept as written.
	Args []string
	// Assigns are the prefix assignments (FOO=bar cmd).
	Assigns map[string]string
	// Redirs are the targets of the command's output redirections (>, >>,
	// &>, >|), absolute when the working directory is known; /dev/*
	// targets and fd duplications (>&2) are left out.
	Redirs []string
	// Call is the AST node; Pos and End its script positions.
	Call     *syntax.CallExpr
	Pos, End syntax.Pos
	// Range is the command's range in the Dockerfile when the facts come
	// from OfRun; zero otherwise.
	Range dockerfile.Range
	// Dir is the working directory the command runs in (WORKDIR, then any
	// cd before it); "" when a cd went somewhere unknown.
	Dir string
	// DirAs is, when Dir is unknown, the directory a cd went to as
	// written, variables expanded where known ("$(mktemp -d)",
	// "$tmp/src"); "" otherwise. Paths relative to it name the same files
	// in every command that has the same DirAs.
	DirAs string
	// Always is true when the command runs in every successful execution
	// of the RUN: not inside if/case/loop bodies, not after ||, and not
	// after an && whose failure the RUN would survive.
	Always bool
	// Stops is true when a failure of this command fails the RUN (it ends
	// an && chain that decides the exit status, or set -e applies).
	Stops bool
	// Subshell is true inside ( ... ), a pipeline element or $( ... ):
	// cd and variables do not leak out.
	Subshell bool

	// What the command means, when recognized. At most one is set.
	Pkg      *PkgOp
	Download *Download
	Extract  *Extract
	File     *FileOp
}

// Manager is a package manager or build tool with a cache.
type Manager string

// Managers.
const (
	Apt      Manager = "apt" // apt-get, apt, aptitude
	Apk      Manager = "apk"
	Dnf      Manager = "dnf"
	Yum      Manager = "yum"
	Microdnf Manager = "microdnf"
	Zypper   Manager = "zypper"
	Pip      Manager = "pip" // pip, pip3, python -m pip
	Npm      Manager = "npm"
	Yarn     Manager = "yarn"
	Pnpm     Manager = "pnpm"
	Gem      Manager = "gem"
	Go       Manager = "go"
	Cargo    Manager = "cargo"
)

// Verb is the normalized operation.
type Verb string

// Verbs.
const (
	Update     Verb = "update"     // apt-get update, apk update
	Install    Verb = "install"    // install, add, in, ci, npm i, yarn (bare), go install, cargo install
	Upgrade    Verb = "upgrade"    // upgrade, dist-upgrade, apk upgrade, dnf update/upgrade
	Remove     Verb = "remove"     // remove, del, erase, rm, uninstall
	Purge      Verb = "purge"      // apt purge, apt remove --purge
	Autoremove Verb = "autoremove" // apt autoremove, dnf autoremove
	Clean      Verb = "clean"      // apt clean, dnf clean all, zypper clean, npm/yarn cache clean, pip cache purge, go clean -cache, gem cleanup
	Build      Verb = "build"      // go build, cargo build
)

// PkgOp is a package-manager operation.
type PkgOp struct {
	Manager Manager
	// Tool is the program as invoked ("apt-get", "pip3", "python3 -m pip").
	Tool string
	Verb Verb
	// RawVerb is the subcommand as written ("add", "in", "ci", "del").
	RawVerb string
	// Packages are the operands (package names or specs, or the virtual
	// name for apk del).
	Packages []string
	// Yes is set by -y/--yes/--assume-yes/-qq (apt), -y/--assumeyes (dnf,
	// yum, microdnf), -n/--non-interactive/-y (zypper).
	Yes bool
	// NoInstallRecommends: apt --no-install-recommends or
	// -o APT::Install-Recommends=false; dnf/yum
	// --setopt=install_weak_deps=False (or =0); microdnf
	// --setopt=install_weak_deps=0; zypper --no-recommends.
	NoInstallRecommends bool
	// AutoRemove: apt --auto-remove/--autoremove on remove or purge.
	AutoRemove bool
	// NoCache: apk --no-cache; pip --no-cache-dir or PIP_NO_CACHE_DIR
	// truthy (ENV, ARG, prefix assignment or export); yarn/npm
	// --no-cache is not a thing and is not set.
	NoCache bool
	// Update: apk --update/-U/--update-cache.
	Update bool
	// Virtual: apk add --virtual/-t NAME.
	Virtual string
	// NoDocument: gem --no-document/-N, or both --no-ri and --no-rdoc.
	NoDocument bool
	// Force: npm cache clean --force/-f.
	Force bool
	// All: dnf/yum/microdnf "clean all", zypper clean --all/-a.
	All bool
	// Requirements are pip -r/--requirement files.
	Requirements []string
	// Global: npm/yarn/pnpm -g/--global, or "yarn global add".
	Global bool
	// Flags are the option words as written (after the verb and before).
	Flags []string
	// CacheDir is where the tool keeps its cache when it was moved from
	// the default: GOCACHE (go), PIP_CACHE_DIR or --cache-dir (pip),
	// npm_config_cache or --cache (npm), YARN_CACHE_FOLDER or
	// --cache-folder (yarn), from ENV/ARG, a prefix assignment or export.
	// XDG_CACHE_HOME moves those of pip, go and yarn, HOME (other than
	// /root) those of pip, npm and go.
	// Absolute when known; "" means the tool's default.
	CacheDir string
	// Home is, for yarn, HOME as the command sees it (ENV/ARG, export, a
	// prefix assignment) when it is set and absolute: yarn v1 keeps its
	// default cache in ~/.cache/yarn for a user other than root (for
	// root, in /usr/local/share/.cache/yarn whatever HOME says), and only
	// the caller knows the user.
	Home string
}

// Download is a curl or wget fetch.
type Download struct {
	Tool string // "curl" or "wget"
	URLs []string
	// Output is the absolute path written, "" when the content goes to
	// stdout (curl's default, -o -, wget -O -) or is unknown.
	Output string
	// Outputs are all the files written when several URLs are fetched
	// (curl -O URL -O URL, --remote-name-all, -o per URL; wget URL URL);
	// Output is one of them.
	Outputs []string
	// Stdout is true when the content goes to stdout; Piped when that
	// stdout feeds a pipe (curl ... | tar x, | sh).
	Stdout bool
	Piped  bool
}

// Extract is an archive extraction.
type Extract struct {
	Tool string // "tar", "unzip", "7z", "unrar", "gunzip", "zcat", "xz", ...
	// Archive is the absolute archive path; "" when read from stdin.
	Archive string
	// Dest is the absolute directory extracted into (-C, -d, or Dir).
	Dest string
	// FromPipe is true when the archive comes from a pipe (curl | tar).
	FromPipe bool
	// Create is true for tar -c (making an archive, not extracting).
	Create bool
}

// FileOp is a file-system command.
type FileOp struct {
	// Op is the command: "rm", "rmdir", "mv", "cp", "chmod", "chown",
	// "chgrp", "mkdir", "touch", "ln", "install".
	Op string
	// Paths are the absolute, cleaned operands (mv/cp/ln/install: the
	// sources). Globs are kept.
	Paths []string
	// Dest is the destination of mv/cp/ln/install.
	Dest string
	// Recursive (-r, -R, -a, --recursive) and Force (-f, --force).
	Recursive bool
	Force     bool
	// Mode is the mode of chmod or the owner[:group] of chown/chgrp.
	Mode string
}
