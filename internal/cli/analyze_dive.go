package cli

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/moby/client"
	"github.com/spf13/pflag"

	"github.com/whittle/whittle/internal/gate"
	"github.com/whittle/whittle/pkg/imageref"
)

// diveFlags are dive's spellings of analyze's flags (docs/analyze.md, "For
// dive users").
type diveFlags struct {
	// source is dive's --source: docker, podman or docker-archive (or
	// docker-tar), the engine or file an IMAGE without a transport is
	// read from.
	source string
	// The CI rules, under dive's flag names.
	lowestEfficiency         string
	highestWastedBytes       string
	highestUserWastedPercent string
}

// add registers the flags on f.
func (d *diveFlags) add(f *pflag.FlagSet) {
	f.StringVar(&d.source, "source", "", "dive's: read an IMAGE without a transport from `ENGINE`: docker (docker-daemon:), podman (the podman API socket) or docker-archive (a docker save tar)")
	f.StringVar(&d.lowestEfficiency, "lowestEfficiency", "", "dive's CI rule: fail when dive's efficiency is below `RATIO` (--min-efficiency; implies --ci)")
	f.StringVar(&d.highestWastedBytes, "highestWastedBytes", "", "dive's CI rule: fail when dive's wasted bytes exceed `SIZE` (implies --ci)")
	f.StringVar(&d.highestUserWastedPercent, "highestUserWastedPercent", "", "dive's CI rule: fail when dive's user wasted ratio exceeds `RATIO` (0 to 1; implies --ci)")
}

// thresholds reports whether a dive rule flag is set.
func (d *diveFlags) thresholds() bool {
	return d.lowestEfficiency != "" || d.highestWastedBytes != "" || d.highestUserWastedPercent != ""
}

// rules parses the dive rule flags, each under dive's rule name with the
// flag as its source. A dive flag and whittle's flag for the same rule
// (--lowestEfficiency and --min-efficiency) are an error.
func (d *diveFlags) rules(t gate.Thresholds) ([]gate.Rule, error) {
	if d.lowestEfficiency != "" && t.MinEfficiency != "" {
		return nil, errors.New("--lowestEfficiency and --min-efficiency set the same rule: give one")
	}
	var rules []gate.Rule
	for _, kv := range []struct{ name, setting string }{
		{gate.NameLowestEfficiency, d.lowestEfficiency},
		{gate.NameHighestWastedBytes, d.highestWastedBytes},
		{gate.NameHighestUserWastedPercent, d.highestUserWastedPercent},
	} {
		if kv.setting == "" {
			continue
		}
		r, err := gate.ParseRule(kv.name, kv.setting, "--"+kv.name)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", kv.name, err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// podmanPrefix is dive's spelling of an image in podman's engine.
const podmanPrefix = "podman://"

// transports are the prefixes that give a reference its source already.
var transports = []string{"docker-archive:", "oci:", "docker-daemon:", "docker://", "oci-archive:"}

// reference maps dive's --source and an IMAGE to the reference whittle
// reads, and the options reading it needs: docker is docker-daemon:IMAGE,
// docker-archive (or dive's docker-tar) is docker-archive:IMAGE, podman is
// docker-daemon:IMAGE asked of the podman API socket (see podmanHost).
// dive's podman://IMAGE is --source podman IMAGE. Without --source the IMAGE
// is unchanged. getenv reads the environment.
func (d *diveFlags) reference(image string, getenv func(string) string) (string, []imageref.Option, error) {
	if rest, ok := strings.CutPrefix(image, podmanPrefix); ok {
		if d.source != "" && d.source != "podman" {
			return "", nil, fmt.Errorf("--source %s: %s already names its source (podman); give one", d.source, image)
		}
		if rest == "" {
			return "", nil, fmt.Errorf("%s: missing image name after %s", image, podmanPrefix)
		}
		return podmanReference(rest, image, getenv)
	}
	if d.source == "" {
		return image, nil, nil
	}
	for _, t := range transports {
		if strings.HasPrefix(image, t) {
			return "", nil, fmt.Errorf("--source %s: %s already names its source (%s); give one", d.source, image, strings.TrimSuffix(t, ":"))
		}
	}
	switch d.source {
	case "docker":
		return "docker-daemon:" + image, nil, nil
	case "docker-archive", "docker-tar":
		return "docker-archive:" + image, nil, nil
	case "podman":
		return podmanReference(image, "--source podman", getenv)
	}
	return "", nil, fmt.Errorf("--source: unknown engine %q (want docker, podman or docker-archive)", d.source)
}

// podmanReference is docker-daemon:IMAGE asked of podman's API socket (see
// podmanHost); errors start with what, how the user asked for podman.
func podmanReference(image, what string, getenv func(string) string) (string, []imageref.Option, error) {
	host, err := podmanHost(getenv)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w; or save the image and read the archive: podman save -o image.tar %s && whittle analyze docker-archive:image.tar", what, err, image)
	}
	c, err := client.New(client.WithHost(host))
	if err != nil {
		return "", nil, fmt.Errorf("%s: connecting to %s: %w", what, host, err)
	}
	return "docker-daemon:" + image, []imageref.Option{imageref.WithDaemonClient(c)}, nil
}

// podmanHost finds podman's Docker-compatible API: CONTAINER_HOST (podman's
// own variable, a unix:// or tcp:// URL), else the socket of a rootless
// podman ($XDG_RUNTIME_DIR/podman/podman.sock), else of a rootful one
// (/run/podman/podman.sock). The socket exists once the service runs
// (systemctl --user start podman.socket, or podman system service).
func podmanHost(getenv func(string) string) (string, error) {
	if h := getenv("CONTAINER_HOST"); h != "" {
		u, err := url.Parse(h)
		if err != nil || (u.Scheme != "unix" && u.Scheme != "tcp") {
			return "", fmt.Errorf("CONTAINER_HOST=%s is not a unix:// or tcp:// URL", h)
		}
		return h, nil
	}
	var tried []string
	if dir := getenv("XDG_RUNTIME_DIR"); dir != "" {
		tried = append(tried, filepath.Join(dir, "podman", "podman.sock"))
	}
	tried = append(tried, "/run/podman/podman.sock")
	for _, p := range tried {
		if fi, err := os.Stat(p); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return "unix://" + p, nil
		}
	}
	return "", fmt.Errorf("no podman API socket (CONTAINER_HOST is unset, and there is none at %s); start it with systemctl --user start podman.socket", strings.Join(tried, " or "))
}

// analyzeGateOn reports whether analyze judges the image by the CI rules:
// with --ci, --ci-config or a threshold flag (whittle's or dive's); or, as
// dive does, when the environment says CI (see diveCIFromEnv), unless
// --ci=false says otherwise.
func analyzeGateOn(flags *pflag.FlagSet, o *analyzeOptions, cfg analyzeConfig, cfgPath string, getenv func(string) string) bool {
	if o.ci || o.ciConfig != "" || o.thresholds != (gate.Thresholds{}) || o.dive.thresholds() {
		return true
	}
	if flags.Changed("ci") {
		return false
	}
	ciConfig := cfg.CIConfig
	if ciConfig != "" && !filepath.IsAbs(ciConfig) {
		ciConfig = filepath.Join(filepath.Dir(cfgPath), ciConfig)
	}
	return diveCIFromEnv(getenv, ciConfig)
}

// diveCIFromEnv reports whether the environment turns the CI gate on as it
// does for dive: CI is "true", "1" or "yes" (dive's reading), and a dive CI
// file is there to judge by: ciConfig (ci-config: of .whittle.yaml, already
// relative to the working directory) or .dive-ci in the working directory.
func diveCIFromEnv(getenv func(string) string, ciConfig string) bool {
	switch getenv("CI") {
	case "true", "1", "yes":
	default:
		return false
	}
	path := ciConfig
	if path == "" {
		path = gate.DiveCIFile
	}
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir()
}
