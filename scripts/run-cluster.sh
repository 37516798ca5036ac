#!/usr/bin/env bash
# Runs possync as a cluster on this machine until Ctrl-C: a 3-node NATS cluster (the stream
# replicated 3 times), a MariaDB primary with a GTID replica, 2 ingest, 3 fanout and 2 janitor
# processes, HAProxy serving REST and /ws on 127.0.0.1:8000 (CLUSTER_PORT), and Prometheus
# scraping the services with the rules of deploy/prometheus/. Installs what
# is missing like run-stack.sh; data under .local/cluster/ (CLUSTER_DIR; fresh each run), the
# running processes in its processes.json as [{"role", "pid", "port"}]. Release binaries, or
# the debug ones already built with CLUSTER_PROFILE=debug (the test command's short fault run).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"
source "$(dirname "${BASH_SOURCE[0]}")/prometheus.sh"

CLUSTER_PORT=${CLUSTER_PORT:-8000}
CLUSTER_PROFILE=${CLUSTER_PROFILE:-release}
# room: every device of a room on one fanout replica; leastconn: the balancing before it (to
# compare NATS deliveries per change, BENCHMARKS.md).
FANOUT_BALANCE=${FANOUT_BALANCE:-room}
DIR=${CLUSTER_DIR:-$ROOT/.local/cluster}
PIDS=()
PROCESSES=()

stop_all() {
  # A second Ctrl-C while stopping must not leave MariaDB or NATS running.
  trap '' INT TERM
  trap - EXIT
  say "stopping the cluster"
  # Also what a fault tool started again (it writes their new pids to processes.json).
  local restarted=()
  [ -s "$DIR/processes.json" ] && mapfile -t restarted < <(jq -r '.[].pid' "$DIR/processes.json")
  stop_processes "${PIDS[@]}" "${restarted[@]}"
  rm -f "$DIR/processes.json"
  for mount in "${MOUNTS[@]}"; do as_root umount "$mount" || true; done
  [ "${#MOUNTS[@]}" = 0 ] || rm -rf "$SMALL_DISKS"
  say "stopped"
  exit 0
}

# Small disks (CLUSTER_SMALL_DISKS=1, for the fault suite's full-disk faults): each NATS
# node's store and each MariaDB's data directory on an ext4 filesystem of its own, a
# sparse image of SMALL_DISK_SIZE (1G) in .local/disks-<dir>/, mounted with deps.sh's
# as_root. Unmounted when the cluster stops, and before a new run deletes the directory.
MOUNTS=()
SMALL_DISKS="$ROOT/.local/disks-$(basename "$DIR")"

# small_disk DIR: DIR as a filesystem of its own (when CLUSTER_SMALL_DISKS=1).
small_disk() {
  mkdir -p "$1"
  [ "${CLUSTER_SMALL_DISKS:-0}" = 1 ] || return 0
  local image
  image="$SMALL_DISKS/$(echo "${1#"$DIR/"}" | tr / -).img"
  mkdir -p "$SMALL_DISKS"
  rm -f "$image"
  truncate -s "${SMALL_DISK_SIZE:-1G}" "$image"
  mkfs.ext4 -q -F -m 0 "$image"
  # discard: what a fault's filler took goes back to the host when it is deleted.
  as_root mount -o loop,discard "$image" "$1" || die "cannot mount a small disk at $1 (root or sudo -n)"
  MOUNTS+=("$1")
  as_root chown "$(id -u):$(id -g)" "$1"
  as_root rmdir "$1/lost+found"
}

# unmount_under DIR: unmounts what an earlier run left mounted under DIR.
unmount_under() {
  local mount
  awk -v dir="$1/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | while read -r mount; do
    as_root umount "$mount" || true
  done
}

# started ROLE PORT: records the last background process.
started() {
  PIDS+=($!)
  PROCESSES+=("$(jq -cn --arg role "$1" --argjson pid $! --argjson port "$2" '{$role, $pid, $port}')")
}

# write_processes FILE: the processes started so far, written whole at once (run-chaos.sh
# starts when processes.json appears).
write_processes() {
  printf '%s\n' "${PROCESSES[@]}" | jq -s . >"$1.new"
  mv "$1.new" "$1"
}

# next_port START: sets PORT to a free port from START on that this script has not handed
# out yet (not in a subshell: it remembers what it handed out).
TAKEN=" "
next_port() {
  PORT=$1
  while port_is_open "$PORT" || [[ "$TAKEN" == *" $PORT "* ]]; do PORT=$((PORT + 1)); done
  TAKEN+="$PORT "
}

start_nats() {
  ensure_nats_server_bin
  local ports=() routes=() monitors=() n
  for n in 1 2 3; do
    next_port 24222; ports+=("$PORT")
    next_port 26222; routes+=("$PORT")
    next_port 28222; monitors+=("$PORT")
  done
  local route_urls
  route_urls=$(printf 'nats-route://127.0.0.1:%s,' "${routes[@]}")
  for n in 0 1 2; do
    mkdir -p "$DIR/nats-$n"
    small_disk "$DIR/nats-$n/jetstream"
    cat >"$DIR/nats-$n/nats.conf" <<CONF
listen: 127.0.0.1:${ports[$n]}
http: 127.0.0.1:${monitors[$n]}
server_name: possync-n$n
max_payload: 1MB
jetstream { store_dir: "$DIR/nats-$n/jetstream", max_memory_store: 256MB, max_file_store: 4GB }
cluster { name: possync, listen: 127.0.0.1:${routes[$n]}, routes: [${route_urls%,}] }
CONF
    "$NATS_SERVER_BIN" -c "$DIR/nats-$n/nats.conf" -l "$DIR/nats-$n/nats.log" &
    started nats "${ports[$n]}"
  done
  for n in 0 1 2; do wait_for_port "${ports[$n]}" "NATS node $n"; done
  NATS_URL=$(printf 'nats://127.0.0.1:%s,' "${ports[@]}")
  NATS_URL=${NATS_URL%,}
  NATS_MONITORS="${monitors[*]}"
}

# start_mariadb ROLE SERVER_ID: a MariaDB with binary logs and GTIDs; sets PORT. Both are
# configured alike but for read_only, so that the fault suite can promote the replica and
# make the old primary its replica. Semi-synchronous replication (AFTER_SYNC): a commit is
# acknowledged once the replica has it, so a promotion after the primary dies loses no
# acknowledged write; without a replica's answer in 1 s the primary goes on asynchronously
# until the replica catches up (it reconnects every second, not every minute, after a
# primary restarted).
start_mariadb() {
  local role=$1 id=$2 read_only=0
  [ "$role" = mariadb-replica ] && read_only=1
  small_disk "$DIR/$role/data"
  next_port 23306
  start_mariadb_in "$DIR/$role" "$PORT" --innodb-buffer-pool-size=256M \
    --server-id="$id" --log-bin="$DIR/$role/binlog" --log-slave-updates --binlog-format=ROW \
    --gtid-strict-mode=1 --innodb-flush-log-at-trx-commit=1 --sync-binlog=1 \
    --rpl-semi-sync-master-enabled=1 --rpl-semi-sync-slave-enabled=1 \
    --rpl-semi-sync-master-timeout=1000 --rpl-semi-sync-master-wait-point=AFTER_SYNC \
    --read-only="$read_only"
  started "$role" "$PORT"
  wait_for_port "$PORT" "$role"
}

sql() { mariadb --protocol=tcp -h 127.0.0.1 -P "$1" -u root -e "$2"; }

start_mariadb_pair() {
  start_mariadb mariadb-primary 1
  PRIMARY_PORT=$PORT
  start_mariadb mariadb-replica 2
  REPLICA_PORT=$PORT
  sql "$REPLICA_PORT" "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$PRIMARY_PORT, \
    MASTER_USER='root', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE;"
  sql "$PRIMARY_PORT" "CREATE DATABASE possync CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
}

# haproxy_error CODE: what HAProxy answers for CODE itself, in the contract's error shape.
haproxy_error() {
  local body='{"error":{"code":"unavailable","message":"no server can take this request now; retry shortly"}}'
  local reason="Service Unavailable"
  [ "$1" = 502 ] && reason="Bad Gateway"
  [ "$1" = 504 ] && reason="Gateway Timeout"
  printf 'HTTP/1.1 %s %s\r\nContent-Type: application/json\r\nCache-Control: no-cache\r\nRetry-After: 2\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' \
    "$1" "$reason" "${#body}" "$body"
}

# haproxy_config: REST to the ingest replicas, /ws to the fanout replicas, each checked on
# /readyz. Every device of a room goes to the same fanout replica: a consistent hash of the
# room `client_id:branch_id`, read from the token's claims wherever the device sends it (the
# subprotocol, the bearer header or ?token=, the order fanout reads them in). HAProxy only
# routes on the claims; fanout still verifies the token. Weight 256 gives each replica 256
# points on the ring (weight 1 spread 200 rooms over 3 replicas as 77/49/74; 256: 67/70/63);
# a replica that goes away moves only its own rooms.
haproxy_config() {
  local code
  for code in 502 503 504; do haproxy_error "$code" >"$DIR/haproxy-$code.http"; done
  cat <<CONF
global
  maxconn 8000
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout tunnel 1h
  # A check may take up to a readiness probe's 2 s wait; without this it would time out at
  # its 1 s interval.
  timeout check 3s
  option http-server-close
  # A request that cannot connect (a replica just killed) goes to another replica.
  retries 3
  option redispatch
  # With no replica ready (MariaDB down) or a replica that failed, the contract's error shape.
  errorfile 502 $DIR/haproxy-502.http
  errorfile 503 $DIR/haproxy-503.http
  errorfile 504 $DIR/haproxy-504.http
frontend possync
  bind 127.0.0.1:$CLUSTER_PORT
  use_backend fanout if { path_beg /ws }
  default_backend ingest
backend ingest
  option httpchk GET /readyz
$(for p in "${INGEST_PORTS[@]}"; do echo "  server ingest-$p 127.0.0.1:$p check inter 1s fall 2 rise 1"; done)
backend fanout
$(fanout_balance)
  option httpchk GET /readyz
$(for p in "${FANOUT_PORTS[@]}"; do echo "  server fanout-$p 127.0.0.1:$p weight 256 check inter 1s fall 2 rise 1"; done)
CONF
}

# fanout_balance: how HAProxy picks a fanout replica (FANOUT_BALANCE).
fanout_balance() {
  if [ "$FANOUT_BALANCE" = leastconn ]; then
    echo "  balance leastconn"
    return
  fi
  cat <<'CONF'
  http-request set-var(txn.jwt) url_param(token) if { url_param(token) -m found }
  http-request set-var(txn.jwt) http_auth_bearer if { http_auth_bearer -m found }
  http-request set-var(txn.jwt) req.fhdr(sec-websocket-protocol),regsub("^.*possync\.token\.","") if { req.fhdr(sec-websocket-protocol) -m sub possync.token. }
  http-request set-var(txn.branch) var(txn.jwt),jwt_payload_query('$.branch_id',int)
  http-request set-var(txn.room) var(txn.jwt),jwt_payload_query('$.client_id',int),concat(:,txn.branch,)
  balance hash var(txn.room)
  hash-type consistent sdbm avalanche
  # Bounded loads: a replica past twice the average connections gets no new ones; they go to
  # the next replica of the ring. Without it a full replica (WS_MAX_CONNECTIONS) would get
  # its rooms' devices back after every 503; a shop's room (5-20 devices) never spills, the
  # fault suite's rooms of 1,500 did at 1.5 times (1.67 replicas a room).
  hash-balance-factor 200
CONF
}

ensure_rust
ensure_packages curl:curl jq:jq haproxy:haproxy mariadbd:mariadb-server mariadb:mariadb-client \
  prometheus:prometheus mkfs.ext4:e2fsprogs
port_is_open "$CLUSTER_PORT" && die "port $CLUSTER_PORT is already in use; set CLUSTER_PORT"
if [ "$CLUSTER_PROFILE" = debug ]; then
  BIN="$ROOT/target/debug"
  [ -x "$BIN/ingest" ] || build_services debug
else
  say "building ingest, possync-admin, fanout and janitor (release)"
  build_services release
  BIN="$ROOT/target/release"
fi
# Each fanout replica holds thousands of sockets; the default soft limit is often 1,024.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

unmount_under "$DIR"
rm -rf "$DIR"
mkdir -p "$DIR"
trap stop_all INT TERM EXIT
start_nats
start_mariadb_pair
secret_file="$ROOT/.local/cluster-jwt-secret"
[ -s "$secret_file" ] || head -c 48 /dev/urandom | base64 | tr -d '\n' >"$secret_file"
export JWT_SECRET="${JWT_SECRET:-$(cat "$secret_file")}"
# The fault suite's checker reads every group of its run back from the stream: 2 h, not the
# 10 minutes devices need.
export DATABASE_URL="mysql://root@127.0.0.1:$PRIMARY_PORT/possync" NATS_URL NATS_STREAM_REPLICAS=3 \
  NATS_STREAM_MAX_AGE_SECS=${NATS_STREAM_MAX_AGE_SECS:-7200}
"$BIN/possync-admin" seed-demo

INGEST_PORTS=() FANOUT_PORTS=()
for n in 1 2; do
  next_port 23000
  INGEST_PORTS+=("$PORT")
  BIND_ADDR="127.0.0.1:$PORT" "$BIN/ingest" >"$DIR/ingest-$n.log" 2>&1 &
  started ingest "$PORT"
done
# HAProxy marks a replica down after 2 failed checks 1 s apart: a stopped replica keeps
# letting devices in for 2.5 s before it drains, or the room hash would send the devices it
# drains straight back to it for a 503 and a longer backoff.
for n in 1 2 3; do
  next_port 23100
  FANOUT_PORTS+=("$PORT")
  WS_DRAIN_DELAY_MS=2500 BIND_ADDR="127.0.0.1:$PORT" "$BIN/fanout" >"$DIR/fanout-$n.log" 2>&1 &
  started fanout "$PORT"
done
for n in 1 2; do
  next_port 23200
  BIND_ADDR="127.0.0.1:$PORT" "$BIN/janitor" >"$DIR/janitor-$n.log" 2>&1 &
  started janitor "$PORT"
done
for port in "${INGEST_PORTS[@]}" "${FANOUT_PORTS[@]}"; do wait_for_port "$port" "a service"; done
haproxy_config >"$DIR/haproxy.cfg"
"$(sbin haproxy)" -db -f "$DIR/haproxy.cfg" >"$DIR/haproxy.log" 2>&1 &
started balancer "$CLUSTER_PORT"
wait_for_port "$CLUSTER_PORT" HAProxy
write_processes "$DIR/scraped.json"
next_port 29090
start_prometheus "$DIR/prometheus" "$PORT" "$DIR/scraped.json"
started prometheus "$PORT"
write_processes "$DIR/processes.json"

cat >&2 <<TXT

  possync cluster is running (Ctrl-C stops everything)
    REST and WebSocket  http://127.0.0.1:$CLUSTER_PORT  (ws://127.0.0.1:$CLUSTER_PORT/ws)
    ingest ${INGEST_PORTS[*]}   fanout ${FANOUT_PORTS[*]}   (HAProxy checks /readyz)
    MariaDB primary 127.0.0.1:$PRIMARY_PORT, GTID replica 127.0.0.1:$REPLICA_PORT
    NATS cluster $NATS_URL (stream replicated 3 times; monitoring on ports $NATS_MONITORS)
    Prometheus $PROMETHEUS_URL  (rules and alerts: deploy/prometheus/)
    processes: ${DIR#"$ROOT/"}/processes.json; logs in ${DIR#"$ROOT/"}/

  DEMO TENANT - DEMO ONLY, NEVER IN PRODUCTION: cashier1 / password (branch 1)

TXT
# A process that dies (a fault injected on purpose) leaves the others running; Ctrl-C ends all.
while true; do sleep 3600 & wait $! || true; done
