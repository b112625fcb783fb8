// Package benchutil holds what the benchmark programs under bench/ share:
// opening the generated image and reading the process's resource usage.
package benchutil

import (
	"errors"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// OpenLayout opens the first image of the OCI layout at dir.
func OpenLayout(dir string) (v1.Image, error) {
	if dir == "" {
		return nil, errors.New("-image is required")
	}
	lp, err := layout.FromPath(dir)
	if err != nil {
		return nil, err
	}
	idx, err := lp.ImageIndex()
	if err != nil {
		return nil, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	if len(m.Manifests) == 0 {
		return nil, errors.New("empty layout")
	}
	return idx.Image(m.Manifests[0].Digest)
}

// Usage returns the CPU time (user + system, seconds) and the peak resident
// set size (MB) of this process so far; zeros when the system cannot say.
func Usage() (cpuSeconds, maxRSSMB float64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	cpu := float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
	return cpu, float64(ru.Maxrss) / 1024
}

// Profile starts a CPU profile written to cpuFile and an execution trace
// written to traceFile, each when its name is not empty. stop ends both
// and closes their files; call it once the measured work is done.
func Profile(cpuFile, traceFile string) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	if cpuFile != "" {
		f, err := os.Create(cpuFile)
		if err != nil {
			return stop, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return stop, err
		}
		stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
	}
	if traceFile != "" {
		f, err := os.Create(traceFile)
		if err != nil {
			stop()
			return func() {}, err
		}
		if err := trace.Start(f); err != nil {
			f.Close()
			stop()
			return func() {}, err
		}
		stops = append(stops, func() { trace.Stop(); f.Close() })
	}
	return stop, nil
}
