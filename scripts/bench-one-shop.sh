#!/usr/bin/env bash
# One busy shop, measured from outside with a load generator light enough not to be the
# bottleneck: wrk (Debian's, installed when missing) pushes 50 new invoices a request over 8
# connections (--tills) with the token of one shop's cashier, for --seconds against a fresh
# database, and prints records/s, latency p50/p99 and failed pushes per run.
#
#   scripts/bench-one-shop.sh [--seconds 20] [--rounds 1] [--tills 8] [--bin DIR]...
#
# Each --bin is a directory with `ingest` and `possync-admin` (default: this checkout's
# release build); with several, the rounds alternate between them, so builds are compared
# within one run (this machine's speed varies between days). MariaDB as in the stack command
# (DATABASE_URL's server, or a private one); NATS is always a private one, wiped at the end.
# `--json FILE` writes the runs as JSON lines.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"

SECONDS_EACH=20
ROUNDS=1
TILLS=8
BINS=()
JSON=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --tills) TILLS=$2; shift 2 ;;
    --bin) BINS+=("$(cd "$2" && pwd)"); shift 2 ;;
    --json) JSON=$2; shift 2 ;;
    *) die "unknown argument $1 (see the top of $0)" ;;
  esac
done

ensure_packages wrk:wrk curl:curl jq:jq
if [ ${#BINS[@]} -eq 0 ]; then
  ensure_rust
  say "building ingest and possync-admin (release)"
  build_services release
  BINS=("$ROOT/target/release")
fi

INGEST_PID="" RUN_DB=""
finish() {
  trap '' INT TERM
  trap - EXIT
  [ -n "$INGEST_PID" ] && stop_processes "$INGEST_PID"
  # A run that failed half-way leaves no database behind.
  [ -n "$RUN_DB" ] && sql "DROP DATABASE IF EXISTS $RUN_DB"
  stop_private_services
  rm -rf "$ROOT/.local/bench-one-shop/nats"
}
trap finish INT TERM EXIT
use_mysql bench-one-shop
unset NATS_URL
use_nats bench-one-shop
sql() { mysql_cli --skip-column-names -e "$1"; }
[ -n "$JSON" ] && : >"$JSON"

# run_once BIN N: one measured run of the build in BIN on a fresh database.
run_once() {
  local bin=$1 n=$2 db="possync_one_shop_$$_$2" port token out
  sql "CREATE DATABASE $db CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
  RUN_DB=$db
  export DATABASE_URL="$MYSQL_SERVER_URL/$db" NATS_URL
  export JWT_SECRET="bench-one-shop-secret-of-at-least-32-bytes" NATS_STREAM="ONE_SHOP_$n"
  export NATS_SUBJECT_PREFIX="oneshop$n" RUST_LOG=${RUST_LOG:-warn}
  "$bin/possync-admin" seed-demo >/dev/null
  port=$(free_port 13500)
  BIND_ADDR="127.0.0.1:$port" "$bin/ingest" >"$ROOT/.local/bench-one-shop/ingest.log" 2>&1 &
  INGEST_PID=$!
  wait_for_port "$port" ingest
  token=$(curl -sf "http://127.0.0.1:$port/api/auth/login" -H 'Content-Type: application/json' \
    -d '{"username":"cashier1","password":"password"}' | jq -r .accessToken)
  out=$(POSSYNC_TOKEN=$token POSSYNC_RUN="r$n" wrk -t"$(( TILLS < 2 ? TILLS : 2 ))" -c"$TILLS" -d"${SECONDS_EACH}s" --timeout 10s \
    -s "$ROOT/scripts/bench/one-shop.lua" "http://127.0.0.1:$port")
  stop_processes "$INGEST_PID"
  INGEST_PID=""
  local stored pushes seconds p50 p99 failed
  stored=$(sql "SELECT COUNT(*) FROM $db.records")
  sql "DROP DATABASE $db"
  RUN_DB=""
  field() { awk -v k="$1" '$1 == k {print $2}' <<<"$out"; }
  pushes=$(field pushes) seconds=$(field seconds) p50=$(field latency_p50_ms)
  p99=$(field latency_p99_ms) failed=$(field pushes_failed)
  local rate
  rate=$(awk -v p="$pushes" -v s="$seconds" 'BEGIN {printf "%.0f", p * 50 / s}')
  printf '%-40s %8s records/s  p50 %7s ms  p99 %7s ms  %6s pushes  %s failed  %s records stored\n' \
    "$bin" "$rate" "$p50" "$p99" "$pushes" "$failed" "$stored"
  [ -n "$JSON" ] && jq -nc --arg bin "$bin" --argjson rate "$rate" --argjson p50 "$p50" \
    --argjson p99 "$p99" --argjson pushes "$pushes" --argjson failed "$failed" \
    --argjson stored "$stored" '{bin: $bin, records_per_second: $rate, p50_ms: $p50,
      p99_ms: $p99, pushes: $pushes, failed: $failed, records_stored: $stored}' >>"$JSON"
  [ "$failed" = 0 ] || die "$failed pushes failed (see .local/bench-one-shop/ingest.log)"
  # Pushes still in flight when wrk stopped may have committed: one a till more than counted.
  [ "$stored" -ge $((pushes * 50)) ] && [ "$stored" -le $(((pushes + TILLS) * 50)) ] \
    || die "$stored records stored for $pushes answered pushes of 50"
}

say "one shop, $TILLS tills, 50 records a push, ${SECONDS_EACH} s a run, $ROUNDS round(s) of ${#BINS[@]} build(s)"
n=0
for _ in $(seq "$ROUNDS"); do
  for bin in "${BINS[@]}"; do
    n=$((n + 1))
    run_once "$bin" "$n"
  done
done
