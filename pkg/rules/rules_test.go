package rules

import (
	"context"
	"strings"
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// ruleCase is one realistic snippet and whether the rule must fire on it.
// line, when not zero, is the line the finding must be on.
type ruleCase struct {
	rule string
	name string
	src  string
	want bool
	line int
}

var ruleCases = []ruleCase{
	// WH000
	{"WH000", "unterminated quote", "FROM alpine\nRUN echo 'oops\n", true, 2},
	{"WH000", "valid shell", "FROM alpine\nRUN echo ok && true\n", false, 0},

	// WH104
	{"WH104", "non-shell interpreter: commands unknown", "FROM mcr.microsoft.com/powershell\nSHELL [\"pwsh\", \"-Command\"]\nRUN Expand-Archive nodejs.zip -DestinationPath C:/\nRUN Remove-Item nodejs.zip\n", false, 0},
	{"WH104", "two single RUNs", "FROM debian\nRUN mkdir /app\nRUN touch /app/x\n", true, 3},
	{"WH104", "comment between", "FROM debian\nRUN mkdir /app\n# then\nRUN touch /app/x\n", true, 4},
	{"WH104", "chained RUN before", "FROM debian\nRUN mkdir /app && cd /app\nRUN touch /app/x\n", false, 0},
	{"WH104", "other instruction between", "FROM debian\nRUN mkdir /app\nWORKDIR /app\nRUN touch x\n", false, 0},
	{"WH104", "different mounts", "FROM debian\nRUN --mount=type=secret,id=a cat /run/secrets/a\nRUN touch x\n", false, 0},

	// WH105
	{"WH105", "copy then untar", "FROM debian\nCOPY app.tar.gz /tmp/\nRUN tar -xzf /tmp/app.tar.gz -C /opt\n", true, 2},
	{"WH105", "copy then unzip in workdir", "FROM debian\nCOPY dist.zip /src/dist.zip\nWORKDIR /src\nRUN unzip dist.zip\n", true, 2},
	{"WH105", "copied archive not extracted", "FROM debian\nCOPY app.tar.gz /srv/\nRUN ls /srv\n", false, 0},
	{"WH105", "extracted in another stage", "FROM debian AS a\nCOPY app.tar /x/\nFROM debian\nRUN tar -xf /x/app.tar\n", false, 0},
	{"WH105", "from another stage", "FROM debian\nCOPY --from=build /out/app.tar /x/\nRUN tar -xf /x/app.tar\n", false, 0},

	// WH106
	{"WH106", "whole fs", "FROM debian\nCOPY --from=build / /\n", true, 2},
	{"WH106", "one directory", "FROM debian\nCOPY --from=build /app /app\n", false, 0},
	{"WH106", "root without from", "FROM debian\nCOPY / /\n", false, 0},

	// WH201
	{"WH201", "no cleanup", "FROM debian\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n", true, 2},
	{"WH201", "cleaned", "FROM debian\nRUN apt-get update && apt-get install -y --no-install-recommends curl \\\n && rm -rf /var/lib/apt/lists/*\n", false, 0},
	{"WH201", "rm -rf elsewhere is no cleanup", "FROM debian\nRUN apt-get update && apt-get install -y curl && rm -rf /tmp/build\n", true, 2},
	{"WH201", "cleaned in a later RUN", "FROM debian\nRUN apt-get update && apt-get install -y curl\nRUN rm -rf /var/lib/apt/lists/*\n", true, 2},
	{"WH201", "cache mount", "FROM debian\nRUN --mount=type=cache,target=/var/lib/apt/lists apt-get update && apt-get install -y curl\n", false, 0},
	{"WH201", "builder stage only", "FROM debian AS build\nRUN apt-get update && apt-get install -y gcc\nFROM scratch\nCOPY --from=build /bin/true /true\n", false, 0},
	{"WH201", "inside sh -c", "FROM debian\nRUN sh -c 'apt-get update && apt-get install -y curl'\n", true, 2},

	// WH107
	{"WH107", "build-base kept for pip", "FROM alpine\nRUN apk add --no-cache build-base python3-dev py3-pip\nRUN pip install numpy\n", true, 2},
	{"WH107", "build-essential kept for make", "FROM debian\nRUN apt-get update && apt-get install -y --no-install-recommends build-essential && rm -rf /var/lib/apt/lists/*\nRUN make -C /src install\n", true, 2},
	{"WH107", "a toolchain image: nothing builds after", "FROM debian\nRUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev make && rm -rf /var/lib/apt/lists/*\n", false, 0},
	{"WH107", "virtual group removed", "FROM alpine\nRUN apk add --no-cache --virtual .build-deps build-base python3-dev && pip install numpy && apk del .build-deps\n", false, 0},
	{"WH107", "purged with auto-remove", "FROM debian\nRUN apt-get update && apt-get install -y gcc libc6-dev && make && apt-mark auto '.*' && apt-get purge -y --auto-remove gcc\n", false, 0},
	{"WH107", "builder stage", "FROM debian AS build\nRUN apt-get update && apt-get install -y build-essential\nFROM debian\nCOPY --from=build /out /out\n", false, 0},
	{"WH107", "removed in a later RUN (WH101's)", "FROM alpine\nRUN apk add gcc\nRUN apk del gcc\n", false, 0},
	{"WH107", "git kept for pip's git dependencies", "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*\nRUN pip install --no-cache-dir git+https://github.com/x/y\n", true, 2},
	{"WH107", "git installed, used and purged in one RUN", "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends git && pip install --no-cache-dir git+https://github.com/x/y && apt-get purge -y --auto-remove git && rm -rf /var/lib/apt/lists/*\n", false, 0},
	{"WH107", "git with nothing built after it", "FROM debian\nRUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*\nCMD [\"bash\"]\n", false, 0},
	{"WH107", "runtime packages only", "FROM debian\nRUN apt-get update && apt-get install -y --no-install-recommends libpq5 curl && rm -rf /var/lib/apt/lists/*\n", false, 0},

	// WH606
	{"WH606", "configure, make, make install", "FROM debian\nRUN wget https://e/redis-7.2.tar.gz && tar -xzf redis-7.2.tar.gz && rm redis-7.2.tar.gz && cd redis-7.2 && ./configure && make && make install\n", true, 2},
	{"WH606", "git clone, make, make install", "FROM debian\nRUN git clone https://e/tool.git /usr/src/tool && cd /usr/src/tool && make && make install\n", true, 2},
	{"WH606", "extracted into /usr/src", "FROM debian\nRUN tar -xzf /tmp/tool-1.0.tar.gz -C /usr/src && cd /usr/src/tool-1.0 && make && make install\n", true, 2},
	{"WH606", "tree removed", "FROM debian\nRUN git clone https://e/tool.git /usr/src/tool && cd /usr/src/tool && make && make install && cd / && rm -rf /usr/src/tool\n", false, 0},
	{"WH606", "no install: the tree is the app", "FROM debian\nRUN git clone https://e/app.git /app && cd /app && make\nCMD [\"/app/bin/app\"]\n", false, 0},
	{"WH606", "editable install", "FROM python\nRUN git clone https://e/lib.git /src/lib && cd /src/lib && python setup.py build && pip install -e .\n", false, 0},
	{"WH606", "named later", "FROM debian\nRUN git clone https://e/tool.git /usr/src/tool && cd /usr/src/tool && make && make install\nWORKDIR /usr/src/tool\n", false, 0},
	{"WH607", "full clone kept as the app", "FROM node:20-slim\nRUN git clone https://github.com/x/app.git /app && cd /app && npm ci\n", true, 2},
	{"WH607", "shallow clone, .git removed in the RUN", "FROM node:20-slim\nRUN git clone --depth 1 https://github.com/x/app.git /app && rm -rf /app/.git && cd /app && npm ci\n", false, 0},
	{"WH607", "clone into the working directory", "FROM python:3.12-slim\nWORKDIR /opt\nRUN git clone https://github.com/x/tool && pip install --no-cache-dir -e tool\n", true, 3},
	{"WH607", "a later RUN pulls in the checkout", "FROM debian\nRUN git clone https://e/up.git /up\nRUN cd /up && git pull\n", false, 0},
	{"WH607", "a later RUN runs git -C on it", "FROM debian\nRUN git clone https://e/up.git /up\nRUN git -C /up log -1 > /version\n", false, 0},
	{"WH607", "a later RUN removes the .git (WH101)", "FROM debian\nRUN git clone https://e/up.git /up\nRUN rm -rf /up/.git*\n", false, 0},
	{"WH607", "a later RUN removes the checkout (WH101)", "FROM debian\nRUN git clone https://e/up.git /up\nRUN rm -rf /up\n", false, 0},
	{"WH607", "the clone is removed in its RUN", "FROM debian\nRUN git clone https://e/up.git /tmp/up && make -C /tmp/up && rm -rf /tmp/up\n", false, 0},
	{"WH607", "a bare clone", "FROM debian\nRUN git clone --bare https://e/up.git /srv/up.git\n", false, 0},
	{"WH607", "built, installed and kept: WH606 reports it", "FROM debian\nRUN git clone https://e/tool.git /usr/src/tool && cd /usr/src/tool && make && make install\n", false, 0},
	{"WH607", "a cache mount on the checkout", "FROM debian\nRUN --mount=type=cache,target=/src git clone https://e/up.git /src/up\n", false, 0},
	{"WH607", "a clone whose directory is a variable", "FROM debian\nRUN git clone https://e/up.git \"$DIR\"\n", false, 0},
	{"WH607", "a builder stage that does not ship (info only)", "FROM debian AS src\nRUN git clone https://e/up.git /up\nFROM debian\nCOPY --from=src /up/bin /bin\n", false, 0},

	// WH602 with tar's old-style bundle, f not last
	{"WH602", "tar xvfz", "FROM debian\nRUN wget https://e/app.tgz && tar xvfz app.tgz -C /opt\n", true, 2},
	{"WH602", "tar xvfz, removed", "FROM debian\nRUN wget https://e/app.tgz && tar xvfz app.tgz -C /opt && rm app.tgz\n", false, 0},

	// WH602 and bash's brace expansion
	{"WH602", "bash removes both with braces", "FROM debian\nSHELL [\"/bin/bash\", \"-c\"]\nRUN curl -fsSLO https://e/x.tar.gz{,.sha256} && sha256sum -c x.tar.gz.sha256 && tar -xzf x.tar.gz -C /opt && rm -f x.tar.gz{,.sha256}\n", false, 0},
	{"WH602", "sh does not expand braces", "FROM debian\nRUN curl -fsSLo /x.tar.gz https://e/x.tar.gz && tar -xzf /x.tar.gz -C /opt && rm -f /x.tar.gz{,.sha256}\n", true, 2},

	// WH202
	{"WH202", "recommends", "FROM debian\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n", true, 2},
	{"WH202", "apt too", "FROM ubuntu\nRUN apt update && apt install -y curl && rm -rf /var/lib/apt/lists/*\n", true, 2},
	{"WH202", "no recommends", "FROM debian\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n", false, 0},
	{"WH202", "names no package", "FROM debian\nRUN apt-get update && apt-get install -y && rm -rf /var/lib/apt/lists/*\n", false, 0},
	{"WH202", "fixes broken packages", "FROM debian\nRUN dpkg -i /x.deb || apt-get install -y -f\n", true, 2},
	{"WH202", "option form", "FROM debian\nRUN apt-get -o APT::Install-Recommends=false install -y curl\n", false, 0},
	{"WH202", "configured earlier", "FROM debian\nRUN echo 'APT::Install-Recommends \"false\";' > /etc/apt/apt.conf.d/01norec\nRUN apt-get install -y curl\n", false, 0},

	// WH203
	{"WH203", "vendor base keeps debs", "FROM registry.example.com/base/debian-bootstrap:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n", true, 2},
	{"WH203", "official debian auto-cleans", "FROM debian:bookworm\nRUN apt-get update && apt-get install -y curl\n", false, 0},
	{"WH203", "vendor base with clean", "FROM example.com/base:1\nRUN apt-get update && apt-get install -y curl && apt-get clean && rm -rf /var/lib/apt/lists/*\n", false, 0},
	{"WH203", "docker-clean removed", "FROM debian:12\nRUN rm -f /etc/apt/apt.conf.d/docker-clean\nRUN apt-get update && apt-get install -y curl\n", true, 3},
	{"WH203", "archives cache mount", "FROM example.com/base:1\nRUN --mount=type=cache,target=/var/cache/apt apt-get update && apt-get install -y curl\n", false, 0},

	// WH204
	{"WH204", "lone update", "FROM debian\nRUN apt-get update\nRUN apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n", true, 2},
	{"WH204", "update with install", "FROM debian\nRUN apt-get update && apt-get install -y curl\n", false, 0},

	// WH205
	{"WH205", "remove what the RUN installed", "FROM debian\nRUN apt-get update && apt-get install -y gcc && make && apt-get remove -y gcc\n", true, 2},
	{"WH205", "purge what the RUN installed", "FROM debian\nRUN apt-get install -y gcc libc6-dev && make && apt-get purge -y gcc\n", true, 2},
	{"WH205", "with --auto-remove", "FROM debian\nRUN apt-get install -y gcc && make && apt-get purge -y --auto-remove gcc\n", false, 0},
	{"WH205", "autoremove after", "FROM debian\nRUN apt-get install -y gcc && make && apt-get remove -y gcc && apt-get autoremove -y\n", false, 0},
	{"WH205", "removes what an earlier RUN installed", "FROM debian\nRUN apt-get install -y gcc\nRUN apt-get remove -y gcc\n", false, 0},
	{"WH205", "aptitude removes unused dependencies itself", "FROM debian\nRUN aptitude install -y gcc && make && aptitude remove -y gcc\n", false, 0},
	{"WH205", "removes a package of the base", "FROM debian\nRUN apt-get remove -y --purge exim4\n", false, 0},

	// WH301
	{"WH301", "apk add", "FROM alpine\nRUN apk add curl\n", true, 2},
	{"WH301", "no-cache", "FROM alpine\nRUN apk add --no-cache curl\n", false, 0},
	{"WH301", "virtual no-cache", "FROM alpine\nRUN apk add --no-cache --virtual .build-deps gcc && apk del .build-deps\n", false, 0},
	{"WH301", "update then rm cache", "FROM alpine\nRUN apk add --update curl && rm -rf /var/cache/apk/*\n", false, 0},
	{"WH301", "cache mount", "FROM alpine\nRUN --mount=type=cache,target=/var/cache/apk apk add curl\n", false, 0},

	{"WH505", "clean of another cache", "FROM golang\nRUN GOCACHE=/gocache go build ./... && go clean -cache\n", true, 2},

	{"WH502", "clean of the default cache, not the moved one", "FROM node\nRUN npm ci --cache /tmp/npmc && npm cache clean --force\n", true, 2},
	{"WH502", "moved cache cleaned", "FROM node\nRUN npm ci --cache /tmp/npmc && npm cache clean --force --cache /tmp/npmc\n", false, 0},
	{"WH503", "moved cache kept", "FROM node\nRUN yarn install --cache-folder /yc\n", true, 2},
	{"WH503", "moved cache removed", "FROM node\nRUN yarn install --cache-folder /yc && rm -rf /yc\n", false, 0},
	{"WH503", "XDG_CACHE_HOME cache kept", "FROM node\nENV XDG_CACHE_HOME=/xc\nRUN yarn install\n", true, 3},
	{"WH503", "XDG_CACHE_HOME cache removed", "FROM node\nENV XDG_CACHE_HOME=/xc\nRUN yarn install && rm -rf /xc/yarn\n", false, 0},
	{"WH503", "XDG_CACHE_HOME cache cleaned", "FROM node\nENV XDG_CACHE_HOME=/xc\nRUN yarn install && yarn cache clean\n", false, 0},
	{"WH503", "a moved HOME's cache removed, another user", "FROM node\nUSER node\nENV HOME=/app\nRUN yarn install && rm -rf /app/.cache/yarn\n", false, 0},
	{"WH503", "a moved HOME's cache mounted, another user", "FROM node\nUSER node\nENV HOME=/app\nRUN --mount=type=cache,target=/app/.cache/yarn yarn install\n", false, 0},
	{"WH503", "a moved HOME's cache kept, another user", "FROM node\nUSER node\nENV HOME=/app\nRUN yarn install\n", true, 4},

	// WH507
	{"WH507", "go mod download", "FROM golang\nWORKDIR /src\nCOPY go.mod go.sum ./\nRUN go mod download\n", true, 4},
	{"WH507", "go install with a version", "FROM golang:1.22\nRUN go install golang.org/x/tools/cmd/goimports@latest\n", true, 2},
	{"WH507", "cleaned", "FROM golang\nRUN go mod download && go build -o /app . && go clean -modcache\n", false, 0},
	{"WH507", "removed with GOPATH", "FROM golang\nENV GOPATH=/go\nRUN go mod download && go build -o /app . && rm -rf /go/pkg\n", false, 0},
	{"WH507", "cache mount", "FROM golang\nRUN --mount=type=cache,target=/root/go/pkg/mod go mod download\n", false, 0},
	{"WH507", "go build alone", "FROM golang\nRUN go build -o /app .\n", false, 0},

	// WH508
	{"WH508", "composer install", "FROM php:8.3-cli\nCOPY --from=composer:2 /usr/bin/composer /usr/bin/composer\nRUN composer install --no-dev --optimize-autoloader\n", true, 3},
	{"WH508", "composer global require", "FROM php:8.3-cli\nRUN composer global require laravel/installer\n", true, 2},
	{"WH508", "cleared", "FROM php:8.3-cli\nRUN composer install --no-dev && composer clear-cache\n", false, 0},
	{"WH508", "--no-cache", "FROM php:8.3-cli\nRUN composer install --no-cache --no-dev\n", false, 0},
	{"WH508", "COMPOSER_HOME cache removed", "FROM php:8.3-cli\nENV COMPOSER_HOME=/composer\nRUN composer install && rm -rf /composer/cache\n", false, 0},
	{"WH508", "composer dump-autoload", "FROM php:8.3-cli\nRUN composer dump-autoload --optimize\n", false, 0},

	// WH510
	{"WH510", "composer install in the final image", "FROM php:8.3-fpm\nRUN composer install --optimize-autoloader && composer clear-cache\n", true, 2},
	{"WH510", "--no-dev", "FROM php:8.3-fpm\nRUN composer install --no-dev && composer clear-cache\n", false, 0},
	{"WH510", "COMPOSER_NO_DEV", "FROM php:8.3-fpm\nENV COMPOSER_NO_DEV=1\nRUN composer install && composer clear-cache\n", false, 0},
	{"WH510", "composer require --dev in the final image", "FROM php:8.3-fpm\nRUN composer require --dev phpunit/phpunit && composer clear-cache\n", true, 2},
	{"WH510", "composer require without --update-no-dev", "FROM php:8.3-fpm\nRUN composer require monolog/monolog && composer clear-cache\n", true, 2},
	{"WH510", "composer require --update-no-dev", "FROM php:8.3-fpm\nRUN composer require --update-no-dev monolog/monolog && composer clear-cache\n", false, 0},
	{"WH510", "composer require with COMPOSER_NO_DEV", "FROM php:8.3-fpm\nRUN COMPOSER_NO_DEV=1 composer require monolog/monolog && composer clear-cache\n", false, 0},
	{"WH510", "composer global require", "FROM php:8.3-fpm\nRUN composer global require laravel/installer && composer clear-cache\n", false, 0},
	{"WH510", "composer require --dev in a test stage", "FROM php:8.3 AS test\nRUN composer require --dev phpunit/phpunit && vendor/bin/phpunit\nFROM php:8.3-fpm\nCOPY --from=test /app/src /app/src\n", false, 0},
	{"WH510", "a test stage", "FROM php:8.3 AS test\nRUN composer install && vendor/bin/phpunit\nFROM php:8.3-fpm\nCOPY --from=test /app /app\n", false, 0},

	// WH509
	{"WH509", "bundle install on the official image", "FROM ruby:3.3-slim\nCOPY Gemfile Gemfile.lock ./\nRUN bundle install\n", true, 3},
	{"WH509", "bundle install into vendor/bundle", "FROM ruby:3.3\nWORKDIR /app\nENV BUNDLE_PATH=vendor/bundle\nRUN bundle install\n", true, 4},
	{"WH509", "path from bundle config, vendor cache removed", "FROM rubylang/ruby:3.3\nWORKDIR /app\nRUN bundle config set --local path vendor/bundle\nRUN bundle install && rm -rf vendor/bundle/ruby/*/cache\n", false, 0},
	{"WH509", "path from bundle config, system cache removed instead", "FROM rubylang/ruby:3.3\nWORKDIR /app\nRUN bundle config set --local path vendor/bundle\nRUN bundle install && rm -rf /usr/local/lib/ruby/gems/*/cache\n", true, 4},
	{"WH509", "path from bundle config with a variable", "FROM rubylang/ruby:3.3\nWORKDIR /app\nRUN bundle config set path \"$BP\"\nRUN bundle install\n", false, 0},
	{"WH509", "cache removed", "FROM ruby:3.3-slim\nRUN bundle install && rm -rf /usr/local/bundle/cache\n", false, 0},
	{"WH509", "glob removes the archives", "FROM ruby:3.3-slim\nRUN bundle install && rm -rf /usr/local/bundle/cache/*\n", false, 0},
	{"WH509", "bundle --version", "FROM ruby:3.3-slim\nRUN ruby --version && bundle --version\n", false, 0},
	{"WH509", "bundle exec", "FROM ruby:3.3-slim\nRUN bundle exec rake assets:precompile\n", false, 0},

	// WH403 names the cache where the tool keeps it.
	{"WH403", "microdnf on ubi-minimal: /var/cache/yum", "FROM registry.access.redhat.com/ubi9/ubi-minimal\nRUN microdnf install -y tar\n", true, 2},

	// WH302
	{"WH302", "update then add --no-cache", "FROM alpine\nRUN apk update && apk add --no-cache curl\n", true, 2},
	{"WH302", "update alone", "FROM alpine\nRUN apk update\n", true, 2},
	{"WH302", "index removed after", "FROM alpine\nRUN apk update && apk add curl && rm -rf /var/cache/apk/*\n", false, 0},
	{"WH302", "add --no-cache only", "FROM alpine\nRUN apk add --no-cache curl\n", false, 0},
	{"WH302", "cache mount", "FROM alpine\nRUN --mount=type=cache,target=/var/cache/apk apk update && apk add curl\n", false, 0},

	// WH401
	{"WH401", "yum no clean", "FROM centos:7\nRUN yum install -y httpd\n", true, 2},
	{"WH401", "yum clean all", "FROM centos:7\nRUN yum install -y httpd && yum clean all\n", false, 0},
	{"WH401", "rm cache", "FROM centos:7\nRUN yum install -y httpd && rm -rf /var/cache/yum\n", false, 0},
	{"WH401", "clean before install", "FROM centos:7\nRUN yum clean all && yum install -y httpd\n", true, 2},

	// WH402
	{"WH402", "zypper no clean", "FROM opensuse/leap\nRUN zypper --non-interactive install -y curl\n", true, 2},
	{"WH402", "zypper clean", "FROM opensuse/leap\nRUN zypper install -y curl && zypper clean -a\n", false, 0},

	// WH403
	{"WH403", "dnf no clean", "FROM fedora\nRUN dnf install -y gcc\n", true, 2},
	{"WH403", "microdnf clean all", "FROM registry.access.redhat.com/ubi9-minimal\nRUN microdnf install -y tar && microdnf clean all\n", false, 0},
	{"WH403", "wrong tool cleans", "FROM fedora\nRUN dnf install -y gcc && microdnf clean all\n", true, 2},
	{"WH403", "rm dnf cache", "FROM fedora\nRUN dnf install -y gcc && rm -rf /var/cache/dnf\n", false, 0},

	// WH501
	{"WH501", "pip", "FROM python:3.12\nRUN pip install flask\n", true, 2},
	{"WH501", "python -m pip", "FROM python:3.12\nRUN python3 -m pip install flask\n", true, 2},
	{"WH501", "no-cache-dir", "FROM python:3.12\nRUN pip install --no-cache-dir flask\n", false, 0},
	{"WH501", "env", "FROM python:3.12\nENV PIP_NO_CACHE_DIR=1\nRUN pip install flask\n", false, 0},
	{"WH501", "env inherited from stage", "FROM python:3.12 AS base\nENV PIP_NO_CACHE_DIR=1\nFROM base\nRUN pip install flask\n", false, 0},
	{"WH501", "cache purge", "FROM python:3.12\nRUN pip install flask && pip cache purge\n", false, 0},
	{"WH501", "rm cache", "FROM python:3.12\nRUN pip install flask && rm -rf ~/.cache/pip\n", false, 0},
	{"WH501", "user cache removed", "FROM python:3.12\nUSER app\nRUN pip install --user flask && rm -rf /home/app/.cache\n", false, 0},
	{"WH501", "pipx", "FROM python:3.12\nRUN pipx install black\n", false, 0},
	{"WH501", "XDG_CACHE_HOME moves the cache, no purge", "FROM python:3.12\nENV XDG_CACHE_HOME=/cache\nRUN pip install flask\n", true, 3},
	{"WH501", "XDG_CACHE_HOME moves the cache, pip cache purge sees it", "FROM python:3.12\nENV XDG_CACHE_HOME=/cache\nRUN pip install flask && pip cache purge\n", false, 0},
	{"WH501", "PIP_CACHE_DIR for install and purge", "FROM python:3.12\nRUN PIP_CACHE_DIR=/pc pip install flask && PIP_CACHE_DIR=/pc pip cache purge\n", false, 0},
	{"WH501", "HOME moves the cache, removed by ~", "FROM python:3.12\nENV HOME=/app\nRUN pip install flask && rm -rf ~/.cache/pip\n", false, 0},
	{"WH501", "HOME moves the cache, $HOME/.cache removed", "FROM python:3.12\nENV HOME=/app\nRUN pip install flask && rm -rf $HOME/.cache\n", false, 0},
	{"WH501", "HOME moves the cache, the mount is on root's", "FROM python:3.12\nENV HOME=/app\nRUN --mount=type=cache,target=/root/.cache/pip pip install flask\n", true, 3},
	{"WH501", "HOME moves the cache, the mount follows it", "FROM python:3.12\nENV HOME=/app\nRUN --mount=type=cache,target=/app/.cache/pip pip install flask\n", false, 0},
	{"WH501", "the purge sees another cache", "FROM python:3.12\nRUN PIP_CACHE_DIR=/pc pip install flask && pip cache purge\n", true, 2},

	// WH502
	{"WH502", "npm install", "FROM node:20\nRUN npm install\n", true, 2},
	{"WH502", "npm ci cleaned", "FROM node:20\nRUN npm ci && npm cache clean --force\n", false, 0},
	{"WH502", "clean without force", "FROM node:20\nRUN npm install -g pm2 && npm cache clean\n", true, 2},
	{"WH502", "cache mount", "FROM node:20\nRUN --mount=type=cache,target=/root/.npm npm ci\n", false, 0},
	{"WH502", "cache of another user removed", "FROM node:20\nUSER node\nRUN npm ci && rm -rf /home/node/.npm\n", false, 0},
	{"WH502", "npm run", "FROM node:20\nRUN npm run build\n", false, 0},

	// WH503
	{"WH503", "yarn install", "FROM node:20\nRUN yarn install --frozen-lockfile\n", true, 2},
	{"WH503", "bare yarn", "FROM node:20\nRUN yarn\n", true, 2},
	{"WH503", "yarn cleaned", "FROM node:20\nRUN yarn install && yarn cache clean\n", false, 0},
	{"WH503", "yarn build", "FROM node:20\nRUN yarn build\n", false, 0},
	{"WH503", "yarn version", "FROM node:20\nRUN yarn --version\n", false, 0},

	// WH504
	{"WH504", "gem install", "FROM debian\nRUN gem install bundler\n", true, 2},
	{"WH504", "no-document", "FROM debian\nRUN gem install --no-document bundler\n", false, 0},
	{"WH504", "official ruby has gemrc", "FROM ruby:3.3\nRUN gem install bundler\n", false, 0},
	{"WH504", "gemrc written", "FROM debian\nRUN echo 'gem: --no-document' > /etc/gemrc && gem install rails\n", false, 0},

	// WH505
	{"WH505", "go build in final stage", "FROM golang:1.22\nRUN go build -o /app .\n", true, 2},
	{"WH505", "cache mount", "FROM golang:1.22\nRUN --mount=type=cache,target=/root/.cache/go-build go build -o /app .\n", false, 0},
	{"WH505", "go clean", "FROM golang:1.22\nRUN go build -o /app . && go clean -cache\n", false, 0},
	{"WH505", "builder stage", "FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\n", false, 0},
	{"WH505", "GOCACHE exported and removed", "FROM golang:1.22\nRUN export GOCACHE=/build/cache && go build -o /app . && rm -rf /build/cache\n", false, 0},
	{"WH505", "GOCACHE exported, kept", "FROM golang:1.22\nRUN export GOCACHE=/build/cache && go build -o /app .\n", true, 2},
	{"WH505", "GOCACHE prefix in /tmp", "FROM golang:1.22\nRUN GOCACHE=/tmp/gocache go build -o /app .\n", false, 0},
	{"WH505", "GOCACHE from ENV, cleaned", "FROM golang:1.22\nENV GOCACHE=/cache\nRUN go build -o /app . && rm -rf /cache\n", false, 0},
	{"WH601", "cd into mktemp dir, archive removed with the dir", "FROM debian\nRUN d=\"$(mktemp -d)\" && cd \"$d\" && curl -fsSLO https://example.com/x-1.0.tar.gz && tar -xzf x-1.0.tar.gz -C /opt && cd / && rm -rf \"$d\"\n", false, 0},
	{"WH602", "ENV directory removed", "FROM debian\nENV SRC=/usr/src/x\nRUN mkdir -p $SRC && cd $SRC && curl -fsSLO https://example.com/x-1.0.tar.gz && tar -xzf x-1.0.tar.gz && make install && rm -rf /usr/src/x\n", false, 0},
	{"WH602", "relative name after cd to an unknown dir", "FROM debian\nRUN cd \"$(mktemp -d)\" && curl -fsSLO https://example.com/x-1.0.tar.gz && tar -xzf x-1.0.tar.gz\n", true, 2},

	// WH506
	{"WH506", "cargo install", "FROM rust:1\nRUN cargo install ripgrep\n", true, 2},
	{"WH506", "registry removed", "FROM rust:1\nRUN cargo install ripgrep && rm -rf /usr/local/cargo/registry\n", false, 0},
	{"WH506", "registry mount", "FROM rust:1\nRUN --mount=type=cache,target=/usr/local/cargo/registry cargo build --release\n", false, 0},

	// WH601
	{"WH601", "download to tmp left", "FROM debian\nRUN curl -fsSLo /tmp/install.sh https://example.com/install.sh && sh /tmp/install.sh\n", true, 2},
	{"WH601", "removed", "FROM debian\nRUN curl -fsSLo /tmp/install.sh https://example.com/install.sh && sh /tmp/install.sh && rm /tmp/install.sh\n", false, 0},
	{"WH601", "tmp wiped", "FROM debian\nRUN wget -P /tmp https://example.com/a.sh && sh /tmp/a.sh && rm -rf /tmp/*\n", false, 0},
	{"WH601", "moved away", "FROM debian\nRUN curl -o /tmp/tool https://example.com/tool && mv /tmp/tool /usr/local/bin/tool\n", false, 0},
	{"WH601", "second of two downloads left", "FROM debian\nRUN wget -P /tmp https://example.com/a.sh https://example.com/b.sh && sh /tmp/a.sh && rm /tmp/a.sh\n", true, 2},
	{"WH601", "both curl -O downloads removed", "FROM debian\nRUN cd /tmp && curl -O https://example.com/a.sh -O https://example.com/b.sh && sh a.sh && rm a.sh b.sh\n", false, 0},
	{"WH601", "empty dir made", "FROM debian\nRUN mkdir -p /tmp/sockets\n", false, 0},
	{"WH601", "cd tmp and clone", "FROM debian\nRUN cd /tmp && git clone https://github.com/x/y.git && make -C y install\n", true, 2},
	{"WH601", "tmpfs", "FROM debian\nRUN --mount=type=tmpfs,target=/tmp curl -o /tmp/x https://e.com/x && sh /tmp/x\n", false, 0},

	// WH602
	{"WH602", "curl tar left", "FROM debian\nRUN curl -fsSLO https://e.com/tool-1.0.tar.gz && tar -xzf tool-1.0.tar.gz -C /opt\n", true, 2},
	{"WH602", "removed", "FROM debian\nRUN curl -fsSLO https://e.com/tool-1.0.tar.gz && tar -xzf tool-1.0.tar.gz -C /opt && rm tool-1.0.tar.gz\n", false, 0},
	{"WH602", "streamed", "FROM debian\nRUN curl -fsSL https://e.com/tool-1.0.tar.gz | tar -xz -C /opt\n", false, 0},
	{"WH602", "wget zip", "FROM debian\nWORKDIR /opt\nRUN wget https://e.com/app.zip && unzip app.zip\n", true, 3},
	{"WH602", "dpkg deb", "FROM debian\nRUN curl -o /root/x.deb https://e.com/x.deb && dpkg -i /root/x.deb\n", true, 2},

	// WH603
	{"WH603", "add plain", "FROM debian\nADD app.py /app/\n", true, 2},
	{"WH603", "add tar", "FROM debian\nADD rootfs.tar.xz /\n", false, 0},
	{"WH603", "add url", "FROM debian\nADD https://e.com/x.bin /x.bin\n", false, 0},
	{"WH603", "add zip", "FROM debian\nADD site.zip /srv/\n", true, 2},

	// WH605
	{"WH605", "large uid", "FROM debian\nRUN useradd -u 1000000 app\n", true, 2},
	{"WH605", "large uid with -l", "FROM debian\nRUN useradd -l -u 1000000 app\n", false, 0},
	{"WH605", "long form", "FROM debian\nRUN groupadd -g 200000 app && useradd --uid=200000 -g app app\n", true, 2},
	{"WH605", "small uid", "FROM debian\nRUN useradd -u 1001 app\n", false, 0},

	// WH604
	{"WH604", "both", "FROM debian\nRUN curl -fsSLo /a https://e.com/a\nRUN wget -O /b https://e.com/b\n", true, 3},
	{"WH604", "curl only", "FROM debian\nRUN curl -fsSLo /a https://e.com/a && curl -o /b https://e.com/b\n", false, 0},
	{"WH604", "different stages", "FROM debian AS a\nRUN wget -O /b https://e.com/b\nFROM debian\nRUN curl -fsSLo /a https://e.com/a\n", false, 0},
}

func TestRules(t *testing.T) {
	ids := map[string]bool{}
	for _, r := range All() {
		ids[r.Meta().ID] = true
	}
	covered := map[string][2]bool{}
	for _, c := range ruleCases {
		t.Run(c.rule+"/"+c.name, func(t *testing.T) {
			if !ids[c.rule] {
				t.Fatalf("no rule %s", c.rule)
			}
			f, err := dockerfile.Parse("Dockerfile", []byte(c.src))
			if err != nil {
				t.Fatal(err)
			}
			fs, err := Lint(context.Background(), f, WithRules(c.rule))
			if err != nil {
				t.Fatal(err)
			}
			var hits []Finding
			for _, fd := range fs {
				if fd.Rule == c.rule && fd.InFinalImage {
					hits = append(hits, fd)
				}
			}
			if got := len(hits) > 0; got != c.want {
				t.Fatalf("fires=%v, want %v; findings %+v", got, c.want, fs)
			}
			if c.line != 0 && hits[0].Line != c.line {
				t.Errorf("finding on line %d, want %d", hits[0].Line, c.line)
			}
			for _, h := range hits {
				if h.Fix == "" || !strings.HasPrefix(h.Doc, "docs/rules/") {
					t.Errorf("finding without fix or doc: %+v", h)
				}
			}
		})
		v := covered[c.rule]
		if c.want {
			v[0] = true
		} else {
			v[1] = true
		}
		covered[c.rule] = v
	}
	for id := range ids {
		if id == "WH101" || id == "WH102" || id == "WH103" || id == "WH701" || id == "WH108" {
			continue // their own tables: the model's rules, WH701's, WH108's (it needs a context)
		}
		if v := covered[id]; !v[0] || !v[1] {
			t.Errorf("rule %s lacks a case in both directions (fires %v, quiet %v)", id, v[0], v[1])
		}
	}
}

func TestArchiveNames(t *testing.T) {
	tests := []struct {
		name, stem string
		archive    bool
	}{
		{"node-v20.tar.gz", "node-v20", true},
		{"x.tar.lzma", "x", true},
		{"x.tbz", "x", true},
		{"app.jar.zip", "app", true},
		{"file.7z", "file", true},
		{"README.md", "", false},
		{".tar", "", false},
	}
	for _, tt := range tests {
		if got := layerStem(tt.name); got != tt.stem {
			t.Errorf("layerStem(%q) = %q, want %q", tt.name, got, tt.stem)
		}
		if got := isArchiveName(tt.name); got != tt.archive {
			t.Errorf("isArchiveName(%q) = %v, want %v", tt.name, got, tt.archive)
		}
	}
}

// TestAllOrderedByID holds All to its documented order, which every list
// derived from it (the index, completion, fix's help) shows.
func TestAllOrderedByID(t *testing.T) {
	ms := Metas()
	for i := 1; i < len(ms); i++ {
		if ms[i-1].ID >= ms[i].ID {
			t.Errorf("All lists %s before %s", ms[i-1].ID, ms[i].ID)
		}
	}
}
