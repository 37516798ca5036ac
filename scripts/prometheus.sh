# shellcheck shell=bash
# Prometheus for the local cluster, sourced by scripts/run-cluster.sh after scripts/deps.sh:
#   prometheus_targets PROCESSES_JSON OUT     file_sd targets of the roles serving /metrics
#   start_prometheus DIR PORT PROCESSES_JSON  Prometheus with deploy/prometheus/ on 127.0.0.1:PORT;
#                                             sets PROMETHEUS_PID, PROMETHEUS_URL (also in DIR/url)
# The config and the rules: deploy/prometheus/ (README.md there); their checks: check-alerts.sh.

# The roles that serve /metrics on 127.0.0.1:<port> (NATS's monitoring port is JSON).
PROMETHEUS_ROLES='["ingest","fanout","janitor"]'

# prometheus_targets PROCESSES_JSON OUT: one target group per role, labelled job=<role>,
# written whole at once (Prometheus watches the file). A process started again by a fault
# tool keeps its port, so the targets stay right for the cluster's life.
prometheus_targets() {
  jq --argjson roles "$PROMETHEUS_ROLES" '
    [ map(select(.role as $role | $roles | index($role))) | group_by(.role)[]
      | {targets: (map("127.0.0.1:\(.port)") | unique), labels: {job: .[0].role}} ]' \
    "$1" >"$2.new"
  mv "$2.new" "$2"
}

# start_prometheus DIR PORT PROCESSES_JSON: copies the config and rules into DIR, writes
# DIR/targets.json, starts Prometheus in the background (data in DIR/data, log in
# DIR/prometheus.log) and returns once it answers /-/ready. The caller stops PROMETHEUS_PID.
start_prometheus() {
  local dir=$1 port=$2 processes=$3
  ensure_packages prometheus:prometheus curl:curl jq:jq
  port_is_open "$port" && die "port $port (Prometheus) is already in use"
  mkdir -p "$dir/data"
  cp "$ROOT"/deploy/prometheus/{prometheus,recording,alerts}.yml "$dir/"
  prometheus_targets "$processes" "$dir/targets.json"
  prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --web.listen-address="127.0.0.1:$port" >"$dir/prometheus.log" 2>&1 &
  PROMETHEUS_PID=$!
  PROMETHEUS_URL="http://127.0.0.1:$port"
  echo "$PROMETHEUS_URL" >"$dir/url"
  for _ in $(seq 1 150); do
    kill -0 "$PROMETHEUS_PID" 2>/dev/null || break
    if curl -fs "$PROMETHEUS_URL/-/ready" >/dev/null 2>&1; then
      say "Prometheus on $PROMETHEUS_URL (alerts: $PROMETHEUS_URL/alerts)"
      return 0
    fi
    sleep 0.2
  done
  kill -TERM "$PROMETHEUS_PID" 2>/dev/null || true
  die "Prometheus was not ready on port $port within 30 s: see $dir/prometheus.log"
}
