package rules

import (
	"context"
	"strings"
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/edit"
)

// repairCase is a finding's repair in one direction: the rule fires on src
// and its first finding's repair, applied alone, gives want with the
// applicability a; or (want "") the finding has no repair, or one held
// back as a says (DisplayOnly).
type repairCase struct {
	rule, name, src string
	a               Applicability
	want            string
}

var repairCases = []repairCase{
	{"WH101", "install then remove", "FROM debian\nRUN apt-get install -y gcc\nRUN make\nRUN apt-get purge -y gcc\n", Safe,
		"FROM debian\nRUN apt-get install -y gcc && \\\n    make && \\\n    apt-get purge -y gcc\n"},
	{"WH101", "COPY then rm: no edit can keep it out", "FROM debian\nCOPY big /big\nRUN rm /big\n", 0, ""},
	{"WH101", "USER between", "FROM debian\nRUN mkdir -p /opt/x && cp /etc/hosts /opt/x/h\nUSER app\nRUN rm -rf /opt/x\n", 0, ""},
	{"WH101", "comment asks for a layer of its own", "FROM debian\nRUN apt-get install -y gcc\n# keep this in a separate layer\nRUN apt-get purge -y gcc\n", DisplayOnly, ""},
	{"WH102", "chown -R", "FROM debian\nCOPY app /app\nRUN chown -R app:app /app\n", Safe,
		"FROM debian\nCOPY --chown=app:app app /app\n"},
	{"WH102", "the RUN creates the user", "FROM debian\nCOPY app /app\nRUN useradd -r app && chown -R app /app\n", 0, ""},
	{"WH102", "chmod without BuildKit", "FROM debian\nCOPY app /app\nRUN chmod -R 755 /app\n", 0, ""},
	{"WH103", "download then extract", "FROM debian\nRUN curl -fsSLo /tmp/x.tgz https://e/x.tgz\nRUN tar -xzf /tmp/x.tgz -C /opt && rm /tmp/x.tgz\n", Safe,
		"FROM debian\nRUN curl -fsSLo /tmp/x.tgz https://e/x.tgz && \\\n    tar -xzf /tmp/x.tgz -C /opt && rm /tmp/x.tgz\n"},
	{"WH103", "ADD of a URL", "FROM debian\nADD https://e/x.tgz /tmp/x.tgz\nRUN tar -xzf /tmp/x.tgz -C /opt\n", 0, ""},
	{"WH105", "copy, extract, remove", "FROM debian\nCOPY app.tgz /tmp/app.tgz\nRUN tar -xzf /tmp/app.tgz -C /opt && rm /tmp/app.tgz\n", Safe,
		"FROM debian\nADD app.tgz /opt/\n"},
	{"WH105", "a RUN that makes another directory too", "FROM debian\nCOPY app.tgz /tmp/app.tgz\nRUN mkdir -p /data && tar -xzf /tmp/app.tgz -C /opt && rm /tmp/app.tgz\n", Safe,
		"FROM debian\nADD app.tgz /opt/\nRUN mkdir -p /data\n"},
	{"WH105", "mkdir with a mode", "FROM debian\nCOPY app.tgz /tmp/app.tgz\nRUN mkdir -m 700 -p /opt/app && tar -xzf /tmp/app.tgz -C /opt/app && rm /tmp/app.tgz\n", Safe,
		"FROM debian\nADD app.tgz /opt/app/\nRUN mkdir -m 700 -p /opt/app\n"},
	{"WH105", "a member name", "FROM debian\nCOPY app.tgz /tmp/app.tgz\nRUN tar -xzf /tmp/app.tgz -C /opt bin/app\n", 0, ""},
	{"WH105", "as another user", "FROM debian\nCOPY app.tgz /tmp/app.tgz\nUSER app\nRUN tar -xzf /tmp/app.tgz -C /home/app\n", 0, ""},
	{"WH105", "--strip-components", "FROM debian\nCOPY app.tgz /tmp/app.tgz\nRUN tar -xzf /tmp/app.tgz --strip-components=1 -C /opt\n", 0, ""},
	{"WH201", "lists", "FROM debian\nRUN apt-get update && apt-get install -y curl\n", Safe,
		"FROM debian\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"},
	{"WH201", "after a final exit", "FROM debian\nRUN apt-get update && apt-get install -y curl && exit 0\n", 0, ""},
	{"WH201", "a later RUN's own update keeps the options as written", "FROM debian\nRUN apt-get -o Acquire::Retries=3 update -qq && apt-get install -y curl\nCOPY x /x\nRUN apt-get install -y jq\n", Unsafe,
		"FROM debian\nRUN apt-get -o Acquire::Retries=3 update -qq && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\nCOPY x /x\nRUN apt-get -o Acquire::Retries=3 update -qq && apt-get install -y jq\n"},
	{"WH201", "a plain update stays plain", "FROM debian\nRUN apt-get update && apt-get install -y curl\nCOPY x /x\nRUN apt-get install -y jq\n", Unsafe,
		"FROM debian\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\nCOPY x /x\nRUN apt-get update && apt-get install -y jq\n"},
	{"WH201", "quotes, sudo and a prefix assignment", "FROM debian\nRUN DEBIAN_FRONTEND=noninteractive sudo apt-get update -q -y -o \"Acquire::Retries=3\" && sudo apt-get install -y curl\nCOPY x /x\nRUN sudo apt-get install -y jq\n", Unsafe,
		"FROM debian\nRUN DEBIAN_FRONTEND=noninteractive sudo apt-get update -q -y -o \"Acquire::Retries=3\" && sudo apt-get install -y curl && \\\n    sudo rm -rf /var/lib/apt/lists/*\nCOPY x /x\nRUN DEBIAN_FRONTEND=noninteractive sudo apt-get update -q -y -o \"Acquire::Retries=3\" && sudo apt-get install -y jq\n"},
	{"WH201", "an option from an ENV that holds there is carried as written", "FROM debian\nENV OPTS=-qq\nRUN apt-get update $OPTS && apt-get install -y curl\nCOPY x /x\nRUN apt-get install -y jq\n", Unsafe,
		"FROM debian\nENV OPTS=-qq\nRUN apt-get update $OPTS && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\nCOPY x /x\nRUN apt-get update $OPTS && apt-get install -y jq\n"},
	{"WH201", "an option from an ENV changed in between is carried as its value", "FROM debian\nENV OPTS=-qq\nRUN apt-get update $OPTS && apt-get install -y curl\nENV OPTS=-q\nCOPY x /x\nRUN apt-get install -y jq\n", Unsafe,
		"FROM debian\nENV OPTS=-qq\nRUN apt-get update $OPTS && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\nENV OPTS=-q\nCOPY x /x\nRUN apt-get update -qq && apt-get install -y jq\n"},
	{"WH201", "an option from an ARG declared again in between (a --build-arg may change it)", "FROM debian\nARG OPTS=-qq\nRUN apt-get update $OPTS && apt-get install -y curl\nARG OPTS=-q\nCOPY x /x\nRUN apt-get install -y jq\n", 0, ""},
	{"WH201", "the update inside sh -c", "FROM debian\nRUN sh -c 'apt-get update -o \"APT::Get::List-Cleanup=0\" -qq && apt-get install -y curl'\nCOPY x /x\nRUN apt-get install -y jq\n", Unsafe,
		"FROM debian\nRUN sh -c 'apt-get update -o \"APT::Get::List-Cleanup=0\" -qq && apt-get install -y curl' && \\\n    rm -rf /var/lib/apt/lists/*\nCOPY x /x\nRUN apt-get update -o 'APT::Get::List-Cleanup=0' -qq && apt-get install -y jq\n"},
	{"WH201", "an update option whose value the RUN makes", "FROM debian\nRUN o=$(cat /o) && apt-get update $o && apt-get install -y curl\nCOPY x /x\nRUN apt-get install -y jq\n", 0, ""},
	{"WH202", "recommends", "FROM debian\nRUN apt-get install -y jq\n", Unsafe,
		"FROM debian\nRUN apt-get install --no-install-recommends -y jq\n"},
	{"WH202", "aptitude", "FROM debian\nRUN aptitude install -y jq\n", 0, ""},
	{"WH203", "apt-get clean", "FROM local/debian\nRUN apt-get install -y --no-install-recommends jq\n", Safe,
		"FROM local/debian\nRUN apt-get install -y --no-install-recommends jq && apt-get clean\n"},
	{"WH203", "exec form", "FROM local/debian\nRUN [\"apt-get\", \"install\", \"-y\", \"jq\"]\n", 0, ""},
	{"WH204", "lone update", "FROM debian\nRUN apt-get update\nRUN apt-get install -y jq\n", Safe,
		"FROM debian\nRUN apt-get update && \\\n    apt-get install -y jq\n"},
	{"WH204", "nothing installs after it", "FROM debian\nRUN apt-get update\nCOPY x /x\n", 0, ""},
	{"WH204", "a COPY before the install", "FROM debian\nRUN apt-get update -qq\nCOPY x /x\nRUN apt-get install -y jq\n", Unsafe,
		"FROM debian\nCOPY x /x\nRUN apt-get update -qq && apt-get install -y jq\n"},
	{"WH204", "the install in a stage built on it", "FROM debian AS base\nRUN apt-get update\nFROM base\nRUN apt-get install -y jq\n", Unsafe,
		"FROM debian AS base\nFROM base\nRUN apt-get update && apt-get install -y jq\n"},
	{"WH204", "apt-get clean beside the update", "FROM local/debian\nRUN apt-get update && apt-get clean\nCOPY x /x\nRUN apt-get install -y --no-install-recommends jq\n", Unsafe,
		"FROM local/debian\nCOPY x /x\nRUN apt-get update && apt-get install -y --no-install-recommends jq\n"},
	{"WH204", "the next RUN queries the lists", "FROM debian\nRUN apt-get update\nRUN apt-cache policy jq > /jq-policy\nCOPY x /x\nRUN apt-get install -y jq\n", Safe,
		"FROM debian\nRUN apt-get update && \\\n    apt-cache policy jq > /jq-policy\nCOPY x /x\nRUN apt-get install -y jq\n"},
	{"WH204", "a RUN across a COPY queries the lists", "FROM debian\nRUN apt-get update\nCOPY x /x\nRUN apt-cache policy jq > /jq-policy\nRUN apt-get install -y jq\n", Unsafe,
		"FROM debian\nCOPY x /x\nRUN apt-get update && apt-cache policy jq > /jq-policy\nRUN apt-get install -y jq\n"},
	{"WH204", "a RUN between does something else", "FROM debian\nRUN apt-get update\nRUN echo hi > /hi\nCOPY x /x\nRUN apt-get install -y jq\n", Unsafe,
		"FROM debian\nRUN echo hi > /hi\nCOPY x /x\nRUN apt-get update && apt-get install -y jq\n"},
	{"WH204", "the update's options moved as written", "FROM debian\nRUN apt-get -o Acquire::Retries=3 update -qq\nCOPY x /x\nRUN apt-get install -y jq\n", Unsafe,
		"FROM debian\nCOPY x /x\nRUN apt-get -o Acquire::Retries=3 update -qq && apt-get install -y jq\n"},
	{"WH204", "quotes, sudo and a prefix assignment moved", "FROM debian\nRUN DEBIAN_FRONTEND=noninteractive sudo apt-get update -o \"Acquire::Retries=3\"\nCOPY x /x\nRUN sudo apt-get install -y jq\n", Unsafe,
		"FROM debian\nCOPY x /x\nRUN DEBIAN_FRONTEND=noninteractive sudo apt-get update -o \"Acquire::Retries=3\" && sudo apt-get install -y jq\n"},
	{"WH204", "an option from an ENV moved as its value", "FROM debian\nENV OPTS=-qq\nRUN apt-get update $OPTS\nCOPY x /x\nENV OPTS=-y\nRUN apt-get install -y jq\n", Unsafe,
		"FROM debian\nENV OPTS=-qq\nCOPY x /x\nENV OPTS=-y\nRUN apt-get update -qq && apt-get install -y jq\n"},
	{"WH204", "the update inside sh -c", "FROM debian\nRUN sh -c 'apt-get update -o \"APT::Get::List-Cleanup=0\"'\nCOPY x /x\nRUN apt-get install -y jq\n", Unsafe,
		"FROM debian\nCOPY x /x\nRUN apt-get update -o 'APT::Get::List-Cleanup=0' && apt-get install -y jq\n"},
	{"WH204", "an update option from an ARG that holds there, value unknown: carried as written", "FROM debian\nARG OPTS\nRUN apt-get update $OPTS\nCOPY x /x\nRUN apt-get install -y jq\n", Unsafe,
		"FROM debian\nARG OPTS\nCOPY x /x\nRUN apt-get update $OPTS && apt-get install -y jq\n"},
	{"WH204", "an update option from an ARG with a default declared again in between", "FROM debian\nARG OPTS=-qq\nRUN apt-get update $OPTS\nARG OPTS=-q\nCOPY x /x\nRUN apt-get install -y jq\n", 0, ""},
	{"WH204", "an update option whose value the next stage does not have", "FROM debian AS a\nARG OPTS\nRUN apt-get update $OPTS\nFROM a\nRUN apt-get install -y jq\n", 0, ""},
	{"WH204", "an update option from a file", "FROM debian\nRUN apt-get update $(cat /opts)\nCOPY x /x\nRUN apt-get install -y jq\n", 0, ""},
	{"WH204", "the RUN does more", "FROM debian\nRUN apt-get update && echo done > /updated\nCOPY x /x\nRUN apt-get install -y jq\n", 0, ""},
	{"WH204", "a RUN with a flag", "FROM debian\nRUN --network=host apt-get update\nCOPY x /x\nRUN apt-get install -y jq\n", 0, ""},
	{"WH204", "the install not in an && chain", "FROM debian\nRUN apt-get update\nCOPY x /x\nRUN apt-get install -y jq || true\n", 0, ""},
	{"WH204", "a comment keeps the lists in a layer", "FROM debian\n# keep the lists in a separate layer\nRUN apt-get update\nCOPY x /x\nRUN apt-get install -y jq\n", DisplayOnly, ""},
	{"WH205", "remove without --auto-remove", "FROM debian\nRUN apt-get install -y gcc && make && apt-get remove -y gcc\n", Unsafe,
		"FROM debian\nRUN apt-get install -y gcc && make && apt-get remove --auto-remove -y gcc\n"},
	{"WH205", "through sh -c", "FROM debian\nRUN sh -c 'apt-get install -y gcc && apt-get remove -y gcc'\n", 0, ""},
	{"WH301", "apk add", "FROM alpine\nRUN apk add curl\n", Safe, "FROM alpine\nRUN apk add --no-cache curl\n"},
	{"WH301", "abuild after", "FROM alpine\nRUN apk add abuild && abuild -r\n", Unsafe, "FROM alpine\nRUN apk add --no-cache abuild && abuild -r\n"},
	{"WH301", "inside sh -c", "FROM alpine\nRUN sh -c 'apk add curl'\n", 0, ""},
	{"WH302", "update for adds", "FROM alpine\nRUN apk update && apk add --no-cache curl\n", Safe, "FROM alpine\nRUN apk add --no-cache curl\n"},
	{"WH302", "update read by a later RUN", "FROM alpine\nRUN apk update\nRUN apk upgrade\n", 0, ""},
	{"WH401", "yum", "FROM centos\nRUN yum install -y httpd\n", Safe, "FROM centos\nRUN yum install -y httpd && yum clean all\n"},
	{"WH401", "backgrounded", "FROM centos\nRUN yum install -y httpd &\n", 0, ""},
	{"WH402", "zypper", "FROM opensuse/leap\nRUN zypper -n in curl\n", Safe, "FROM opensuse/leap\nRUN zypper -n in curl && zypper clean --all\n"},
	{"WH402", "exec form", "FROM opensuse/leap\nRUN [\"zypper\", \"-n\", \"in\", \"curl\"]\n", 0, ""},
	{"WH403", "microdnf", "FROM ubi9\nRUN microdnf install -y tar\n", Safe, "FROM ubi9\nRUN microdnf install -y tar && microdnf clean all\n"},
	{"WH403", "comment keeps the cache", "FROM ubi9\n# we keep dnf's cache on purpose\nRUN dnf install -y tar\n", DisplayOnly, ""},
	{"WH501", "pip", "FROM python\nRUN pip install flask\n", Safe, "FROM python\nRUN pip install --no-cache-dir flask\n"},
	{"WH501", "inside sh -c", "FROM python\nRUN sh -c 'pip install flask'\n", 0, ""},
	{"WH502", "npm", "FROM node\nRUN npm ci\n", Safe, "FROM node\nRUN npm ci && npm cache clean --force\n"},
	{"WH502", "npm removed where nothing can go between", "FROM node\nRUN if true; then npm ci; rm -rf /usr/local/lib/node_modules/npm; fi\n", 0, ""},
	{"WH502", "npm cache moved", "FROM node\nRUN npm ci --cache /tmp/npmc\n", Safe, "FROM node\nRUN npm ci --cache /tmp/npmc && npm cache clean --force --cache /tmp/npmc\n"},
	{"WH503", "yarn cache moved", "FROM node\nRUN yarn install --cache-folder /yc\n", Safe, "FROM node\nRUN yarn install --cache-folder /yc && yarn cache clean --cache-folder /yc\n"},
	{"WH503", "yarn", "FROM node\nRUN yarn install\n", Safe, "FROM node\nRUN yarn install && yarn cache clean\n"},
	{"WH503", "exec form", "FROM node\nRUN [\"yarn\", \"install\"]\n", 0, ""},
	{"WH503", "XDG_CACHE_HOME moves the cache", "FROM node\nENV XDG_CACHE_HOME=/xc\nRUN yarn install\n", Safe, "FROM node\nENV XDG_CACHE_HOME=/xc\nRUN yarn install && yarn cache clean --cache-folder /xc/yarn\n"},
	{"WH503", "HOME given to the install alone, another user", "FROM node\nUSER node\nRUN HOME=/w yarn install\n", Safe, "FROM node\nUSER node\nRUN HOME=/w yarn install && HOME=/w yarn cache clean\n"},
	{"WH503", "HOME given to the install alone, root: yarn does not read it", "FROM node\nRUN HOME=/w yarn install\n", Safe, "FROM node\nRUN HOME=/w yarn install && yarn cache clean\n"},
	{"WH504", "gem", "FROM alpine\nRUN gem install rails\n", Safe, "FROM alpine\nRUN gem install --no-document rails\n"},
	{"WH504", "a documentation flag of its own", "FROM alpine\nRUN gem install --no-ri rails\n", 0, ""},
	{"WH505", "go build", "FROM golang\nRUN go build ./...\n", Safe, "FROM golang\nRUN go build ./... && go clean -cache\n"},
	{"WH505", "GOCACHE for the build alone", "FROM golang\nRUN GOCACHE=/gocache go build ./...\n", Safe,
		"FROM golang\nRUN GOCACHE=/gocache go build ./... && GOCACHE=/gocache go clean -cache\n"},
	{"WH505", "a stage that does not ship", "FROM golang AS build\nRUN go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\n", 0, ""},
	{"WH507", "go mod download", "FROM golang\nENV GOPATH=/go\nRUN go mod download && go build -o /app .\n", Safe,
		"FROM golang\nENV GOPATH=/go\nRUN go mod download && go build -o /app . && go clean -modcache\n"},
	{"WH507", "a later RUN builds with the modules", "FROM golang\nRUN go mod download\nCOPY . .\nRUN go build -o /app .\n", 0, ""},
	{"WH507", "the container runs go (exec form)", "FROM golang\nWORKDIR /src\nRUN go mod download\nCMD [\"go\", \"run\", \".\"]\n", 0, ""},
	{"WH507", "the container runs go (shell form, a stage built on it)", "FROM golang AS dev\nRUN go mod download\nFROM dev\nENTRYPOINT exec go test ./...\n", 0, ""},
	{"WH507", "the container runs the binary", "FROM golang\nRUN go mod download && go build -o /app .\nCMD [\"/app\", \"--go\", \"run\"]\n", Safe,
		"FROM golang\nRUN go mod download && go build -o /app . && go clean -modcache\nCMD [\"/app\", \"--go\", \"run\"]\n"},
	{"WH508", "composer install", "FROM php\nRUN composer install --no-dev\n", Safe, "FROM php\nRUN composer install --no-dev && composer clear-cache\n"},
	{"WH508", "composer through sh -c in exec form", "FROM php\nRUN [\"sh\", \"-c\", \"composer install\"]\n", 0, ""},
	{"WH509", "bundle install", "FROM ruby:3.3\nRUN bundle install\n", Safe, "FROM ruby:3.3\nRUN bundle install && rm -rf /usr/local/bundle/cache\n"},
	{"WH509", "path from an earlier bundle config", "FROM rubylang/ruby:3.3\nWORKDIR /app\nRUN bundle config set --local path vendor/bundle && bundle config set --local without test\nRUN bundle install\n", Safe,
		"FROM rubylang/ruby:3.3\nWORKDIR /app\nRUN bundle config set --local path vendor/bundle && bundle config set --local without test\nRUN bundle install && rm -rf /app/vendor/bundle/ruby/*/cache\n"},
	{"WH509", "path from a config in a base stage", "FROM rubylang/ruby:3.3 AS base\nWORKDIR /srv\nRUN bundle config path gems\nFROM base\nRUN bundle install\n", Safe,
		"FROM rubylang/ruby:3.3 AS base\nWORKDIR /srv\nRUN bundle config path gems\nFROM base\nRUN bundle install && rm -rf /srv/gems/ruby/*/cache\n"},
	{"WH509", "--deployment", "FROM rubylang/ruby:3.3\nWORKDIR /app\nRUN bundle install --deployment\n", Safe,
		"FROM rubylang/ruby:3.3\nWORKDIR /app\nRUN bundle install --deployment && rm -rf /app/vendor/bundle/ruby/*/cache\n"},
	{"WH509", "--path", "FROM rubylang/ruby:3.3\nWORKDIR /app\nRUN bundle install --path=.gems\n", Safe,
		"FROM rubylang/ruby:3.3\nWORKDIR /app\nRUN bundle install --path=.gems && rm -rf /app/.gems/ruby/*/cache\n"},
	{"WH509", "another user, the system gem cache", "FROM rubylang/ruby:3.3\nUSER app\nRUN bundle install\n", 0, ""},
	{"WH509", "another user, the official image's GEM_HOME", "FROM ruby:3.3\nUSER app\nRUN bundle install\n", Safe, "FROM ruby:3.3\nUSER app\nRUN bundle install && rm -rf /usr/local/bundle/cache\n"},
	{"WH509", "exec form", "FROM ruby:3.3\nRUN [\"bundle\", \"install\"]\n", 0, ""},
	{"WH510", "composer install", "FROM php\nRUN composer install -o\n", Unsafe, "FROM php\nRUN composer install --no-dev -o\n"},
	{"WH510", "composer require", "FROM php\nRUN composer require -W monolog/monolog\n", Unsafe, "FROM php\nRUN composer require --update-no-dev -W monolog/monolog\n"},
	{"WH510", "composer require --dev", "FROM php\nRUN composer require --dev phpunit/phpunit\n", 0, ""},
	{"WH510", "exec form", "FROM php\nRUN [\"composer\", \"install\"]\n", 0, ""},
	{"WH601", "tmp file", "FROM debian\nRUN echo x > /tmp/x\n", Safe, "FROM debian\nRUN echo x > /tmp/x && rm -rf /tmp/x\n"},
	{"WH601", "read by a later RUN", "FROM debian\nRUN echo x > /tmp/x\nRUN cat /tmp/x\n", 0, ""},
	{"WH602", "archive left", "FROM debian\nRUN wget https://e/x.tgz && tar -xzf x.tgz -C /opt\n", Safe,
		"FROM debian\nRUN wget https://e/x.tgz && tar -xzf x.tgz -C /opt && rm -f x.tgz\n"},
	{"WH602", "archive used later", "FROM debian\nRUN wget -O /x.tgz https://e/x.tgz && tar -xzf /x.tgz -C /opt\nRUN tar -tzf /x.tgz\n", 0, ""},
	{"WH606", "build tree", "FROM debian\nRUN git clone https://e/t.git /usr/src/t && cd /usr/src/t && make && make install\n", Unsafe,
		"FROM debian\nRUN git clone https://e/t.git /usr/src/t && cd /usr/src/t && make && make install && \\\n    cd / && \\\n    rm -rf /usr/src/t\n"},
	{"WH606", "exec form cannot be edited", "FROM debian\nRUN [\"sh\", \"-c\", \"git clone https://e/t.git /usr/src/t && cd /usr/src/t && make && make install\"]\n", 0, ""},
	{"WH603", "plain ADD", "FROM debian\nADD app.py /app/\n", Safe, "FROM debian\nCOPY app.py /app/\n"},
	{"WH603", "7z, which ADD does not extract", "FROM debian\nADD data.7z /data/\n", Safe, "FROM debian\nCOPY data.7z /data/\n"},
	{"WH603", "a glob that could match an archive", "FROM debian\nADD files/* /app/\n", 0, ""},
	{"WH605", "useradd", "FROM debian\nRUN useradd -u 1234567 app\n", Safe, "FROM debian\nRUN useradd -l -u 1234567 app\n"},
	{"WH605", "useradd through sh -c", "FROM debian\nRUN sh -c 'useradd -u 1234567 app'\n", 0, ""},
}

// TestRepairs applies each case's repair alone and checks the text and the
// applicability; every rule with a repair has a case in each direction.
func TestRepairs(t *testing.T) {
	covered := map[string][2]bool{}
	for _, c := range repairCases {
		t.Run(c.rule+"/"+c.name, func(t *testing.T) {
			f, err := dockerfile.Parse("Dockerfile", []byte(c.src))
			if err != nil {
				t.Fatal(err)
			}
			fs, err := Lint(context.Background(), f, WithRules(c.rule))
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) == 0 {
				t.Fatalf("%s does not fire", c.rule)
			}
			r := fs[0].Repair
			if c.want == "" {
				if r != nil && r.Applicability != c.a {
					t.Fatalf("repair %+v, want none (or %v)", r, c.a)
				}
				if r != nil && r.Reason == "" {
					t.Errorf("a repair held back without a reason: %+v", r)
				}
				return
			}
			if r == nil {
				t.Fatalf("no repair; finding %+v", fs[0])
			}
			if r.Applicability != c.a {
				t.Errorf("applicability %v, want %v (%s)", r.Applicability, c.a, r.Reason)
			}
			if r.Applicability != Safe && r.Reason == "" {
				t.Errorf("an %v repair without a reason", r.Applicability)
			}
			out, err := edit.Apply(f.Src, r.ByteEdits()...)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != c.want {
				t.Errorf("got\n%s\nwant\n%s", out, c.want)
			}
			for _, e := range r.Edits {
				if p := f.PosAt(e.Start); p.Line != e.Line || p.Col != e.Column {
					t.Errorf("edit %+v: start is line %d col %d", e, p.Line, p.Col)
				}
			}
			if strings.TrimSpace(r.Message) == "" {
				t.Error("a repair without a message")
			}
		})
		v := covered[c.rule]
		if c.want != "" {
			v[0] = true
		} else {
			v[1] = true
		}
		covered[c.rule] = v
	}
	for _, m := range Metas() {
		if m.Repair == 0 || m.ID == "WH701" { // WH701: basefamily_test.go
			continue
		}
		if v := covered[m.ID]; !v[0] || !v[1] {
			t.Errorf("rule %s lacks a repair case in both directions (repaired %v, not %v)", m.ID, v[0], v[1])
		}
	}
}
