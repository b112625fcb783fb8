package dockerfile

import "iter"

// Option configures Parse.
type Option func(*options) error

type options struct {
	target    string
	buildArgs map[string]string
}

// WithTarget names the stage built (docker build --target); "" means the
// last stage. Parse fails if no stage has that name.
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
