#!/usr/bin/env bash
# Checks deploy/prometheus/ (config, rules, the rules' unit tests) and deploy/grafana/possync.json
# (JSON, PromQL syntax, and only metric names the services expose or the rules record).
# Installs Debian's prometheus (promtool) and jq when missing. Exit 1 when any check fails.
# shellcheck source-path=SCRIPTDIR disable=SC2016,SC2317  # literal $__…; functions run by check()
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"

PROM="$ROOT/deploy/prometheus"
DASHBOARD="$ROOT/deploy/grafana/possync.json"
# What the services expose (deploy/prometheus/README.md); rules and panels may use nothing else.
EXPOSED="up possync_http_requests_total possync_sync_queue_backlog
possync_sync_queue_oldest_unpublished_seconds possync_publish_failures_total
possync_publish_retries_total possync_conflicts_total possync_push_refusals_total
possync_nats_connected possync_mysql_up possync_ws_connections possync_ws_max_connections
possync_ws_events_in_total possync_ws_events_out_total possync_ws_slow_disconnects_total
possync_ws_resyncs_total possync_ws_rooms possync_janitor_relayed_total"
for histogram in possync_http_request_seconds possync_ws_event_lag_seconds possync_janitor_relay_lag_seconds; do
  EXPOSED+=" ${histogram}_bucket ${histogram}_sum ${histogram}_count"
done

ensure_packages promtool:prometheus jq:jq
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
check() {
  say "$1"
  shift
  "$@" || { failed=1; say "FAILED"; }
}

# known NAME...: fails for each name that is neither exposed nor recorded.
known() {
  local recorded name bad=0
  recorded=$(sed -nE 's/^ *- record: *([^ ]+) *$/\1/p' "$PROM/recording.yml")
  for name in "$@"; do
    grep -qxF -- "$name" <(tr ' ' '\n' <<<"$EXPOSED"; echo "$recorded") \
      || { echo "unknown metric: $name"; bad=1; }
  done
  return "$bad"
}

# metric_names: the metric names PromQL expressions (one a line) select: strings, label
# matchers, ranges and grouping clauses removed, then every identifier that is neither a
# function call nor a keyword.
metric_names() {
  sed -E -e 's/"([^"\\]|\\.)*"//g' -e 's/\{[^}]*\}//g' -e 's/\[[^]]*\]//g' \
    -e 's/\b(by|without|on|ignoring|group_left|group_right) *\([^)]*\)//g' \
    | grep -oE '[A-Za-z_:][A-Za-z0-9_:]* *\(?' | grep -v '($' | tr -d ' ' \
    | grep -vxE 'by|without|on|ignoring|group_left|group_right|bool|and|or|unless|offset|Inf|NaN' \
    | sort -u
}

# The rules' metric names (no full parse of YAML here: every possync_ or recorded name).
rules_names() {
  # shellcheck disable=SC2046
  known $(grep -hv -e '^ *#' -e '- record:' "$PROM/recording.yml" "$PROM/alerts.yml" \
    | grep -oE '[A-Za-z_:]*possync_[A-Za-z0-9_:]*' | sort -u)
}

dashboard_exprs() {
  jq -r '[.. | objects | .expr? // empty] | .[] | gsub("\n"; " ")' "$DASHBOARD" \
    | sed -e 's/\$__rate_interval/1m/g' -e 's/\$__interval/1m/g'
}

# The dashboard parses, has a Prometheus datasource variable, and its expressions parse
# (checked by promtool as recording rules) and use known names only.
dashboard() {
  jq -e '[.templating.list[] | select(.type == "datasource" and .query == "prometheus")] | length == 1' \
    "$DASHBOARD" >/dev/null || { echo "no Prometheus datasource variable"; return 1; }
  dashboard_exprs | jq -R . | jq -s '{groups: [{name: "dashboard",
    rules: [to_entries[] | {record: "dashboard:expr_\(.key)", expr: .value}]}]}' >"$tmp/dashboard.json"
  [ "$(jq '.groups[0].rules | length' "$tmp/dashboard.json")" -gt 0 ] || { echo "no expressions"; return 1; }
  promtool check rules "$tmp/dashboard.json" >"$tmp/dashboard.out" 2>&1 || { cat "$tmp/dashboard.out"; return 1; }
  # shellcheck disable=SC2046
  known $(dashboard_exprs | metric_names)
}

started=$(date +%s%N)
cp "$PROM"/*.yml "$tmp/"
echo '[]' >"$tmp/targets.json"
check "promtool check config (with an empty targets.json)" promtool check config "$tmp/prometheus.yml"
check "promtool check rules" promtool check rules "$PROM/recording.yml" "$PROM/alerts.yml"
check "promtool test rules" promtool test rules "$PROM"/tests/*.yml
check "metric names in the rules" rules_names
check "dashboard ${DASHBOARD#"$ROOT/"}" jq empty "$DASHBOARD"
check "dashboard expressions" dashboard
elapsed=$((($(date +%s%N) - started) / 1000000))
if [ $failed = 0 ]; then say "all checks passed in $elapsed ms"; else say "checks FAILED (in $elapsed ms)"; fi
exit $failed
