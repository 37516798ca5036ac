#!/usr/bin/env bash
# Runs the whole possync stack on this machine until Ctrl-C: MariaDB and NATS (installed when
# missing, private instances unless DATABASE_URL / NATS_URL point at running servers), the
# migrations, the DEMO tenant, ingest on :3000, fanout on :3001 and the janitor (health :3002).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"

INGEST_PORT=${INGEST_PORT:-3000}
FANOUT_PORT=${FANOUT_PORT:-3001}
JANITOR_PORT=${JANITOR_PORT:-3002}
SERVICE_PIDS=()

stop_all() {
  trap - INT TERM EXIT
  say "stopping"
  local pid
  for pid in "${SERVICE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${SERVICE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_private_services
  say "stopped"
}

ensure_rust
ensure_packages curl:curl jq:jq
for port in "$INGEST_PORT" "$FANOUT_PORT" "$JANITOR_PORT"; do
  port_is_open "$port" && die "port $port is already in use; stop what runs there or set INGEST_PORT/FANOUT_PORT/JANITOR_PORT"
done

say "building (release)"
(cd "$ROOT" && cargo build --release --locked --bins)
BIN="$ROOT/target/release"

trap stop_all INT TERM EXIT
use_mysql stack
use_nats stack
DB_NAME=${DATABASE_URL:+${DATABASE_URL##*/}}
export DATABASE_URL="$MYSQL_SERVER_URL/${DB_NAME:-possync}" NATS_URL
if [ -z "${JWT_SECRET:-}" ]; then
  secret_file="$ROOT/.local/stack/jwt-secret"
  [ -s "$secret_file" ] || head -c 48 /dev/urandom | base64 | tr -d '\n' >"$secret_file"
  JWT_SECRET=$(cat "$secret_file")
fi
export JWT_SECRET
# The POS web demo calls ingest from its own origin (fanout's WS_ALLOWED_ORIGINS is empty: any).
export CORS_ALLOWED_ORIGINS="${CORS_ALLOWED_ORIGINS-http://127.0.0.1:3003,http://localhost:3003}"

if [ -z "$DB_NAME" ]; then
  mariadb --protocol=tcp -h 127.0.0.1 -P "$(url_port "$MYSQL_SERVER_URL" 3306)" -u root \
    -e "CREATE DATABASE IF NOT EXISTS possync CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
fi
"$BIN/possync-admin" seed-demo

BIND_ADDR="127.0.0.1:$INGEST_PORT" "$BIN/ingest" & SERVICE_PIDS+=($!)
BIND_ADDR="127.0.0.1:$FANOUT_PORT" "$BIN/fanout" & SERVICE_PIDS+=($!)
BIND_ADDR="127.0.0.1:$JANITOR_PORT" "$BIN/janitor" & SERVICE_PIDS+=($!)
wait_for_port "$INGEST_PORT" ingest
wait_for_port "$FANOUT_PORT" fanout
wait_for_port "$JANITOR_PORT" janitor

cat >&2 <<TXT

  possync is running (Ctrl-C stops everything)
    ingest   http://127.0.0.1:$INGEST_PORT   (REST API, /healthz, /readyz)
    fanout   ws://127.0.0.1:$FANOUT_PORT/ws  (WebSocket, /healthz, /readyz)
    janitor  http://127.0.0.1:$JANITOR_PORT   (/healthz, /readyz)
    MySQL    $MYSQL_SERVER_URL  database ${DB_NAME:-possync}
    NATS     $NATS_URL

  DEMO TENANT - DEMO ONLY, NEVER IN PRODUCTION: client 1, branches 1 and 2
    admin / password (super_admin)   cashier1 / password (branch 1)   cashier2 / password (branch 2)

TXT
wait -n "${SERVICE_PIDS[@]}" || true
say "a service exited"
