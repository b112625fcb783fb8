# whittle in a container: a static binary on scratch, with the CA
# certificates it needs to reach registries over HTTPS, a writable /tmp, and
# a non-root user.
#
#   docker build -t whittle .
#   docker run --rm -v "$PWD:/work" -w /work whittle analyze app.tar
#
# GO_IMAGE is the builder: any image with Go at go.mod's version or later,
# CA certificates, and git if the binary should carry its VCS revision
# (whittle version). The build context holds .git for that (.dockerignore).
ARG GO_IMAGE=golang:1.26-bookworm

FROM ${GO_IMAGE} AS build
WORKDIR /src
# The modules first, in a layer of their own that source changes keep; the
# module cache stays in this stage, which the image does not keep.
COPY go.mod go.sum ./
# whittle ignore=WH507
RUN go mod download
COPY . .
# The final image's whole filesystem, made here and copied in one layer:
# the binary, the CA bundle, and /tmp (whittle spools and writes temporary
# files there). Go's build cache stays in this stage, which the image does
# not keep.
# whittle ignore=WH505
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /rootfs/whittle ./cmd/whittle \
	&& mkdir -p /rootfs/etc/ssl/certs /rootfs/tmp \
	&& cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
	&& chmod 1777 /rootfs/tmp \
	&& /rootfs/whittle version

FROM scratch
COPY --from=build /rootfs/ /
USER 65532:65532
ENTRYPOINT ["/whittle"]
