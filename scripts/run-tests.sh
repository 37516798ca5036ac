#!/usr/bin/env bash
# Checks the Rust module graph (scripts/check-imports.py), runs every test of the workspace against a real MariaDB and a real NATS with JetStream,
# schemathesis against the live API, and the TypeScript package's checks, unit tests and
# real-stack tests in headless Chromium (scripts/ts.sh), and the POS web demo's end-to-end
# tests in Chromium (scripts/web-demo.sh), a short possync-sim run, a short one-shop load
# generator run (scripts/bench-one-shop.sh), a short fault suite on
# a local cluster (scripts/run-chaos.sh --short), the Prometheus rules' unit tests
# (scripts/check-alerts.sh) and the Kubernetes manifests against their schemas offline
# (scripts/check-manifests.sh); skipped when a filter is given.
# Installs them when missing and starts private instances on free ports (unless DATABASE_URL
# and NATS_URL point at running servers); each test then makes its own database and stream.
# Extra arguments go to `cargo test` (e.g. a test name filter).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"
source "$(dirname "${BASH_SOURCE[0]}")/ts.sh"
source "$(dirname "${BASH_SOURCE[0]}")/web-demo.sh"

ensure_rust
trap stop_private_services EXIT
# Tests trade durability for speed on their throw-away server; the stack keeps full durability.
MARIADB_EXTRA_ARGS="--innodb-flush-log-at-trx-commit=2" use_mysql test
use_nats test
ensure_schemathesis

export POSSYNC_TEST_MYSQL="$MYSQL_SERVER_URL" POSSYNC_TEST_NATS="$NATS_URL"
cd "$ROOT"
# No import cycle between the Rust crates' files.
python3 scripts/check-imports.py
log=$(mktemp)
status=0
# --include-ignored runs the tests that need what this script sets up (schemathesis).
cargo test --workspace --locked --lib --bins --tests "$@" -- --include-ignored 2>&1 | tee "$log" || status=$?
if [ $# -eq 0 ]; then
  # The Chromium tests run the debug ingest, fanout and possync-admin against their own database.
  cargo build --workspace --locked --bins
  # A short run of the benchmark and device simulator (the full run: BENCHMARKS.md): it fails
  # when a simulated device does not converge or a stock row is not its start minus all sold.
  if target/debug/possync-sim --samples 20 --writers 2 --seconds 2 --devices 4 --clients 1 \
      --idle-connections 200 --big-pull-rows 2000 --writer-steps 1,2 --writer-step-seconds 1 \
      --fanout-devices 100 --fanout-rooms 10 --fanout-step-seconds 1 \
      --page-cost-records 20000 --page-cost-samples 3 --first-sync-records 20000 \
      --stream-memory-messages 20000 --stream-memory-subjects 2000 \
      --charts target/possync-sim-charts 2>&1 | tail -n 30; then
    echo "possync-sim: 1 passed, 0 failed" | tee -a "$log"
  else
    echo "possync-sim: 0 passed, 1 failed" | tee -a "$log"; status=1
  fi
  # A short fault suite on a local cluster (3 NATS, MariaDB primary + replica, 2 ingest,
  # 3 fanout, 2 janitors, HAProxy): every fault once (the full run: BENCHMARKS.md).
  # A short run of the one-shop load generator (wrk; the full run: BENCHMARKS.md): it fails
  # when a push fails or the records stored are not the pushes answered.
  if DATABASE_URL="$MYSQL_SERVER_URL/possync" scripts/bench-one-shop.sh --seconds 3 \
      --bin target/debug 2>&1 | tail -n 5; then
    echo "bench-one-shop: 1 passed, 0 failed" | tee -a "$log"
  else
    echo "bench-one-shop: 0 passed, 1 failed" | tee -a "$log"; status=1
  fi
  if scripts/run-chaos.sh --short 2>&1 | tail -n 30; then
    echo "chaos: 1 passed, 0 failed" | tee -a "$log"
  else
    echo "chaos: 0 passed, 1 failed" | tee -a "$log"; status=1
  fi
  # The alert rules (promtool check and unit tests per alert) and the deploy manifests.
  if scripts/check-alerts.sh 2>&1 | tail -n 20; then
    echo "alerts: 1 passed, 0 failed" | tee -a "$log"
  else
    echo "alerts: 0 passed, 1 failed" | tee -a "$log"; status=1
  fi
  scripts/check-manifests.sh 2>&1 | tail -n 20 | tee -a "$log" || status=1
  # Without -e: a failed check is counted and the rest still run.
  (set +e; POSSYNC_TS_BROWSER=1 run_ts_tests) 2>&1 | tee -a "$log" || status=1
  (set +e; run_web_demo_tests) 2>&1 | tee -a "$log" || status=1
fi
# One closing line for the whole run: cargo prints one "test result" per test binary, the
# TypeScript, web-demo, possync-sim, bench-one-shop, chaos, alerts and manifests runs one "<name>: N passed,
# N failed" each.
awk '/^test result:/ { p += $4; f += $6 } /^(typescript|web-demo|possync-sim|bench-one-shop|chaos|alerts|manifests): [0-9]+ passed/ { p += $2; f += $4 }
     END { printf "all tests: %d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
exit "$status"
