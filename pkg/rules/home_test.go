package rules

import (
	"github.com/whittle/whittle/pkg/dockerfile"
	"strings"
	"testing"
)

// The cache advice names the home of the RUN's user: /root for root, the
// home an earlier RUN gives another USER, else $HOME in words.
func TestCacheAdviceHome(t *testing.T) {
	for _, tc := range []struct {
		rule, src string
		want      string // in the finding's Fix
		not       string // nowhere in Fix or Message
	}{
		{"WH501", "FROM python:3.12\nRUN pip install flask\n", "mount a cache on /root/.cache/pip", "$HOME"},
		{"WH501", "RUN pip install flask\n", "mount a cache on /root/.cache/pip", "$HOME"}, // no FROM: no scope
		{"WH501", "FROM python:3.12\nUSER app\nRUN pip install flask\n", "mount a cache on $HOME/.cache/pip (the home directory of user app, which the Dockerfile does not show)", "/root"},
		{"WH501", "FROM python:3.12\nRUN useradd -m app\nUSER app\nRUN pip install flask\n", "mount a cache on /home/app/.cache/pip", "/root"},
		{"WH501", "FROM python:3.12\nRUN useradd -r -d /srv/app app\nUSER app:app\nRUN pip install flask\n", "mount a cache on /srv/app/.cache/pip", "/root"},
		{"WH501", "FROM python:3.12\nRUN useradd app\nUSER app\nRUN pip install flask\n", "$HOME/.cache/pip (the home directory of user app", "/root"},
		{"WH501", "FROM python:3.12\nRUN useradd -m -u 10001 app\nUSER 10001\nRUN pip install flask\n", "mount a cache on /home/app/.cache/pip", "/root"},
		{"WH501", "FROM python:3.12\nUSER 10001\nRUN pip install flask\n", "$HOME/.cache/pip (the home directory of user 10001", "/root"},
		{"WH501", "FROM python:3.12\nRUN useradd -m app\nUSER app\nRUN pip install --cache-dir=/root/pc flask\n", "mount a cache on /root/pc", "$HOME"},
		{"WH501", "FROM python:3.12\nUSER app\nENV HOME=/srv/app\nRUN pip install flask\n", "mount a cache on /srv/app/.cache/pip", "/root"},
		{"WH501", "FROM python:3.12\nUSER root\nRUN pip install flask\n", "mount a cache on /root/.cache/pip", "$HOME"},
		{"WH501", "FROM python:3.12 AS base\nRUN adduser --disabled-password --gecos '' app\nFROM base\nUSER app\nRUN pip install flask\n", "mount a cache on /home/app/.cache/pip", "/root"},
		{"WH502", "FROM node:20-alpine\nRUN adduser -D web\nUSER web\nRUN npm ci\n", "mount a cache on /home/web/.npm", "/root"},
		{"WH502", "FROM node:20\nUSER web\nRUN npm ci\n", "mount a cache on $HOME/.npm (the home directory of user web", "/root"},
		{"WH505", "FROM golang:1.22\nRUN useradd -u 1001 --home-dir=/opt/svc svc\nUSER 1001\nRUN go build ./...\n", "RUN --mount=type=cache,target=/opt/svc/.cache/go-build", "/root"},
		{"WH505", "FROM golang:1.22\nUSER svc\nRUN go build ./...\n", "a cache mount on $HOME/.cache/go-build (the home directory of user svc", "/root"},
		{"WH505", "FROM golang:1.22\nRUN go build ./...\n", "RUN --mount=type=cache,target=/root/.cache/go-build", "$HOME"},
		{"WH507", "FROM debian:12\nRUN useradd -m dev\nUSER dev\nRUN go mod download\n", "RUN --mount=type=cache,target=/home/dev/go/pkg/mod", "/root"},
		{"WH507", "FROM debian:12\nUSER dev\nRUN go mod download\n", "a cache mount on $HOME/go/pkg/mod (the home directory of user dev", "/root"},
		{"WH506", "FROM debian:12\nRUN adduser --system rs\nUSER rs\nRUN cargo build --release\n", "`rm -rf ~/.cargo/registry ~/.cargo/git` as that user, or mount a cache on $HOME/.cargo/registry (the home directory of user rs", "/root"},
		{"WH506", "FROM debian:12\nRUN adduser --system --home /var/lib/rs rs\nUSER rs\nRUN cargo build --release\n", "`rm -rf /var/lib/rs/.cargo/registry /var/lib/rs/.cargo/git`, or mount a cache on /var/lib/rs/.cargo/registry", "/root"},
		{"WH508", "FROM php:8.3-cli\nRUN useradd -m web\nUSER web\nRUN composer install\n", "mount a cache on /home/web/.composer/cache", "/root"},
		{"WH503", "FROM node:20\nRUN yarn install\n", "mount a cache on /usr/local/share/.cache/yarn", "$HOME"},
		{"WH503", "FROM node:20\nENV HOME=/home/node\nRUN yarn install\n", "mount a cache on /usr/local/share/.cache/yarn", "/home/node"},
		{"WH503", "FROM node:20\nUSER node\nRUN yarn install\n", "mount a cache on /home/node/.cache/yarn", "$HOME"},
		// The users well-known base images make, with their homes.
		{"WH502", "FROM node:20\nUSER node\nRUN npm ci\n", "mount a cache on /home/node/.npm", "$HOME"},
		{"WH502", "FROM docker.io/library/node:20-bookworm-slim@sha256:" + strings.Repeat("a", 64) + "\nUSER node\nRUN npm ci\n", "mount a cache on /home/node/.npm", "$HOME"},
		{"WH502", "FROM node:20\nUSER 1000\nRUN npm ci\n", "mount a cache on /home/node/.npm", "$HOME"},
		{"WH502", "FROM node:20\nUSER node:node\nRUN npm ci\n", "mount a cache on /home/node/.npm", "$HOME"},
		{"WH502", "FROM node:20\nUSER root\nRUN npm ci\n", "mount a cache on /root/.npm", "$HOME"},
		{"WH502", "FROM node:20 AS base\nFROM base AS app\nUSER node\nRUN npm ci\n", "mount a cache on /home/node/.npm", "$HOME"},
		{"WH502", "FROM debian:12\nUSER node\nRUN npm ci\n", "mount a cache on $HOME/.npm (the home directory of user node", "/home/node"},
		{"WH502", "FROM node:20\nUSER 1001\nRUN npm ci\n", "mount a cache on $HOME/.npm (the home directory of user 1001", "/home/node"},
		{"WH502", "FROM mynode:20\nUSER node\nRUN npm ci\n", "mount a cache on $HOME/.npm (the home directory of user node", "/home/node"},
		{"WH502", "FROM node:20\nRUN useradd -m -d /srv/node node2 && useradd -d /opt/n node\nUSER node\nRUN npm ci\n", "mount a cache on /opt/n/.npm", "/home/node"},
		{"WH501", "FROM jupyter/scipy-notebook:latest\nUSER jovyan\nRUN pip install flask\n", "mount a cache on /home/jovyan/.cache/pip", "$HOME"},
		{"WH501", "FROM quay.io/jupyter/base-notebook\nUSER 1000\nRUN pip install flask\n", "mount a cache on /home/jovyan/.cache/pip", "$HOME"},
		{"WH501", "FROM jenkins/jenkins:lts-jdk17\nUSER jenkins\nRUN pip install flask\n", "mount a cache on /var/jenkins_home/.cache/pip", "$HOME"},
		{"WH501", "FROM cimg/python:3.12\nUSER circleci\nRUN pip install flask\n", "mount a cache on /home/circleci/.cache/pip", "$HOME"},
		{"WH501", "FROM cimg/python:3.12\nUSER 3434\nRUN pip install flask\n", "mount a cache on /home/circleci/.cache/pip", "$HOME"},
		{"WH501", "FROM selenium/standalone-chrome:latest\nUSER seluser\nRUN pip install flask\n", "mount a cache on /home/seluser/.cache/pip", "$HOME"},
		{"WH501", "FROM postgres:16\nUSER postgres\nRUN pip install flask\n", "mount a cache on /var/lib/postgresql/.cache/pip", "$HOME"},
		{"WH501", "FROM postgres:16-alpine\nUSER 70\nRUN pip install flask\n", "mount a cache on /var/lib/postgresql/.cache/pip", "$HOME"},
		{"WH501", "FROM postgres:16\nUSER 70\nRUN pip install flask\n", "(the home directory of user 70", "/var/lib"},
		{"WH505", "FROM gradle:8-jdk21\nUSER gradle\nRUN go build ./...\n", "target=/home/gradle/.cache/go-build", "$HOME"},
		{"WH505", "FROM gradle:8-jdk21\nUSER 1000\nRUN go build ./...\n", "(the home directory of user 1000", "/home/gradle"},
		{"WH503", "FROM node:20\nUSER node\nENV HOME=/home/node\nRUN yarn install\n", "mount a cache on /home/node/.cache/yarn", "/usr/local/share"},
		{"WH503", "FROM node:20\nRUN adduser -D web\nUSER web\nRUN yarn install\n", "mount a cache on /home/web/.cache/yarn", "/usr/local/share"},
		{"WH503", "FROM node:20\nENV XDG_CACHE_HOME=/xc\nRUN yarn install\n", "mount a cache on /xc/yarn", "/usr/local/share"},
	} {
		got := findingOf(t, tc.src, tc.rule)
		if got == nil {
			t.Errorf("%s: not reported in %q", tc.rule, tc.src)
			continue
		}
		if !strings.Contains(got.Fix, tc.want) {
			t.Errorf("%s in %q:\nfix %q\nwant %q in it", tc.rule, tc.src, got.Fix, tc.want)
		}
		if tc.not != "" && (strings.Contains(got.Fix, tc.not) || strings.Contains(got.Message, tc.not)) {
			t.Errorf("%s in %q: %q in %q / %q", tc.rule, tc.src, tc.not, got.Message, got.Fix)
		}
		if got.Repair != nil && strings.Contains(got.Repair.Message+got.Repair.Reason, tc.not) && tc.not == "/root" {
			t.Errorf("%s in %q: repair %q / %q names /root", tc.rule, tc.src, got.Repair.Message, got.Repair.Reason)
		}
	}
}

func TestUserMade(t *testing.T) {
	for _, tc := range []struct {
		script          string
		login, uid, dir string
		ok              bool
	}{
		{"useradd -m app", "app", "", "/home/app", true},
		{"useradd -rm app", "app", "", "/home/app", true},
		{"useradd -m -b /srv app", "app", "", "/srv/app", true},
		{"useradd -d /opt/app -u 900 app", "app", "900", "/opt/app", true},
		{"useradd --home-dir=/opt/app app", "app", "", "/opt/app", true},
		{"useradd -md/x app", "app", "", "/x", true},
		{"useradd app", "app", "", "", true},
		{"useradd -m -M app", "app", "", "", true},
		{"useradd -D -b /srv", "", "", "", false},
		{"adduser app", "app", "", "/home/app", true},
		{"adduser -D -u 1000 app", "app", "1000", "/home/app", true},
		{"adduser -h /data app", "app", "", "/data", true},
		{"adduser --system app", "app", "", "", true},
		{"adduser -S -H app", "app", "", "", true},
		{"adduser app docker", "", "", "", false},
		{"useradd -m \"$U\"", "", "", "", false},
		{"groupadd app", "", "", "", false},
	} {
		fs := runFactsOf(t, tc.script)
		if len(fs) == 0 {
			t.Fatalf("%q: no command", tc.script)
		}
		login, uid, dir, ok := userMade(fs[0])
		if login != tc.login || uid != tc.uid || dir != tc.dir || ok != tc.ok {
			t.Errorf("userMade(%q) = %q %q %q %v, want %q %q %q %v", tc.script, login, uid, dir, ok, tc.login, tc.uid, tc.dir, tc.ok)
		}
	}
}

// runFactsOf returns the commands of `RUN script`.
func runFactsOf(t *testing.T, script string) []command {
	t.Helper()
	f, err := dockerfile.Parse("Dockerfile", []byte("FROM debian\nRUN "+script+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	return commandsOf(runFacts(f.Instructions[1]))
}
