# One image with all possync binaries; compose.yaml picks the command per service.
FROM rust:1.85-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bins

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 possync
COPY --from=build /src/target/release/ingest /src/target/release/fanout \
     /src/target/release/janitor /src/target/release/possync-admin /usr/local/bin/
USER possync
EXPOSE 3000 3001 3002
CMD ["ingest"]
