package rules

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/edit"
)

func TestBaseSwitchFamilyWarning(t *testing.T) {
	tests := []struct {
		name, base, src string
		// want is the warning expected ("" for none); the switch itself
		// is always expected.
		want string
	}{
		{
			name: "apt on alpine",
			base: "alpine:3.20",
			src:  "FROM debian:bookworm\nCOPY a /a\nRUN apt-get update && apt-get install -y curl\nENV X=1\nRUN echo hi\nWORKDIR /w\nRUN apt-get install -y jq\n",
			want: "1: WH701 base switched to alpine:3.20 (apk), but RUNs at lines 3, 7 use apt-get: port them before building",
		},
		{
			name: "apk on debian, one RUN",
			base: "debian:bookworm-slim",
			src:  "FROM alpine:3.19\nRUN apk add --no-cache curl\n",
			want: "1: WH701 base switched to debian:bookworm-slim (apt), but the RUN at line 2 uses apk: port it before building",
		},
		{
			name: "apt and dpkg on ubi-minimal",
			base: "registry.access.redhat.com/ubi9/ubi-minimal:9.4",
			src:  "FROM ubuntu:24.04\nRUN dpkg -i /x.deb\nRUN sudo apt install -y curl\n",
			want: "1: WH701 base switched to registry.access.redhat.com/ubi9/ubi-minimal:9.4 (dnf/yum), but RUNs at lines 2, 3 use apt, dpkg: port them before building",
		},
		{
			name: "apt on python alpine variant, base stage chain",
			base: "python:3.12-alpine",
			src:  "FROM golang:1.22 AS build\nRUN apt-get install -y git\nFROM python:3.12 AS py\nRUN apt-get install -y libpq5\nFROM py\nRUN pip install x\n",
			want: "3: WH701 base switched to python:3.12-alpine (apk), but the RUN at line 4 uses apt-get: port it before building",
		},
		{
			name: "dnf on scratch",
			base: "scratch",
			src:  "FROM fedora:40\nRUN dnf install -y curl\n",
			want: "1: WH701 base switched to scratch (no shell), but the RUN at line 2 uses dnf: port it before building",
		},
		{
			name: "same family apt",
			base: "ubuntu:24.04",
			src:  "FROM debian:bookworm\nRUN apt-get update && apt-get install -y curl\n",
		},
		{
			name: "same family apk",
			base: "alpine:3.20",
			src:  "FROM node:20-alpine3.19\nRUN apk add --no-cache git\n",
		},
		{
			name: "same family rpm",
			base: "rockylinux:9",
			src:  "FROM fedora:40\nRUN dnf install -y curl && microdnf clean all\n",
		},
		{
			name: "unknown new base says nothing",
			base: "example.com/team/base:1",
			src:  "FROM debian:bookworm\nRUN apt-get install -y curl\n",
		},
		{
			name: "no package manager in RUNs",
			base: "alpine:3.20",
			src:  "FROM debian:bookworm\nRUN echo hi > /x\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := dockerfile.Parse("Dockerfile", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			found, err := Lint(context.Background(), f, WithRules("WH701"), WithBaseImage(tt.base))
			if err != nil {
				t.Fatal(err)
			}
			if len(found) != 1 || found[0].Repair == nil {
				t.Fatalf("want one WH701 finding with a repair, got %+v", found)
			}
			r := found[0].Repair
			if r.Applicability != Unsafe || len(r.Edits) != 1 || r.Edits[0].Text != tt.base {
				t.Errorf("repair %+v: want one unsafe edit writing %s", r, tt.base)
			}
			// The reason names the RUNs to port, as "REF (FAMILY), but ...".
			_, want, _ := strings.Cut(tt.want, "base switched to ")
			switch {
			case want == "" && strings.Contains(r.Reason, "port"):
				t.Errorf("unexpected warning in %q", r.Reason)
			case want != "" && !strings.Contains(r.Reason, want):
				t.Errorf("reason %q does not say %q", r.Reason, want)
			}
			if line, _, _ := strings.Cut(tt.want, ":"); tt.want != "" && line != fmt.Sprint(found[0].Line) {
				t.Errorf("finding at line %d, want %s", found[0].Line, line)
			}
			// Once switched, the base is in place: no repair.
			out, err := edit.Apply(f.Src, r.ByteEdits()...)
			if err != nil {
				t.Fatal(err)
			}
			g, err := dockerfile.Parse("Dockerfile", out)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Lint(context.Background(), g, WithRules("WH701"), WithBaseImage(tt.base))
			if err != nil {
				t.Fatal(err)
			}
			for _, fd := range again {
				if fd.Repair != nil {
					t.Errorf("second run offers %+v", fd.Repair)
				}
			}
		})
	}
}

func TestImageFamily(t *testing.T) {
	tests := []struct {
		ref  string
		want pkgFamily
	}{
		{"alpine", famApk},
		{"alpine:3.20", famApk},
		{"docker.io/library/alpine:3.20@sha256:abc", famApk},
		{"node:20-alpine3.19", famApk},
		{"cgr.dev/chainguard/wolfi-base", famApk},
		{"debian:bookworm-slim", famApt},
		{"ubuntu", famApt},
		{"python:3.12-slim-bookworm", famApt},
		{"ruby:3-jammy", famApt},
		{"localhost:5000/debian", famApt},
		{"registry.access.redhat.com/ubi9/ubi-minimal", famRPM},
		{"fedora:40", famRPM},
		{"amazonlinux:2023", famRPM},
		{"scratch", famNone},
		{"gcr.io/distroless/static-debian12", famNone},
		{"python:3.12", famUnknown},
		{"localhost:5000/app", famUnknown},
		{"example.com/team/base:1", famUnknown},
	}
	for _, tt := range tests {
		if got := imageFamily(tt.ref); got != tt.want {
			t.Errorf("imageFamily(%q) = %q, want %q", tt.ref, got, tt.want)
		}
	}
}

// yum is dnf since RHEL 8 and in Fedora; it keeps its cache where dnf
// does there, and in /var/cache/yum elsewhere.
func TestYumIsDnf(t *testing.T) {
	for base, want := range map[string]bool{
		"registry.access.redhat.com/ubi8/ubi":       true,
		"registry.access.redhat.com/ubi9/ubi:9.4":   true,
		"registry.access.redhat.com/ubi9":           true,
		"redhat/ubi9-minimal":                       true,
		"registry.access.redhat.com/ubi10/ubi-init": true,
		"fedora:41":                           true,
		"docker.io/library/fedora":            true,
		"rockylinux:9":                        true,
		"rockylinux/rockylinux:8":             true,
		"almalinux:9-minimal":                 true,
		"quay.io/centos/centos:stream9":       true,
		"oraclelinux:8-slim":                  true,
		"amazonlinux:2023":                    true,
		"registry.access.redhat.com/ubi7/ubi": false,
		"centos:7":                            false,
		"centos":                              false,
		"amazonlinux:2":                       false,
		"oraclelinux:7-slim":                  false,
		"mycorp/base:1":                       false,
		"${BASE}":                             false,
		"":                                    false,
		"example.com/ubiquity:1":              false,
		"fedora@sha256:" + sha256hex:          true,
		"registry.access.redhat.com/ubi8/ubi@sha256:0": true,
	} {
		if got := yumIsDnf(base); got != want {
			t.Errorf("yumIsDnf(%q) = %v, want %v", base, got, want)
		}
	}
}
