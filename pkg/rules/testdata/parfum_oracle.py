#!/usr/bin/env python3
"""Independent oracle for PARFUM's size smells (docker-parfum's binnacle
rules), used to make parfum_smells.tsv. It reads each Dockerfile of
shared/compat/parfum/smelly with plain text handling (no BuildKit, no
mvdan/sh): instructions are joined at line continuations, RUN text is split
into commands at && || ; | and newlines, and words are split with shlex.
It prints one line per smell: file, the RUN/ADD line, PARFUM's smell name,
and the whittle rule that must fire on that instruction. The output was
then read by hand against each file (see README.md).

Usage: parfum_oracle.py ../../../../shared/compat/parfum/smelly > parfum_smells.tsv
"""
import os, re, shlex, sys

SEP = re.compile(r'&&|\|\||;|\||\n|\bthen\b|\bdo\b|\belse\b|\(|\)|`')

def instructions(text):
    lines = text.split('\n')
    i = 0
    while i < len(lines):
        start = i
        line = lines[i]
        if not line.strip() or line.lstrip().startswith('#'):
            i += 1
            continue
        buf = [line]
        while buf[-1].rstrip().endswith('\\') and i + 1 < len(lines):
            buf[-1] = buf[-1].rstrip()[:-1]
            i += 1
            nxt = lines[i]
            if nxt.lstrip().startswith('#'):
                buf.append('\\')
                continue
            buf.append(nxt)
        i += 1
        joined = ' '.join(buf)
        kw = joined.split(None, 1)
        if kw:
            yield start + 1, kw[0].upper(), (kw[1] if len(kw) > 1 else '')

def commands(run):
    out = []
    for part in SEP.split(run):
        try:
            words = shlex.split(part, posix=True)
        except ValueError:
            words = part.split()
        while words and (re.match(r'^[A-Za-z_][A-Za-z0-9_]*=', words[0]) or words[0] in ('sudo', 'if', '!', 'exec')):
            words = words[1:]
        if words:
            out.append(words)
    return out

def verb(words):
    for w in words[1:]:
        if not w.startswith('-'):
            return w
    return ''

ARCH = ('.tar', '.tar.gz', '.tgz', '.tar.bz2', '.tar.xz', '.txz', '.tbz2', '.gz', '.bz2', '.xz', '.zip')

def smells(path):
    text = open(path, encoding='utf-8', errors='replace').read()
    for line, kw, rest in instructions(text):
        if kw == 'ADD':
            srcs = [w.strip('"\'') for w in rest.split()[:-1] if not w.startswith('--')]
            if srcs and not all(s.lower().endswith(ARCH[:-1]) or re.match(r'https?://', s) for s in srcs):
                yield line, 'DL3020', 'WH603'
            continue
        if kw != 'RUN':
            continue
        if rest.startswith('['):
            continue
        cmds = commands(rest)
        names = [os.path.basename(c[0]) for c in cmds]
        for k, c in enumerate(cmds):
            n = names[k]
            later = cmds[k + 1:]
            v = verb(c)
            if n in ('apt-get', 'apt') and v == 'install':
                if '--no-install-recommends' not in c:
                    yield line, 'aptGetInstallUseNoRec', 'WH202'
                if not any(os.path.basename(l[0]) == 'rm' and any('/var/lib/apt/lists' in w for w in l) for l in later):
                    yield line, 'aptGetInstallThenRemoveAptLists', 'WH201'
            if n == 'apk' and v == 'add' and '--no-cache' not in c:
                yield line, 'apkAddUseNoCache', 'WH301'
            if (re.match(r'^pip[0-9.]*$', n) and v == 'install') or (re.match(r'^python[0-9.]*$', n) and c[1:3] == ['-m', 'pip'] and 'install' in c):
                if '--no-cache-dir' not in c and not any('.cache/pip' in w for l in later for w in l):
                    yield line, 'pipUseNoCacheDir', 'WH501'
            if n == 'npm' and v in ('install', 'i', 'ci'):
                if not any(os.path.basename(l[0]) == 'npm' and 'cache' in l and 'clean' in l for l in later):
                    yield line, 'npmCacheCleanAfterInstall', 'WH502'
            if n == 'npm' and v == 'cache' and 'clean' in c and '--force' not in c and '-f' not in c:
                yield line, 'npmCacheCleanUseForce', 'WH502'
            if n == 'yarn' and v == 'install':
                if not any(os.path.basename(l[0]) == 'yarn' and 'cache' in l and 'clean' in l for l in later):
                    yield line, 'yarnCacheCleanAfterInstall', 'WH503'
            if n == 'yum' and v == 'install':
                if not any(os.path.basename(l[0]) == 'rm' and any('/var/cache/yum' in w for w in l) for l in later):
                    yield line, 'yumInstallRmVarCacheYum', 'WH401'
            if n == 'gem' and v == 'update' and '--no-document' not in c:
                yield line, 'gemUpdateNoDocument', 'WH504'
            if n == 'tar':
                tars = [w for w in c[1:] if re.search(r'\.tar(\.|$)|\.tgz$', w)]
                for t in tars:
                    if not any(os.path.basename(l[0]) == 'rm' and any(os.path.basename(w) == os.path.basename(t) for w in l) for l in later):
                        yield line, 'tarSomethingRmTheSomething', 'WH602'
                        break
            if n == 'mktemp' and ('-d' in c or '--directory' in c):
                if not any(os.path.basename(l[0]) == 'rm' and any(w.startswith('-') and 'r' in w for w in l) for l in later):
                    yield line, 'rmRecursiveAfterMktempD', 'WH601'

def main():
    d = sys.argv[1]
    print('# file\tline\tparfum smell\twhittle rule')
    for f in sorted(os.listdir(d)):
        seen = set()
        for line, smell, rule in smells(os.path.join(d, f)):
            if (line, smell) in seen:
                continue
            seen.add((line, smell))
            print(f'{f}\t{line}\t{smell}\t{rule}')

main()
