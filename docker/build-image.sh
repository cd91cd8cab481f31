#!/usr/bin/env bash
# Build the sioproxy image from docker/Dockerfile (`make image`; tests/docker/).
#
#   IMAGE       the tag to build (default localhost/sioproxy:latest)
#   CA_BUNDLE   a CA bundle for pip inside the build, passed as the build secret
#               `cacert` (default: this machine's pip `cert` setting, else
#               /etc/ssl/certs/ca-certificates.crt; empty turns it off); a secret is
#               mounted for one RUN step and never stored in the image
#   PIP_INDEX_URL  the package index (default: this machine's pip `index-url`
#               setting, if any), passed on as a build argument
#
# With docker or podman whose engine answers (`docker info`), that tool builds.
# Otherwise buildah builds without any daemon: chroot isolation, vfs storage, the
# host's network, Docker format (the OCI format drops HEALTHCHECK). When the base
# image debian:bookworm-slim is neither in buildah's store nor pullable, it is made
# locally with mmdebstrap from the Debian mirror in this machine's apt sources and
# tagged under the same name. docs/operations.md, "Build and test the image
# without a Docker daemon".
set -euo pipefail
cd "$(dirname "$0")/.."

pip_setting() {  # this machine's pip setting KEY (environment first, then its config files)
    python3 -m pip config list 2>/dev/null | sed -n "s/^[^.=]*\.$1='\(.*\)'\$/\1/p" | head -1
}

IMAGE=${IMAGE:-localhost/sioproxy:latest}
BASE=docker.io/library/debian:bookworm-slim
# The registries pip uses here: its index (PyPI unless configured) and CA bundle.
PIP_INDEX_URL=${PIP_INDEX_URL:-$(pip_setting index-url)}
if [ -z "${CA_BUNDLE+set}" ]; then
    CA_BUNDLE=$(pip_setting cert)
    CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
fi
export STORAGE_DRIVER=${STORAGE_DRIVER:-vfs}
export BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot}

build_args=(-f docker/Dockerfile -t "$IMAGE")
if [ -n "$CA_BUNDLE" ] && [ -s "$CA_BUNDLE" ]; then
    build_args+=(--secret "id=cacert,src=$CA_BUNDLE")
fi
if [ -n "${PIP_INDEX_URL:-}" ]; then
    build_args+=(--build-arg "PIP_INDEX_URL=$PIP_INDEX_URL")
fi

for engine in docker podman; do
    if command -v "$engine" >/dev/null 2>&1 && "$engine" info >/dev/null 2>&1; then
        echo "building $IMAGE with $engine"
        if [ "$engine" = docker ]; then
            export DOCKER_BUILDKIT=1  # RUN --mount=type=secret needs BuildKit
        else
            build_args+=(--format docker --ignorefile docker/Dockerfile.dockerignore)
        fi
        exec "$engine" build "${build_args[@]}" .
    fi
done

if ! command -v buildah >/dev/null 2>&1; then
    echo "build-image.sh: no docker/podman engine answers and buildah is not installed" \
        "(tests/docker/install_tools.sh installs it)" >&2
    exit 2
fi

make_base() {
    # debian:bookworm-slim's recipe in short: minbase, no docs, man pages or locales,
    # and its apt.conf.d/docker-clean (apt keeps no downloaded packages).
    local sources=/etc/apt/sources.list.d/debian.sources tar
    [ -f "$sources" ] || sources=http://deb.debian.org/debian
    tar=$(mktemp --suffix=.tar)
    echo "making $BASE with mmdebstrap (mirror: $sources)"
    mmdebstrap --quiet --variant=minbase --format=tar \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-exclude=/usr/share/info/*' \
        --customize-hook='cat > "$1/etc/apt/apt.conf.d/docker-clean" <<EOF
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF' \
        --customize-hook='rm -f "$1"/var/cache/apt/*.bin' \
        bookworm "$tar" "$sources"
    local ctr
    ctr=$(buildah from scratch)
    buildah add --quiet "$ctr" "$tar" / >/dev/null
    buildah config --cmd '["bash"]' \
        --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
    buildah commit --quiet --format docker --rm "$ctr" "$BASE" >/dev/null
    rm -f "$tar"
}

if ! buildah inspect --type image "$BASE" >/dev/null 2>&1; then
    buildah pull --quiet "$BASE" >/dev/null 2>&1 || make_base
fi
# A short name in FROM is looked up as localhost/NAME in the local store.
buildah tag "$BASE" localhost/debian:bookworm-slim

echo "building $IMAGE with buildah ($STORAGE_DRIVER storage, $BUILDAH_ISOLATION isolation)"
buildah bud --format docker --layers --pull=never --network host \
    --ignorefile docker/Dockerfile.dockerignore "${build_args[@]}" .
echo "$IMAGE: $(buildah images --format '{{.Size}}' "$IMAGE") (uncompressed)"
