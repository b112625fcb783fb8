// Package shellfacts reads what a RUN does from its shell AST
// (mvdan.cc/sh/v3/syntax): every simple command with its position, whether
// it always runs and whether its failure fails the RUN, the working
// directory it runs in, and what it means for image size: package-manager
// operations (apt, apk, dnf/yum/microdnf, zypper, pip, npm/yarn/pnpm, gem,
// go, cargo), downloads (curl, wget), extractions (tar, unzip, 7z,
// gunzip, ...), file operations (rm, mv, cp, chmod, chown, mkdir, ...) and
// the files its output redirections write.
//
// Subcommand, HasFlag and Operands read the argument words of a command
// for tools shellfacts does not classify; Rooted tells a path that starts
// with an unexpanded variable standing for a directory ("$HOME/.cache")
// from a relative name ("${V}.tar.gz").
//
// Analyze works on any parsed script; OfRun is the convenience for a
// dockerfile.Instruction, taking WORKDIR, ENV/ARG values, SHELL flags and
// cache mounts from the Dockerfile model and mapping positions to the file.
package shellfacts
