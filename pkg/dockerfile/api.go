package dockerfile

import (
	"fmt"
	"iter"
	"strings"
)

// Option configures Parse.
type Option func(*options) error

type options struct {
	target    string
	buildArgs map[string]string
	platform  string // "os/arch[/variant]"
}

// WithPlatform sets the build and target platform ("linux/arm64",
// "linux/arm/v7") that gives the automatic ARGs (TARGETPLATFORM,
// TARGETOS, TARGETARCH, TARGETVARIANT and their BUILD* twins) their
// values. The default is linux/amd64.
func WithPlatform(platform string) Option {
	return func(o *options) error {
		parts := strings.Split(platform, "/")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
			return fmt.Errorf("platform %q is not os/arch[/variant]", platform)
		}
		o.platform = platform
		return nil
	}
}

// platformArgs returns the automatic platform ARGs.
func (o *options) platformArgs() map[string]string {
	p := o.platform
	if p == "" {
		p = "linux/amd64"
	}
	parts := strings.Split(p, "/")
	variant := ""
	if len(parts) == 3 {
		variant = parts[2]
	}
	out := map[string]string{}
	for _, pre := range []string{"TARGET", "BUILD"} {
		out[pre+"PLATFORM"] = p
		out[pre+"OS"] = parts[0]
		out[pre+"ARCH"] = parts[1]
		out[pre+"VARIANT"] = variant
	}
	return out
}

// WithTarget names the stage built (docker build --target) by its name or,
// as COPY --from does, its index from 0; "" means the last stage. Parse
// fails if no stage has that name or index, listing the stages.
func WithTarget(name string) Option {
	return func(o *options) error {
		o.target = name
		return nil
	}
}

// WithBuildArgs sets --build-arg values, used when expanding ARGs.
func WithBuildArgs(args map[string]string) Option {
	return func(o *options) error {
		o.buildArgs = make(map[string]string, len(args))
		for k, v := range args {
			o.buildArgs[k] = v
		}
		return nil
	}
}

// Walk calls fn for every instruction in source order, each ONBUILD
// trigger right after its ONBUILD. It stops when fn returns false.
func Walk(f *File, fn func(*Instruction) bool) {
	for in := range f.All() {
		if !fn(in) {
			return
		}
	}
}

// All iterates over every instruction as Walk does.
func (f *File) All() iter.Seq[*Instruction] {
	return func(yield func(*Instruction) bool) {
		if f == nil {
			return
		}
		for _, in := range f.Instructions {
			if !yield(in) {
				return
			}
			if in.Onbuild != nil && !yield(in.Onbuild) {
				return
			}
		}
	}
}
