# syntax=docker/dockerfile:1
# pgredis in a container: built with the Rust toolchain, run on Debian slim.
# The image serves a database given by DATABASE_URL (see docker-compose.yml); it carries no
# PostgreSQL of its own, so the embedded default (no DATABASE_URL) is not available in it.

FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
# The cache mounts keep the registry and build artefacts between builds (BuildKit).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && install -m 755 target/release/pgredis /usr/local/bin/pgredis

FROM debian:bookworm-slim
RUN useradd --system --user-group --uid 10001 --home-dir /var/lib/pgredis --create-home pgredis
COPY --from=builder /usr/local/bin/pgredis /usr/local/bin/pgredis
USER pgredis
WORKDIR /var/lib/pgredis
ENV PGREDIS_BIND=0.0.0.0 \
    PGREDIS_PORT=6379
EXPOSE 6379
ENTRYPOINT ["pgredis"]
CMD ["server", "--bind", "0.0.0.0"]
