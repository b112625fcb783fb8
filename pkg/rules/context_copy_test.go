package rules

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/whittle/whittle/pkg/dockerfile"
)

func TestContextCopy(t *testing.T) {
	git := fstest.MapFile{Data: []byte("ref: refs/heads/main\n")}
	tests := []struct {
		name  string
		src   string
		files fstest.MapFS // nil: no context given
		want  string       // a word of the message, "" for no finding
		paths []string
	}{
		{"no .dockerignore, .git present", "FROM node\nWORKDIR /app\nCOPY . .\n",
			fstest.MapFS{".git/HEAD": &git, "index.js": &git}, "there is no .dockerignore", []string{"/app/.git"}},
		{".dockerignore excludes .git", "FROM node\nWORKDIR /app\nCOPY . .\n",
			fstest.MapFS{".git/HEAD": &git, ".dockerignore": {Data: []byte(".git\n")}}, "", nil},
		{".dockerignore misses node_modules", "FROM node\nCOPY ./ /app/\n",
			fstest.MapFS{".git/HEAD": &git, "node_modules/x/i.js": &git, ".dockerignore": {Data: []byte("**/.git\n")}}, ".dockerignore does not exclude them", []string{"/app/node_modules"}},
		{"Dockerfile.dockerignore wins", "FROM node\nCOPY . /app\n",
			fstest.MapFS{".git/HEAD": &git, "Dockerfile.dockerignore": {Data: []byte(".git\n")}}, "", nil},
		{"an exception brings it back", "FROM node\nCOPY . /app\n",
			fstest.MapFS{"venv/bin/python": &git, ".dockerignore": {Data: []byte("*\n!venv\n")}}, "venv", []string{"/app/venv"}},
		{"nothing to exclude", "FROM node\nCOPY . /app\n", fstest.MapFS{"index.js": &git}, "", nil},
		{"a file, not the context", "FROM node\nCOPY package.json /app/\n", fstest.MapFS{".git/HEAD": &git}, "", nil},
		{"a builder stage", "FROM node AS build\nCOPY . /app\nFROM nginx\nCOPY --from=build /app/dist /usr/share/nginx/html\n", fstest.MapFS{".git/HEAD": &git}, "", nil},
		{"no context known", "FROM node\nCOPY . /app\n", nil, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := dockerfile.Parse("Dockerfile", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			opts := []Option{WithRules("WH108")}
			if tc.files != nil {
				opts = append(opts, WithContext(tc.files))
			}
			fs, err := Lint(context.Background(), f, opts...)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == "" && len(fs) > 0:
				t.Fatalf("unexpected %+v", fs)
			case tc.want != "" && (len(fs) != 1 || !strings.Contains(fs[0].Message, tc.want)):
				t.Fatalf("want one finding saying %q, got %+v", tc.want, fs)
			case tc.want != "" && !slices.Equal(fs[0].Paths, tc.paths):
				t.Errorf("paths %v, want %v", fs[0].Paths, tc.paths)
			}
		})
	}
}
