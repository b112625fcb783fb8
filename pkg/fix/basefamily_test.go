package fix

import (
	"fmt"
	"strings"
	"testing"
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
			res, err := Fix([]byte(tt.src), WithRules("WH701"), WithBaseImage(tt.base))
			if err != nil {
				t.Fatal(err)
			}
			var switched bool
			var warns []string
			for _, c := range res.Changes {
				line := fmt.Sprintf("%d: %s %s", c.Line, c.Rule, c.Message)
				if strings.HasPrefix(c.Message, "switched the base image to "+tt.base) {
					switched = true
					continue
				}
				warns = append(warns, line)
			}
			if !switched {
				t.Errorf("no switch to %s in %v", tt.base, res.Changes)
			}
			if !strings.Contains(string(res.Output), "FROM "+tt.base) {
				t.Errorf("output does not use %s:\n%s", tt.base, res.Output)
			}
			switch {
			case tt.want == "" && len(warns) > 0:
				t.Errorf("unexpected warning %q", warns)
			case tt.want != "" && (len(warns) != 1 || warns[0] != tt.want):
				t.Errorf("warnings = %q, want [%q]", warns, tt.want)
			}
			// A second run finds the base in place: no switch, no warning.
			again, err := Fix(res.Output, WithRules("WH701"), WithBaseImage(tt.base))
			if err != nil {
				t.Fatal(err)
			}
			if again.Changed() {
				t.Errorf("second run changed %v", again.Changes)
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
