#!/usr/bin/env bash
# Runs the whole possync stack on this machine until Ctrl-C: MariaDB and NATS (installed when
# missing, private instances unless DATABASE_URL / NATS_URL point at running servers), the
# migrations, the DEMO tenant, ingest on :3000, fanout on :3001, the janitor (health :3002)
# and the POS web demo (clients/web-demo, built here; POSSYNC_WEB_DEMO=0 skips it), served by
# ingest at :3000 (WEB_ROOT, with a PWA's caching) as production serves it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"
source "$(dirname "${BASH_SOURCE[0]}")/web-demo.sh"

INGEST_PORT=${INGEST_PORT:-3000}
FANOUT_PORT=${FANOUT_PORT:-3001}
JANITOR_PORT=${JANITOR_PORT:-3002}
WEB_DEMO=${POSSYNC_WEB_DEMO:-1}
SERVICE_PIDS=()

stop_all() {
  # A second Ctrl-C while stopping must not leave MariaDB or NATS running.
  trap '' INT TERM
  trap - EXIT
  say "stopping"
  stop_processes "${SERVICE_PIDS[@]}"
  stop_private_services
  say "stopped"
}

ensure_rust
ensure_packages curl:curl jq:jq
for port in "$INGEST_PORT" "$FANOUT_PORT" "$JANITOR_PORT"; do
  port_is_open "$port" && die "port $port is already in use; stop what runs there or set INGEST_PORT/FANOUT_PORT/JANITOR_PORT"
done

say "building ingest, possync-admin, fanout and janitor (release)"
build_services release
BIN="$ROOT/target/release"
if [ "$WEB_DEMO" = 1 ]; then
  say "building the POS web demo (clients/web-demo)"
  build_web_demo || die "the web demo did not build (POSSYNC_WEB_DEMO=0 runs the stack without it)"
  export WEB_ROOT="$DEMO_DIR/dist"
fi

trap stop_all INT TERM EXIT
use_mysql stack
use_nats stack
# DATABASE_URL's database (possync when it names none) and options, on the server in use.
DB_NAME=possync DB_OPTIONS=""
if [ -n "${DATABASE_URL:-}" ]; then
  parse_url "$DATABASE_URL" 3306
  DB_NAME=${URL_DATABASE:-possync} DB_OPTIONS=$URL_OPTIONS
fi
export DATABASE_URL="$MYSQL_SERVER_URL/$DB_NAME$DB_OPTIONS" NATS_URL
if [ -z "${JWT_SECRET:-}" ]; then
  secret_file="$ROOT/.local/stack/jwt-secret"
  mkdir -p "${secret_file%/*}"
  [ -s "$secret_file" ] || head -c 48 /dev/urandom | base64 | tr -d '\n' >"$secret_file"
  JWT_SECRET=$(cat "$secret_file")
fi
export JWT_SECRET
# The POS web demo is on ingest's origin (no CORS needed) and opens its socket to fanout: the
# Origin allow-list on fanout (devices that send no Origin, e.g. the Rust client, are not affected).
DEMO_ORIGINS="http://127.0.0.1:$INGEST_PORT,http://localhost:$INGEST_PORT"
export WS_ALLOWED_ORIGINS="${WS_ALLOWED_ORIGINS-$DEMO_ORIGINS}"

# Created when missing (asked first: a user may have rights on it but none to create one).
if [ -z "$(mysql_cli -N -e "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '$DB_NAME'")" ]; then
  mysql_cli -e "CREATE DATABASE \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" \
    || die "cannot create the database $DB_NAME on the MySQL/MariaDB server"
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
$([ "$WEB_DEMO" = 1 ] && echo "    web demo http://127.0.0.1:$INGEST_PORT/   (POS till, PWA, served by ingest; ?lang=ar for Arabic; log in as cashier1)" || true)
    MySQL    $(url_shown "$MYSQL_SERVER_URL" 3306)  database $DB_NAME
    NATS     $(url_shown "$NATS_URL" 4222)

  DEMO TENANT - DEMO ONLY, NEVER IN PRODUCTION: client 1, branches 1 and 2
    admin / password (super_admin)   cashier1 / password (branch 1)   cashier2 / password (branch 2)

TXT
wait -n "${SERVICE_PIDS[@]}" || true
say "a service exited"
