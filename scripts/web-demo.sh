#!/usr/bin/env bash
# The POS web demo (clients/web-demo, a Vite app on @possync/client): build and end-to-end
# tests in headless Chromium (Debian's) against real ingest/fanout from target/debug (or
# POSSYNC_BIN), each test file on its own database and NATS stream on POSSYNC_TEST_MYSQL /
# POSSYNC_TEST_NATS (defaults: 127.0.0.1:3306 and :4222, as run-tests.sh sets them).
# Sourced by run-tests.sh (then call run_web_demo_tests) or run on its own:
#   scripts/web-demo.sh          npm ci (the package, then the demo), build, e2e
# It also defines build_web_demo, used by run-stack.sh (which serves dist/ on :3003).
# The output ends with one line: `web-demo: N passed, N failed`.

DEMO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEMO_DIR="$DEMO_ROOT/clients/web-demo"
source "$DEMO_ROOT/scripts/ts.sh"

demo_say() { printf '\033[1m[possync:web-demo]\033[0m %s\n' "$*" >&2; }

# build_web_demo: the demo links the package's dist/ (file:../typescript), so that is built first.
build_web_demo() {
  ensure_node || return 1
  (cd "$TS_DIR" && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build) || return 1
  (cd "$DEMO_DIR" && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
}

run_web_demo_tests() {
  local passed=0 failed=0 log line status
  if ! build_web_demo; then demo_say "FAILED: build"; echo "web-demo: 0 passed, 1 failed"; return 1; fi
  passed=1
  ensure_chromium
  log=$(mktemp)
  (cd "$DEMO_DIR" && npx vitest run --reporter=default --config vitest.e2e.config.ts) 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  line=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ +Tests ' | tail -1)
  passed=$((passed + $(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)))
  failed=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0)
  if [ "$status" != 0 ] && [ "${failed:-0}" = 0 ]; then failed=1; demo_say "FAILED: e2e"; fi
  rm -f "$log"
  echo "web-demo: $passed passed, ${failed:-0} failed"
  [ "${failed:-0}" = 0 ]
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -uo pipefail
  run_web_demo_tests
fi
