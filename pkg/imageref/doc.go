// Package imageref parses the image references every whittle command
// accepts, opens them as sources and writes images to them as sinks.
//
// One syntax names every location:
//
//	docker-archive:PATH[:NAME]  a `docker save` tar (legacy or current) or an
//	                            OCI archive tar (an OCI image layout in a tar)
//	oci-archive:PATH[:TAG]      an OCI image layout in a tar (skopeo's)
//	oci:DIR[:TAG]               an OCI image layout directory
//	docker-daemon:NAME[:TAG]    the local Docker Engine (honours DOCKER_HOST)
//	docker://REF or REF         a registry, with the user's docker credentials
//	PATH                        an existing tar file or a directory holding
//	                            index.json
//
// Ref.Image opens a source as a v1.Image of go-containerregistry, with its
// layers in manifest order. Archives (docker save and OCI) are indexed by one
// scan of their headers and read in place, never extracted; archives and
// layouts alike cost time linear in their number of layers. Multi-platform indexes are
// resolved with WithPlatform (default: linux on the host's architecture, or
// the only image there is).
//
// WithPlatform also checks single-platform sources: an image whose config
// names another platform gives a *PlatformError. For docker-daemon: an
// explicit platform is passed to the engine.
//
// ParseDestination parses a reference to write to: a bare name is a
// registry only when it starts with a registry host (a dot, a port or
// localhost), and any other bare name that is not a path is an error that
// shows how to spell each kind of destination.
//
// Ref.Write writes an image to any kind of reference. Files are written to a
// temporary name and renamed into place, so a failed write leaves nothing
// behind. Nothing is replaced (an archive, a layout's image of the same tag,
// a whole layout) unless WithReplace(true); Ref.CheckWrite tells before any
// work whether a write would be refused or its directory is not writable.
// Images with Docker manifests are written into OCI layouts and archives
// with OCI media types; their blobs keep their digests. Ref.Same tells when
// two references name the same location, so callers can refuse to overwrite
// their input.
//
// Errors name the reference ("opening docker-archive:x.tar: ..."), never a
// temporary file. Callers branch with errors.Is(err, ErrNotFound) and
// errors.Is(err, ErrExists), and errors.As with *PlatformError,
// *AmbiguousError, *ExistsError and *ParseError.
package imageref
