# shellcheck shell=bash disable=SC2034  # (VITEST_PASSED and VITEST_FAILED are for the caller)
# vitest's counts for the test scripts: sourced by ts.sh and web-demo.sh.

# run_vitest DIR ARGS...: runs `vitest run ARGS` in DIR with its usual output and sets
# VITEST_PASSED and VITEST_FAILED from its JSON report. A run that fails with no failed test
# (a file that does not load, a hook that times out) counts as one failed.
run_vitest() {
  local dir=$1 report status
  shift
  report=$(mktemp)
  (cd "$dir" && npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@")
  status=$?
  read -r VITEST_PASSED VITEST_FAILED < <(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(r.numPassedTests ?? 0, r.numFailedTests ?? 0);' "$report" 2>/dev/null || echo 0 0)
  rm -f "$report"
  if [ "$status" != 0 ] && [ "$VITEST_FAILED" = 0 ]; then VITEST_FAILED=1; fi
  return "$status"
}
