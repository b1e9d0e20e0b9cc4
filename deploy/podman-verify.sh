#!/usr/bin/env bash
# Builds the Dockerfile with podman on a machine without Docker Hub, and checks the image serving a
# model (what deploy/VERIFIED.md records). Run as root, from anywhere, on Debian bookworm with
# `apt-get install podman debootstrap` and a Rust toolchain from rustup:
#
#   deploy/podman-verify.sh bases             # local base images for the Dockerfile's two stages
#   deploy/podman-verify.sh build [ARGS...]   # podman build of the Dockerfile on them (ARGS: e.g. --network host)
#   deploy/podman-verify.sh train             # kiln run pipelines/house_prices.toml in the image
#   deploy/podman-verify.sh check MODEL.json  # serve MODEL.json in the image: health, predict, user, healthcheck
#
# The bases stand in for rust:1.95-slim-bookworm and debian:bookworm-slim: a debootstrap minbase
# bookworm (the runtime), and the same plus gcc, libc6-dev and the host's rustup toolchain under
# /usr/local/rustup and /usr/local/cargo, where the official Rust image has them (the build).
# Scratch files go to $KILN_VERIFY_DIR (default /tmp/kiln-podman-verify); KILN_VERIFY_CONTEXT builds
# another directory than this repository (e.g. a `git archive` of one commit).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${KILN_VERIFY_DIR:-/tmp/kiln-podman-verify}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
runtime_base=localhost/kiln-verify/debian:bookworm-minbase
rust_base=localhost/kiln-verify/rust:1.95-bookworm-minbase
# The image name of the Dockerfile, the README and the manifests (tests/deploy.rs checks they agree).
image=registry.example.com/kiln:0.1.0
mkdir -p "$work"
# This machine's podman needed two settings (a sandbox without CAP_SYS_RESOURCE, and cgroups in
# hybrid mode): runc, since crun refuses hybrid cgroups, and ulimits no higher than the sandbox
# grants (podman's defaults raise them, which fails). An existing CONTAINERS_CONF is used as it is.
if [ -z "${CONTAINERS_CONF:-}" ]; then
    cat >"$work/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=32768:32768"]
[engine]
runtime = "runc"
CONF
    export CONTAINERS_CONF="$work/containers.conf"
fi

bases() {
    local rootfs="$work/runtime-rootfs" rustfs="$work/rust-rootfs"
    if [ ! -x "$rootfs/bin/bash" ]; then
        nice -n 15 debootstrap --variant=minbase bookworm "$rootfs" "$mirror"
    fi
    tar -C "$rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' - "$runtime_base"

    if [ ! -x "$rustfs/usr/bin/gcc" ]; then
        rm -rf "$rustfs"
        cp -a "$rootfs" "$rustfs"
        cp /etc/resolv.conf "$rustfs/etc/resolv.conf"
        chroot "$rustfs" apt-get update
        DEBIAN_FRONTEND=noninteractive chroot "$rustfs" \
            apt-get install -y --no-install-recommends gcc libc6-dev ca-certificates
        chroot "$rustfs" apt-get clean
        rm -rf "$rustfs"/var/lib/apt/lists/*
    fi
    # The host's CA bundle, for cargo to reach crates.io through a proxy that the host trusts (this
    # machine's intercepts TLS with a CA of its own). It goes into the build stage only.
    cp /etc/ssl/certs/ca-certificates.crt "$rustfs/etc/ssl/certs/ca-certificates.crt"
    # The host's default toolchain, without its documentation (800 MB nobody builds with).
    local rustup_home="${RUSTUP_HOME:-$HOME/.rustup}" cargo_home="${CARGO_HOME:-$HOME/.cargo}"
    local toolchain
    toolchain="$(sed -n 's/^default_toolchain = "\(.*\)"/\1/p' "$rustup_home/settings.toml")"
    rm -rf "$rustfs/usr/local/rustup" "$rustfs/usr/local/cargo"
    mkdir -p "$rustfs/usr/local/rustup/toolchains/$toolchain" "$rustfs/usr/local/cargo/bin"
    tar -C "$rustup_home/toolchains/$toolchain" --exclude=./share/doc -c . |
        tar -C "$rustfs/usr/local/rustup/toolchains/$toolchain" -x
    printf 'version = "12"\ndefault_toolchain = "%s"\nprofile = "minimal"\n' "$toolchain" \
        >"$rustfs/usr/local/rustup/settings.toml"
    cp "$cargo_home/bin/rustup" "$rustfs/usr/local/cargo/bin/rustup"
    for tool in cargo rustc rustdoc; do
        ln -sf rustup "$rustfs/usr/local/cargo/bin/$tool"
    done
    tar -C "$rustfs" -c . | podman import \
        --change 'ENV RUSTUP_HOME=/usr/local/rustup' \
        --change 'ENV CARGO_HOME=/usr/local/cargo' \
        --change 'ENV PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["/bin/bash"]' - "$rust_base"
    podman run --rm "$rust_base" cargo --version
    podman images --filter reference='localhost/kiln-verify/*'
}

build() {
    # The release build compiles polars and the rest: 15 to 30 minutes on 2 cores.
    # --format docker: podman's default OCI format has no HEALTHCHECK (podman drops it, with a warning).
    nice -n 15 podman build --format docker \
        --build-arg RUST_IMAGE="$rust_base" \
        --build-arg RUNTIME_IMAGE="$runtime_base" \
        -t "$image" "$@" "${KILN_VERIFY_CONTEXT:-$repo}"
    podman images "$image"
    podman image inspect "$image" --format 'size {{.Size}} bytes; user {{.Config.User}}; entrypoint {{.Config.Entrypoint}}'
    podman image inspect "$image" --format 'healthcheck {{json .HealthCheck}}'
}

train() {
    # kiln run in the image, as its user, root filesystem read-only: the repository mounted
    # read-only at /work (pipelines/ and data/), the run written to a volume at /runs.
    local runs="$work/runs"
    rm -rf "$runs" && mkdir -p "$runs" && chown 10001:10001 "$runs"
    podman run --rm --read-only -v "$repo:/work:ro" -v "$runs:/runs" \
        "$image" run pipelines/house_prices.toml --out /runs --quiet
    ls "$runs"/house-prices/*/model.json
}

check() {
    local model="${1:?usage: check MODEL.json}" name=kiln-verify-serve port=18080
    model="$(cd "$(dirname "$model")" && pwd)/$(basename "$model")"
    podman rm -f "$name" >/dev/null 2>&1 || true
    # --read-only as Kubernetes' readOnlyRootFilesystem; the model directory mounted read-only.
    # An image built in OCI format has lost its HEALTHCHECK: then the Dockerfile's is given here.
    local health=()
    if [ "$(podman image inspect "$image" --format '{{json .HealthCheck}}')" = null ]; then
        echo "the image has no HEALTHCHECK (OCI format): running the Dockerfile's with --health-cmd"
        health=(--health-cmd '["kiln-healthcheck"]' --health-interval 30s --health-timeout 5s
            --health-start-period 10s --health-retries 3)
    fi
    podman run -d --name "$name" --read-only -p "127.0.0.1:$port:8080" "${health[@]}" \
        -v "$(dirname "$model"):/models:ro" \
        "$image" serve /models/model.json --addr 0.0.0.0:8080
    trap "podman rm -f $name >/dev/null" EXIT
    for _ in $(seq 50); do
        curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
        sleep 0.2
    done
    echo "--- GET /health"
    curl -sS -i "http://127.0.0.1:$port/health"
    echo
    echo "--- POST /predict"
    curl -sS -i "http://127.0.0.1:$port/predict" -H 'content-type: application/json' \
        -d '{"rows": [{"area": 1710, "Bedroom.AbvGr": 3, "Neighborhood": "NAmes"},
                      {"area": 2300, "Bedroom.AbvGr": 4, "Neighborhood": null}]}'
    echo
    echo "--- process owner (uid gid user) and the image's USER"
    podman exec "$name" bash -c 'echo "$(id -u) $(id -g) $(id -un)"; ps -o user=,pid=,args= 2>/dev/null || cat /proc/1/status | grep -E "^(Name|Uid|Gid):"'
    podman image inspect "$image" --format 'USER {{.Config.User}}'
    echo "--- podman healthcheck run"
    if podman healthcheck run "$name"; then echo healthy; else echo "unhealthy (exit $?)"; fi
    podman inspect "$name" --format 'health status: {{.State.Health.Status}}'
    echo "--- the container's log"
    podman logs "$name" 2>&1 | tail -n 5
}

case "${1:-}" in
    bases) bases ;;
    build) shift; build "$@" ;;
    train) train ;;
    check) shift; check "$@" ;;
    *) sed -n '2,17p' "$0"; exit 2 ;;
esac
