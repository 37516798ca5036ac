#!/usr/bin/env bash
# The fault suite: starts the local cluster (scripts/run-cluster.sh, data in .local/chaos/),
# runs possync-chaos against it and stops the cluster. Installs what is missing like the
# cluster script.
#   scripts/run-chaos.sh            the full run: every fault 3 times, 1,000 devices a fanout
#   scripts/run-chaos.sh --short    the test command's run: every fault once, then 4 drawn
#                                   with seed 2026 that overlap; 100 devices a fanout
#   scripts/run-chaos.sh --rounds 0 --random 12 --random-span-seconds 300 --long-holds
#                                   the random schedule: 12 faults drawn, overlapping, some
#                                   held past the heartbeat allowance or the duplicate window
# Other arguments go to possync-chaos (`--help` lists them); its figures: BENCHMARKS.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"

profile=release
args=(--rounds 3 --hold-seconds 5 --settle-seconds 5)
if [ "${1:-}" = --short ]; then
  shift
  profile=debug
  args=(--rounds 1 --hold-seconds 2 --settle-seconds 2 --outage-seconds 8 --affinity-seconds 5 --tills 4
    --watchers-per-fanout 100 --random 4 --random-span-seconds 20 --seed 2026)
fi
ensure_rust
ensure_packages faketime:faketime nft:nftables ss:iproute2
# The clock faults run a service under libfaketime (the wall clock only).
POSSYNC_LIBFAKETIME=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
[ -n "$POSSYNC_LIBFAKETIME" ] || die "libfaketime.so.1 not found after installing faketime"
export POSSYNC_LIBFAKETIME
build_services "$profile" --bin possync-chaos
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# NATS's stores and MariaDB's data on small disks of their own, for the full-disk faults.
export CLUSTER_DIR="$ROOT/.local/chaos" CLUSTER_PORT CLUSTER_PROFILE=$profile CLUSTER_SMALL_DISKS=1
CLUSTER_PORT=$(free_port 18000)
mkdir -p "$CLUSTER_DIR"
rm -f "$CLUSTER_DIR/processes.json"
"$ROOT/scripts/run-cluster.sh" >"$ROOT/.local/chaos-cluster.log" 2>&1 &
cluster=$!
stop_cluster() { kill -TERM "$cluster" 2>/dev/null || true; wait "$cluster" 2>/dev/null || true; }
trap stop_cluster EXIT
for _ in $(seq 1 600); do
  [ -s "$CLUSTER_DIR/processes.json" ] && break
  kill -0 "$cluster" 2>/dev/null || die "the cluster did not start: see .local/chaos-cluster.log"
  sleep 0.5
done
[ -s "$CLUSTER_DIR/processes.json" ] || die "the cluster did not start in 5 minutes: see .local/chaos-cluster.log"
say "cluster up on 127.0.0.1:$CLUSTER_PORT; injecting faults"
"$ROOT/target/$profile/possync-chaos" --cluster "$CLUSTER_DIR/processes.json" "${args[@]}" "$@"
