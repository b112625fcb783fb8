// Package dockerfile is whittle's model of a Dockerfile: every instruction
// with its exact byte range in the source, its flags and arguments, the shell
// script of each RUN parsed with mvdan.cc/sh/v3/syntax (positions mapped back
// to the file's bytes), and the stage graph (which stages reach the final
// image, the environment, SHELL, WORKDIR and USER in effect at each
// instruction).
//
// Parsing is done by BuildKit's parser
// (github.com/moby/buildkit/frontend/dockerfile/parser and instructions);
// this package adds byte offsets, which BuildKit does not keep, by
// re-reading the lines BuildKit reports with BuildKit's own rules
// (escape directive, line continuations, comment and empty lines inside
// continuations, heredocs).
//
// Parse never panics. A file BuildKit rejects gives a *ParseError; a shell
// script that mvdan/sh rejects is recorded on its Script and the rest of the
// file is still modelled.
package dockerfile
