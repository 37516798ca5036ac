#!/usr/bin/env bash
# The POS web demo (clients/web-demo, a Vite app on @possync/client): build and end-to-end
# tests in headless Chromium (Debian's) against real ingest/fanout from target/debug (or
# POSSYNC_BIN), each test file on its own database and NATS stream on POSSYNC_TEST_MYSQL /
# POSSYNC_TEST_NATS (defaults: 127.0.0.1:3306 and :4222, as run-tests.sh sets them), and the
# built demo served as run-stack.sh serves it: by ingest (WEB_ROOT=clients/web-demo/dist).
# Sourced by run-tests.sh (then call run_web_demo_tests) or run on its own:
#   scripts/web-demo.sh               npm ci (the package, then the demo), build, e2e
# It also defines build_web_demo, used by run-stack.sh.
# The output of the tests ends with one line: `web-demo: N passed, N failed`.

source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"
source "$(dirname "${BASH_SOURCE[0]}")/vitest.sh"
DEMO_DIR="$ROOT/clients/web-demo"

# build_web_demo: the demo links the package's dist/ (file:../typescript), so that is built first.
build_web_demo() {
  ensure_node || return 1
  (cd "$ROOT/clients/typescript" && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build) || return 1
  (cd "$DEMO_DIR" && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
}

run_web_demo_tests() {
  if ! build_web_demo; then say "FAILED: web-demo build"; echo "web-demo: 0 passed, 1 failed"; return 1; fi
  ensure_chromium
  run_vitest "$DEMO_DIR" --config vitest.e2e.config.ts || say "FAILED: web-demo e2e"
  # The build counts as one passed test.
  echo "web-demo: $((VITEST_PASSED + 1)) passed, $VITEST_FAILED failed"
  [ "$VITEST_FAILED" = 0 ]
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -uo pipefail
  run_web_demo_tests
fi
