# kiln's container image (issue 19): built with cargo in a Rust image, run from a slim Debian image
# that holds only the kiln binary and the health check, as a non-root user.
#
#   docker build -t registry.example.com/kiln:0.1.0 .
#   docker run -p 8080:8080 -v "$PWD/runs/house-prices/RUN_ID:/models:ro" \
#       registry.example.com/kiln:0.1.0 serve /models/model.json --addr 0.0.0.0:8080
#
# The base images are build arguments, for a mirror or a pinned digest (deploy/podman-verify.sh
# builds this file on local bases made with debootstrap): --build-arg RUST_IMAGE=... RUNTIME_IMAGE=...
# The runtime image must be Debian bookworm or newer (glibc >= the build image's) and have bash.
ARG RUST_IMAGE=rust:1.95-slim-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${RUST_IMAGE} AS build
WORKDIR /build
# The dependencies first, in a layer of their own, built against stub sources: a change to kiln's
# source then rebuilds kiln alone, not polars (15 minutes or more on 2 cores).
COPY Cargo.toml Cargo.lock ./
RUN mkdir src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src
COPY src ./src
# cargo rebuilds what is newer than its last build: the copied files keep their own (older) times,
# so touch the crate roots, or the stub binary would be taken for up to date.
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked \
    && ./target/release/kiln --version \
    && install -m 0755 target/release/kiln /usr/local/bin/kiln

FROM ${RUNTIME_IMAGE}
# No CA certificates: kiln opens no outgoing connection (serve listens, the other commands read and
# write local files). A fixed numeric uid, so Kubernetes' runAsNonRoot can check the image's USER.
RUN groupadd --system --gid 10001 kiln \
    && useradd --system --uid 10001 --gid kiln --home-dir /work --no-create-home --shell /usr/sbin/nologin kiln \
    && mkdir /work && chown kiln:kiln /work
COPY --from=build /usr/local/bin/kiln /usr/local/bin/kiln
COPY deploy/healthcheck.sh /usr/local/bin/kiln-healthcheck
USER 10001:10001
# kiln run reads pipelines and data relative to the working directory: mount them here.
WORKDIR /work
EXPOSE 8080
# For kiln serve on port 8080 (KILN_HEALTHCHECK_ADDR for another); a container running another
# command reports unhealthy, which changes nothing for it. Kubernetes ignores HEALTHCHECK and uses
# the probes in deploy/kiln-serve.yaml.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["kiln-healthcheck"]
ENTRYPOINT ["kiln"]
CMD ["--help"]
