package rules

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dustin/go-humanize"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/whittle/whittle/pkg/dockerfile"
)

var wh701Cases = []layerCase{
	{name: "python full image", src: "FROM python:3.12\nRUN pip install --no-cache-dir flask\n",
		want: []layerWant{{line: 1, sev: Info, contains: []string{"built on python:3.12", "python:3.12-slim", "python:3.12-alpine", "musl", "manylinux"}}}},
	{name: "python slim", src: "FROM python:3.12-slim\n"},
	{name: "python alpine", src: "FROM python:3.12-alpine3.19\n"},
	{name: "node with codename", src: "FROM node:20-bookworm\n",
		want: []layerWant{{line: 1, sev: Info, contains: []string{"node:20-slim-bookworm", "node:20-alpine", "distroless/nodejs20"}}}},
	{name: "static go binary on debian", src: `FROM golang:1.22 AS build
ENV CGO_ENABLED=0
RUN go build -o /out/app .
FROM debian:bookworm
COPY --from=build /out/app /app
`, want: []layerWant{{line: 4, sev: Info, contains: []string{"debian:bookworm", "scratch, gcr.io/distroless/static-debian12, debian:bookworm-slim", "static"}}}},
	{name: "go toolchain as final image", src: "FROM golang:1.22\nRUN go build -o /app .\n",
		want: []layerWant{{line: 1, sev: Info, contains: []string{"toolchain", "scratch", "builder stage"}}}},
	{name: "ubuntu", src: "FROM ubuntu:24.04\n",
		want: []layerWant{{line: 1, sev: Info, contains: []string{"alpine, gcr.io/distroless/base-debian12", "already about the size of debian -slim"}}}},
	{name: "heavy builder, small final", src: "FROM ubuntu:22.04 AS build\nRUN true\nFROM alpine:3.19\nCOPY --from=build /x /x\n"},
	{name: "through a base stage", src: "FROM debian:12 AS base\nRUN true\nFROM base\nRUN true\n",
		want: []layerWant{{line: 1, sev: Info, contains: []string{"through stage base", "debian:12-slim"}}}},
	{name: "ARG base, JDK", src: "ARG BASE=openjdk:17\nFROM ${BASE}\n",
		want: []layerWant{{line: 2, sev: Info, contains: []string{"openjdk:17", "eclipse-temurin:17-jre"}}}},
	{name: "distroless and scratch", src: "FROM gcr.io/distroless/static-debian12\n"},
	{name: "scratch", src: "FROM scratch\nCOPY app /\n"},
	{name: "not an official image", src: "FROM circleci/php:7.2.11-cli-stretch-node\n"},
	{name: "older codename", src: "FROM python:3.6-stretch\n",
		want: []layerWant{{line: 1, sev: Info, contains: []string{"python:3.6-slim-stretch", "python:3.6-alpine"}}}},
	{name: "registry prefix kept", src: "FROM docker.io/library/ruby:3.3\n",
		want: []layerWant{{line: 1, sev: Info, contains: []string{"ruby:3.3-slim"}}}},
}

func TestWH701(t *testing.T) {
	offline := baseImage{size: func(context.Context, string) (int64, error) {
		t.Fatal("registry lookup without WithRegistryLookups")
		return 0, nil
	}}
	runLayerCases(t, offline, wh701Cases)
}

func TestWH701RegistryLookups(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	push := func(tag string, size int64, layers int64) int64 {
		img, err := random.Image(size, layers)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := name.ParseReference(host + "/python:" + tag)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
		// Oracle: the layer blobs' own sizes.
		ls, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, l := range ls {
			s, err := l.Size()
			if err != nil {
				t.Fatal(err)
			}
			n += s
		}
		return n
	}
	full := push("3.12", 40000, 4)
	slim := push("3.12-slim", 9000, 2)
	alpine := push("3.12-alpine", 3000, 1)
	// Only the in-process registry is reachable: other suggestions
	// (gcr.io/distroless/...) fail as they would offline.
	rule := baseImage{size: func(ctx context.Context, ref string) (int64, error) {
		if !strings.HasPrefix(ref, host+"/") {
			return 0, errors.New("offline")
		}
		return remoteSize(ctx, ref)
	}}
	src := "FROM " + host + "/python:3.12\n"
	got := lintString(t, src, WithRuleSet(rule), WithRegistryLookups(true))
	if len(got) != 1 {
		t.Fatalf("findings: %v", got)
	}
	msg := got[0].Message
	for _, want := range []string{
		host + "/python:3.12 is " + humanize.Bytes(uint64(full)) + " compressed",
		host + "/python:3.12-slim is " + humanize.Bytes(uint64(slim)) + " (saves " + humanize.Bytes(uint64(full-slim)) + ")",
		host + "/python:3.12-alpine is " + humanize.Bytes(uint64(alpine)) + " (saves " + humanize.Bytes(uint64(full-alpine)) + ")",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	// Without lookups, the same file gives no sizes.
	got = lintString(t, src, WithRuleSet(rule))
	if len(got) != 1 || strings.Contains(got[0].Message, "measured") {
		t.Errorf("offline finding: %v", got)
	}
	// A base that is not in the registry: the finding stays, the failure is said.
	got = lintString(t, "FROM "+host+"/python:3.11\n", WithRuleSet(rule), WithRegistryLookups(true))
	if len(got) != 1 || !strings.Contains(got[0].Message, "size lookup failed") {
		t.Errorf("missing base: %v", got)
	}
	// A cancelled context is an error, not a silent miss.
	f := parseString(t, src)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Lint(ctx, f, WithRuleSet(rule), WithRegistryLookups(true)); err == nil {
		t.Error("cancelled lookup not reported")
	}
}

func parseString(t *testing.T, src string) *dockerfile.File {
	t.Helper()
	f, err := dockerfile.Parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestOfficialRepo(t *testing.T) {
	for ref, want := range map[string]string{
		"python:3.12-slim":                   "python",
		"docker.io/postgres:17":              "postgres",
		"docker.io/library/postgres":         "postgres",
		"index.docker.io/library/ruby:3":     "ruby",
		"library/debian@sha256:" + sha256hex: "debian",
		"DEBIAN:Bookworm":                    "debian",
		"bitnami/postgresql:16":              "",
		"docker.io/bitnami/postgresql":       "",
		"ghcr.io/library/python":             "",
		"localhost:5000/python":              "",
		"${BASE}":                            "",
		"":                                   "",
	} {
		if got := officialRepo(ref); got != want {
			t.Errorf("officialRepo(%q) = %q, want %q", ref, got, want)
		}
	}
}

const sha256hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestRPMCacheDir(t *testing.T) {
	for _, tc := range []struct{ tool, base, want string }{
		{"microdnf", "registry.access.redhat.com/ubi8/ubi-minimal", "/var/cache/yum"},
		{"microdnf", "registry.access.redhat.com/ubi9/ubi-minimal:9.4", "/var/cache/yum"},
		{"dnf", "registry.access.redhat.com/ubi9/ubi", "/var/cache/dnf"},
		{"dnf", "rockylinux:9", "/var/cache/dnf"},
		{"dnf", "fedora:40", "/var/cache/dnf"},
		{"dnf", "fedora:41", "/var/cache/libdnf5"},
		{"dnf", "registry.fedoraproject.org/fedora-minimal:42", "/var/cache/libdnf5"},
		{"yum", "centos:7", "/var/cache/yum"},
	} {
		if got := rpmCacheDir(tc.tool, tc.base, "/var/cache/yum"); got != tc.want {
			t.Errorf("rpmCacheDir(%s, %s) = %s, want %s", tc.tool, tc.base, got, tc.want)
		}
	}
}
