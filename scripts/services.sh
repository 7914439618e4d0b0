#!/usr/bin/env bash
# Brings up, checks or stops the real services scaleblocks' integration tests talk to, on loopback:
#   Redis standalone      127.0.0.1:6379
#   Redis Cluster         127.0.0.1:7000-7002 (three masters, no replicas)
#   PostgreSQL primary    127.0.0.1:5432 (trust auth on loopback)
#   PostgreSQL standby    127.0.0.1:5433 (streaming replica of the primary, made by pg_basebackup -R)
#
# usage: scripts/services.sh up|status|down
#
# `up` is idempotent: it starts only what is not answering, installs (apt-get) only what is
# missing, and changes nothing when everything is healthy. `down` stops only what this script
# started (it keeps pid files and markers under $SCALEBLOCKS_RUNTIME), never a service that was
# running before it.
set -euo pipefail

RUNTIME=${SCALEBLOCKS_RUNTIME:-/var/lib/scaleblocks}
REDIS_PORT=6379
CLUSTER_PORTS=(7000 7001 7002)
PG_PORT=5432
REPLICA_PORT=5433
REPLICA_DIR="$RUNTIME/pg-replica"
REPLICA_SOCK="$RUNTIME/pg-replica-sock"
SLOT=scaleblocks_replica

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

need_root() {
  [ "$(id -u)" -eq 0 ] || die "$1 needs root (run as root, or bring the service up yourself)"
}

# ---------------------------------------------------------------- packages
ensure_packages() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
  ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
  command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
  if [ ${#missing[@]} -gt 0 ]; then
    need_root "installing ${missing[*]}"
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

pg_version() { ls /usr/lib/postgresql | sort -V | tail -n 1; }
pg_bin() { echo "/usr/lib/postgresql/$(pg_version)/bin"; }

# ---------------------------------------------------------------- redis
redis_ping() { [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = "PONG" ]; }

wait_until() { # seconds description command...
  local seconds=$1 what=$2; shift 2
  local end=$((SECONDS + seconds))
  until "$@"; do
    [ $SECONDS -lt $end ] || die "timed out after ${seconds}s waiting for $what"
    sleep 0.2
  done
}

start_redis_standalone() {
  if redis_ping $REDIS_PORT; then return; fi
  local dir="$RUNTIME/redis-$REDIS_PORT"
  mkdir -p "$dir"
  log "starting redis on 127.0.0.1:$REDIS_PORT"
  redis-server --daemonize yes --bind 127.0.0.1 --port $REDIS_PORT --save "" --appendonly no \
    --dir "$dir" --logfile "$dir/redis.log" --pidfile "$dir/redis.pid"
  wait_until 20 "redis on $REDIS_PORT" redis_ping $REDIS_PORT
}

cluster_ok() {
  local p
  for p in "${CLUSTER_PORTS[@]}"; do
    redis-cli -h 127.0.0.1 -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
    [ "$(redis-cli -h 127.0.0.1 -p "$p" cluster info 2>/dev/null | tr -d '\r' | awk -F: '/^cluster_known_nodes/{print $2}')" = "${#CLUSTER_PORTS[@]}" ] || return 1
  done
}

start_redis_cluster() {
  local p dir
  for p in "${CLUSTER_PORTS[@]}"; do
    redis_ping "$p" && continue
    dir="$RUNTIME/redis-$p"
    mkdir -p "$dir"
    log "starting redis cluster node on 127.0.0.1:$p"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$p" --save "" --appendonly no \
      --cluster-enabled yes --cluster-config-file "$dir/nodes.conf" --cluster-node-timeout 5000 \
      --dir "$dir" --logfile "$dir/redis.log" --pidfile "$dir/redis.pid"
  done
  for p in "${CLUSTER_PORTS[@]}"; do wait_until 20 "redis cluster node $p" redis_ping "$p"; done
  cluster_ok && return
  # Nodes that restarted with their nodes.conf rejoin on their own: give them a moment first.
  local end=$((SECONDS + 10))
  while [ $SECONDS -lt $end ]; do cluster_ok && return; sleep 0.5; done
  log "creating the redis cluster on ports ${CLUSTER_PORTS[*]}"
  for p in "${CLUSTER_PORTS[@]}"; do
    redis-cli -h 127.0.0.1 -p "$p" flushall >/dev/null 2>&1 || true
    redis-cli -h 127.0.0.1 -p "$p" cluster reset hard >/dev/null
  done
  local nodes=()
  for p in "${CLUSTER_PORTS[@]}"; do nodes+=("127.0.0.1:$p"); done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >/dev/null
  wait_until 60 "cluster_state:ok on every node" cluster_ok
}

# ---------------------------------------------------------------- postgresql
pg_ready() { pg_isready -q -h 127.0.0.1 -p "$1" >/dev/null 2>&1; }
psql_at() { # port sql
  PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -h 127.0.0.1 -p "$1" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "$2"
}

ensure_primary_running() {
  if pg_ready $PG_PORT; then return; fi
  need_root "starting PostgreSQL"
  local v; v=$(pg_version)
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -q "^$v main$"; then
    log "creating PostgreSQL $v cluster 'main'"
    pg_createcluster "$v" main -p $PG_PORT >/dev/null
  fi
  log "starting PostgreSQL $v main on port $PG_PORT"
  pg_ctlcluster --skip-systemctl-redirect "$v" main start
  mkdir -p "$RUNTIME" && touch "$RUNTIME/started-primary"
  wait_until 60 "PostgreSQL on $PG_PORT" pg_ready $PG_PORT
}

# Loopback trust for ordinary and replication connections, placed first so it wins.
ensure_primary_trust() {
  if psql_at $PG_PORT "select 1" >/dev/null 2>&1 \
     && psql -X -q -h 127.0.0.1 -p $PG_PORT -U postgres "dbname=replication replication=true" -c "IDENTIFY_SYSTEM" >/dev/null 2>&1; then
    return
  fi
  need_root "configuring PostgreSQL loopback trust"
  local hba
  hba=$(runuser -u postgres -- psql -X -At -p $PG_PORT -c 'show hba_file')
  log "adding loopback trust rules to $hba"
  local tmp; tmp=$(mktemp)
  {
    echo "# scaleblocks services.sh: loopback trust for tests"
    echo "local   all           all                     trust"
    echo "host    all           all       127.0.0.1/32  trust"
    echo "host    all           all       ::1/128       trust"
    echo "host    replication   all       127.0.0.1/32  trust"
    echo "host    replication   all       ::1/128       trust"
    grep -v '^# scaleblocks services.sh' "$hba" || true
  } > "$tmp"
  cat "$tmp" > "$hba" && rm -f "$tmp"
  runuser -u postgres -- psql -X -q -p $PG_PORT -c 'select pg_reload_conf()' >/dev/null
  sleep 0.5
  psql_at $PG_PORT "select 1" >/dev/null || die "PostgreSQL on $PG_PORT still refuses trust connections"
}

replica_in_recovery() { [ "$(psql_at $REPLICA_PORT 'select pg_is_in_recovery()' 2>/dev/null)" = "t" ]; }

replica_ctl() { # start|stop
  local extra=()
  [ "$1" = stop ] && extra=(-m fast)
  runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$REPLICA_DIR" -l "$RUNTIME/pg-replica.log" -w -t 60 "${extra[@]}" "$1" >/dev/null
}

make_replica() {
  log "creating the streaming replica in $REPLICA_DIR (pg_basebackup -R)"
  rm -rf "$REPLICA_DIR"
  mkdir -p "$RUNTIME" "$REPLICA_SOCK"
  chown postgres:postgres "$RUNTIME" "$REPLICA_SOCK"
  chmod 755 "$RUNTIME"
  psql_at $PG_PORT "select pg_drop_replication_slot('$SLOT') from pg_replication_slots where slot_name = '$SLOT' and not active" >/dev/null
  runuser -u postgres -- pg_basebackup -h 127.0.0.1 -p $PG_PORT -U postgres -D "$REPLICA_DIR" \
    -R -X stream -c fast -C -S $SLOT >/dev/null
  # Debian keeps postgresql.conf and pg_hba.conf under /etc: give the standby its own.
  cat > "$REPLICA_DIR/postgresql.conf" <<CONF
port = $REPLICA_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$REPLICA_SOCK'
hba_file = '$REPLICA_DIR/pg_hba.conf'
ident_file = '$REPLICA_DIR/pg_ident.conf'
hot_standby = on
hot_standby_feedback = on
max_connections = 100
shared_buffers = 64MB
wal_receiver_status_interval = 1s
logging_collector = off
CONF
  cat > "$REPLICA_DIR/pg_hba.conf" <<CONF
local   all           all                     trust
host    all           all       127.0.0.1/32  trust
host    all           all       ::1/128       trust
CONF
  : > "$REPLICA_DIR/pg_ident.conf"
  chown postgres:postgres "$REPLICA_DIR"/postgresql.conf "$REPLICA_DIR"/pg_hba.conf "$REPLICA_DIR"/pg_ident.conf
}

ensure_replica() {
  if pg_ready $REPLICA_PORT && replica_in_recovery; then
    psql_at $REPLICA_PORT "select pg_wal_replay_resume() where pg_is_wal_replay_paused()" >/dev/null
    return
  fi
  pg_ready $REPLICA_PORT && die "something that is not a standby answers on $REPLICA_PORT"
  need_root "starting the PostgreSQL standby"
  if [ ! -f "$REPLICA_DIR/standby.signal" ]; then
    make_replica
  fi
  log "starting the standby on 127.0.0.1:$REPLICA_PORT"
  mkdir -p "$REPLICA_SOCK" && chown postgres:postgres "$REPLICA_SOCK"
  if ! replica_ctl start; then
    log "the standby did not start from its old data; making it anew"
    make_replica
    replica_ctl start || die "the standby did not start; see $RUNTIME/pg-replica.log"
  fi
  wait_until 60 "the standby on $REPLICA_PORT" pg_ready $REPLICA_PORT
  wait_until 60 "the standby in recovery" replica_in_recovery
}

replica_replays() {
  [ "$(psql_at $REPLICA_PORT "select coalesce((select token from scaleblocks_heartbeat where id = 1), '')" 2>/dev/null)" = "$1" ]
}

check_replay() {
  local token; token="$(date +%s%N)"
  psql_at $PG_PORT "create table if not exists scaleblocks_heartbeat (id int primary key, token text not null);
    insert into scaleblocks_heartbeat values (1, '$token') on conflict (id) do update set token = excluded.token" >/dev/null
  wait_until 60 "the standby to replay a write" replica_replays "$token"
}

# ---------------------------------------------------------------- verbs
up() {
  ensure_packages
  mkdir -p "$RUNTIME"
  start_redis_standalone
  start_redis_cluster
  ensure_primary_running
  ensure_primary_trust
  ensure_replica
  check_replay
  status
}

status() {
  local bad=0 p
  if redis_ping $REDIS_PORT; then echo "redis          127.0.0.1:$REDIS_PORT  ok"; else echo "redis          127.0.0.1:$REDIS_PORT  DOWN"; bad=1; fi
  for p in "${CLUSTER_PORTS[@]}"; do
    if redis-cli -h 127.0.0.1 -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; then
      echo "redis-cluster  127.0.0.1:$p  ok"
    else
      echo "redis-cluster  127.0.0.1:$p  DOWN"; bad=1
    fi
  done
  if pg_ready $PG_PORT && psql_at $PG_PORT "select 1" >/dev/null 2>&1; then echo "pg-primary     127.0.0.1:$PG_PORT  ok"; else echo "pg-primary     127.0.0.1:$PG_PORT  DOWN"; bad=1; fi
  if pg_ready $REPLICA_PORT && replica_in_recovery; then echo "pg-replica     127.0.0.1:$REPLICA_PORT  ok (in recovery)"; else echo "pg-replica     127.0.0.1:$REPLICA_PORT  DOWN"; bad=1; fi
  return $bad
}

down() {
  local p pidfile
  if [ -f "$REPLICA_DIR/postmaster.pid" ]; then
    log "stopping the standby"
    replica_ctl stop || true
  fi
  for p in "$REDIS_PORT" "${CLUSTER_PORTS[@]}"; do
    pidfile="$RUNTIME/redis-$p/redis.pid"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      log "stopping redis on $p"
      kill "$(cat "$pidfile")" || true
    fi
    rm -f "$pidfile"
  done
  if [ -f "$RUNTIME/started-primary" ]; then
    log "stopping the PostgreSQL primary this script started"
    pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" main stop || true
    rm -f "$RUNTIME/started-primary"
  fi
}

case "${1:-}" in
  up) up ;;
  status) status ;;
  down) down ;;
  *) echo "usage: $0 up|status|down" >&2; exit 2 ;;
esac
