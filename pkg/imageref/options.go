package imageref

import (
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/daemon"

	"github.com/whittle/whittle/pkg/spool"
)

// Option configures Ref.Image and Ref.Write. Options validate their
// arguments and fail early.
type Option func(*options) error

type options struct {
	platform         v1.Platform
	explicitPlatform bool
	insecure         bool
	keychain         authn.Keychain
	daemonClient     daemon.Client
	tag              string
	replace          bool
	limits           Limits
	timeout          time.Duration
	budget           *spool.Budget

	// transport replaces the HTTP transport for registry access (tests).
	transport http.RoundTripper
	// backoff, when set, is the first wait between retries and resumes
	// (tests; go-containerregistry's default is 1 s, then 3 s).
	backoff time.Duration
	// beforeRename runs after a file sink has been written to its temporary
	// file and before the rename (tests use it to simulate failures).
	beforeRename func(tmp string) error
}

func makeOptions(opts []Option) (*options, error) {
	o := &options{
		platform: hostPlatform(),
		keychain: authn.DefaultKeychain,
		limits:   DefaultLimits(),
		timeout:  DefaultTimeout,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// hostPlatform is the platform picked from a multi-platform index when none
// is asked for: linux on the architecture whittle runs on.
func hostPlatform() v1.Platform {
	return v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
}

// WithPlatform picks the image for platform "os/arch[/variant]" (for example
// "linux/arm64" or "linux/arm/v7") from a multi-platform index. The empty
// string means the default: the host's architecture on linux, or the only
// image when the index holds just one.
func WithPlatform(platform string) Option {
	return func(o *options) error {
		if platform == "" {
			o.platform = hostPlatform()
			o.explicitPlatform = false
			return nil
		}
		p, err := parsePlatform(platform)
		if err != nil {
			return err
		}
		o.platform = p
		o.explicitPlatform = true
		return nil
	}
}

func parsePlatform(s string) (v1.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return v1.Platform{}, fmt.Errorf("parsing platform %q: want os/arch[/variant]", s)
	}
	for _, p := range parts {
		if p == "" || strings.ContainsAny(p, " \t:") {
			return v1.Platform{}, fmt.Errorf("parsing platform %q: want os/arch[/variant]", s)
		}
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// WithInsecure allows plain HTTP (and unverified TLS) to registries.
func WithInsecure(insecure bool) Option {
	return func(o *options) error {
		o.insecure = insecure
		return nil
	}
}

// WithKeychain sets the credentials used for registries. The default is
// authn.DefaultKeychain: the user's docker configuration and helpers.
func WithKeychain(kc authn.Keychain) Option {
	return func(o *options) error {
		if kc == nil {
			return errors.New("keychain is nil")
		}
		o.keychain = kc
		return nil
	}
}

// WithDaemonClient sets the Docker Engine client for docker-daemon:
// references. The default is a client configured from the environment
// (DOCKER_HOST, DOCKER_API_VERSION, DOCKER_CERT_PATH, DOCKER_TLS_VERIFY).
func WithDaemonClient(c daemon.Client) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("daemon client is nil")
		}
		o.daemonClient = c
		return nil
	}
}

// WithTag names the image written by Ref.Write to an archive or a layout:
// the RepoTag of a docker-archive (a reference such as "app:slim") or the
// org.opencontainers.image.ref.name annotation of an OCI layout entry. It is
// a default: a name carried by the reference itself ("oci:DIR:TAG",
// "docker-archive:PATH:NAME") must agree with it. Registry and Docker Engine
// references always name their destination themselves; WithTag does not
// apply to them.
func WithTag(tag string) Option {
	return func(o *options) error {
		if strings.ContainsAny(tag, " \t\n") {
			return fmt.Errorf("invalid tag %q", tag)
		}
		o.tag = tag
		return nil
	}
}

// WithReplace lets Ref.Write replace what is already at the destination:
// an existing archive file, an image of the same tag in an OCI layout, or,
// when no tag is given, a whole OCI layout (written beside it and swapped
// in). Without it (the default) those writes fail with ErrExists. Registry
// and Docker Engine destinations are not checked: a push or a load always
// replaces the tag.
func WithReplace(replace bool) Option {
	return func(o *options) error {
		o.replace = replace
		return nil
	}
}

// WithBudget counts what Write writes to files (an archive, a layout's
// blobs and index.json), and the spool of a docker-daemon: image that
// Image reads, against b, as it is written: a write past it fails with a
// *spool.LimitError, and nothing is left. Pushes and loads into the Docker
// Engine write no file and are not counted. Without it, nothing is capped. Share one budget with squash.WithBudget to cap everything a
// squash writes.
func WithBudget(b *spool.Budget) Option {
	return func(o *options) error {
		o.budget = b
		return nil
	}
}

// withTransport sets the HTTP transport for registry access.
func withTransport(rt http.RoundTripper) Option {
	return func(o *options) error {
		o.transport = rt
		return nil
	}
}

// withBeforeRename installs a hook run just before a file sink renames its
// temporary file into place.
func withBeforeRename(fn func(tmp string) error) Option {
	return func(o *options) error {
		o.beforeRename = fn
		return nil
	}
}
