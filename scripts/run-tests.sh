#!/usr/bin/env bash
# Runs every test of the workspace against a real MariaDB and a real NATS with JetStream, and
# schemathesis against the live API.
# Installs them when missing and starts private instances on free ports (unless DATABASE_URL
# and NATS_URL point at running servers); each test then makes its own database and stream.
# Extra arguments go to `cargo test` (e.g. a test name filter).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"

ensure_rust
trap stop_private_services EXIT
# Tests trade durability for speed on their throw-away server; the stack keeps full durability.
MARIADB_EXTRA_ARGS="--innodb-flush-log-at-trx-commit=2" use_mysql test
use_nats test
ensure_schemathesis

export POSSYNC_TEST_MYSQL="$MYSQL_SERVER_URL" POSSYNC_TEST_NATS="$NATS_URL"
cd "$ROOT"
log=$(mktemp)
status=0
# --include-ignored runs the tests that need what this script sets up (schemathesis).
cargo test --workspace --locked --lib --bins --tests "$@" -- --include-ignored 2>&1 | tee "$log" || status=$?
# One closing line for the whole run: cargo prints one "test result" per test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "all tests: %d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
exit "$status"
