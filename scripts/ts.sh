#!/usr/bin/env bash
# The TypeScript client (clients/typescript, npm package @possync/client): its checks and tests.
# Sourced by run-tests.sh (then call run_ts_tests) or run on its own:
#   scripts/ts.sh            unit tests and package checks (Node ≥ 20, installed when missing)
#   POSSYNC_TS_BROWSER=1 scripts/ts.sh
#                            also the real-stack tests in headless Chromium (Debian's package,
#                            installed when missing) against ingest/fanout built in target/;
#                            they need POSSYNC_TEST_MYSQL and POSSYNC_TEST_NATS (as run-tests.sh sets).
# The output ends with one line: `typescript: N passed, N failed`.

source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"
source "$(dirname "${BASH_SOURCE[0]}")/vitest.sh"
TS_DIR="$ROOT/clients/typescript"

# ts_step NAME CMD...: runs one check, counting it as one passed or failed test.
ts_step() {
  local name=$1; shift
  if (cd "$TS_DIR" && "$@"); then TS_PASSED=$((TS_PASSED + 1)); else TS_FAILED=$((TS_FAILED + 1)); say "FAILED: typescript $name"; fi
}

# ts_vitest NAME ARGS...: runs vitest and adds its test counts.
ts_vitest() {
  local name=$1; shift
  run_vitest "$TS_DIR" "$@" || say "FAILED: typescript $name"
  TS_PASSED=$((TS_PASSED + VITEST_PASSED)); TS_FAILED=$((TS_FAILED + VITEST_FAILED))
}

run_ts_tests() {
  TS_PASSED=0; TS_FAILED=0
  ensure_node || { echo "typescript: 0 passed, 1 failed"; return 1; }
  say "node $(node -v), npm $(npm -v)"
  (cd "$TS_DIR" && npm ci --no-audit --no-fund --loglevel=error) || { echo "typescript: 0 passed, 1 failed"; return 1; }
  ts_step "typecheck" npm run --silent typecheck
  ts_step "generated types match openapi.json" npm run --silent check:types-drift
  ts_step "build" npm run --silent build
  ts_step "publint + are-the-types-wrong" npm run --silent lint:package
  ts_step "size budget" npm run --silent size
  ts_vitest "unit tests"
  if [ "${POSSYNC_TS_BROWSER:-0}" = 1 ]; then
    ensure_chromium
    ts_vitest "chromium real-stack tests" --config vitest.browser.config.ts
  fi
  echo "typescript: $TS_PASSED passed, $TS_FAILED failed"
  [ "$TS_FAILED" = 0 ]
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -uo pipefail
  run_ts_tests
fi
