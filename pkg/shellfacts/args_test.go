package shellfacts

import (
	"strings"
	"testing"
)

func TestArgs(t *testing.T) {
	tests := []struct {
		args     string
		valued   []string
		verb     string
		at       int
		operands string
	}{
		{"-o Dpkg::Options=x -y install curl", []string{"-o"}, "install", 3, "install curl"},
		{"-y -o install", nil, "install", 2, "install"},
		{"-fsSL https://e.org -o out", []string{"-o"}, "https://e.org", 1, "https://e.org"},
		{"-rf -- -weird dir", nil, "-weird", 2, "-weird dir"},
		{"- x", nil, "-", 0, "- x"},
		{"", nil, "", -1, ""},
	}
	for _, tt := range tests {
		args := strings.Fields(tt.args)
		v, at := Subcommand(args, tt.valued...)
		if v != tt.verb || at != tt.at {
			t.Errorf("Subcommand(%q) = %q, %d; want %q, %d", tt.args, v, at, tt.verb, tt.at)
		}
		if got := strings.Join(Operands(args, tt.valued...), " "); got != tt.operands {
			t.Errorf("Operands(%q) = %q, want %q", tt.args, got, tt.operands)
		}
	}
	flags := []struct {
		args  string
		names []string
		want  bool
	}{
		{"-qy install", []string{"y"}, true},
		{"--no-cache add", []string{"no-cache"}, true},
		{"--no-cache=1 add", []string{"no-cache"}, true},
		{"--no-cache-dir install", []string{"no-cache"}, false},
		{"install -- -y", []string{"y"}, false},
		{"--yes", []string{"y"}, false},
	}
	for _, tt := range flags {
		if got := HasFlag(strings.Fields(tt.args), tt.names...); got != tt.want {
			t.Errorf("HasFlag(%q, %q) = %v, want %v", tt.args, tt.names, got, tt.want)
		}
	}
}
