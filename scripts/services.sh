#!/usr/bin/env bash
# Brings up, checks or stops the real services scaleblocks' integration tests talk to, on loopback:
#   Redis standalone      127.0.0.1:6379
#   Redis Cluster         127.0.0.1:7000-7002 (three masters, no replicas)
#   Redis Sentinel        127.0.0.1:26379 (quorum 1) watching the master named 'scaleblocks':
#                         127.0.0.1:6390 and a streaming replica 127.0.0.1:6391 (after a failover
#                         the two swap roles; `up` keeps whichever master the sentinel names)
#   PostgreSQL primary    127.0.0.1:5432 (passwordless loopback connections for the test user)
#   PostgreSQL standby    127.0.0.1:5433 (streaming replica of the primary, made by pg_basebackup -R)
#
# usage: scripts/services.sh up|status|down|env
#
# It changes only what it created. Everything it creates lives under $SCALEBLOCKS_RUNTIME
# (default /var/lib/scaleblocks), one directory per server, each holding a marker file
# (.created-by-scaleblocks-services) and the server's own configuration; a server counts as its own
# when the directory the server itself reports (Redis `CONFIG GET dir`, PostgreSQL
# `data_directory`) is that directory, or for the sentinel when the configuration file it reports
# (`INFO server`, config_file) is the one in that directory.
#
# A server it did not create that already answers on one of its ports is used as it is when it is
# fit for the tests (a Redis, a healthy three-master cluster, a sentinel watching 'scaleblocks' at
# one of the two sentinel ports with the other as its replica in sync, a PostgreSQL that accepts the
# test user without a password, a standby in recovery), and is never flushed, reset, reconfigured or
# stopped; when it is not fit, `up` stops before changing anything and says which port and what to
# do. The one change it makes on a primary it did not create is the standby's replication slot
# (recorded under the runtime directory, dropped again by `down`). When a package it installs starts
# a server of Debian's own (postgresql's 'main' cluster, redis-sentinel's service on 26379 watching
# 6379), it undoes that side effect of its own run.
#
# `up` is idempotent: it starts only what is not answering, installs (apt-get) only what is missing,
# and changes nothing when everything is healthy. `down` stops what `up` started and drops the
# replication slot it created; the data directories stay under the runtime directory for the next
# `up` (delete the directory to forget them).
#
# The ports follow the variables the tests read (host:port, loopback only):
#   SCALEBLOCKS_REDIS=127.0.0.1:6379
#   SCALEBLOCKS_REDIS_CLUSTER=127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002
#   SCALEBLOCKS_REDIS_SENTINEL=127.0.0.1:26379
#   SCALEBLOCKS_REDIS_SENTINEL_MASTER=127.0.0.1:6390   SCALEBLOCKS_REDIS_SENTINEL_REPLICA=127.0.0.1:6391
#   SCALEBLOCKS_PG_PRIMARY=127.0.0.1:5432   SCALEBLOCKS_PG_REPLICA=127.0.0.1:5433
#   SCALEBLOCKS_PG_USER=postgres
# When neither PostgreSQL variable is set and a PostgreSQL this script did not create holds 5432
# without accepting the test user's passwordless (replication) connections, `up` leaves it alone
# and runs its own primary and standby on 127.0.0.1:55432 and 55433 instead. `up` records the
# addresses in effect in $SCALEBLOCKS_RUNTIME/services.env; `env` prints them as shell exports
# (`eval "$(scripts/services.sh env)"`), and the tests read that file when a variable is not set.
set -euo pipefail
# the variables the caller set itself (`env` prints only the others)
CALLER_SET=" "
for v in SCALEBLOCKS_REDIS SCALEBLOCKS_REDIS_CLUSTER SCALEBLOCKS_REDIS_SENTINEL SCALEBLOCKS_REDIS_SENTINEL_MASTER \
    SCALEBLOCKS_REDIS_SENTINEL_REPLICA SCALEBLOCKS_PG_PRIMARY SCALEBLOCKS_PG_REPLICA SCALEBLOCKS_PG_USER; do
  if [ -n "${!v:-}" ]; then CALLER_SET+="$v "; fi
done

RUNTIME=${SCALEBLOCKS_RUNTIME:-/var/lib/scaleblocks}
MARKER=.created-by-scaleblocks-services

port_of() { # host:port → port, refusing anything but loopback
  local host=${1%:*} port=${1##*:}
  case "$host" in 127.0.0.1|localhost) ;; *) die "$1: the services run on loopback only (127.0.0.1:port)" ;; esac
  [[ "$port" =~ ^[0-9]+$ ]] || die "$1: not a host:port"
  echo "$port"
}
log() { printf '[services] %s\n' "$*" >&2; }
warn() { printf '[services] NOTE: %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

REDIS_PORT=$(port_of "${SCALEBLOCKS_REDIS:-127.0.0.1:6379}")
CLUSTER_PORTS=()
IFS=, read -r -a cluster_addresses <<<"${SCALEBLOCKS_REDIS_CLUSTER:-127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002}"
for a in "${cluster_addresses[@]}"; do CLUSTER_PORTS+=("$(port_of "$a")"); done
ENV_FILE="$RUNTIME/services.env"
PG_PORTS_CHOSEN=${SCALEBLOCKS_PG_PRIMARY:+yes}${SCALEBLOCKS_PG_REPLICA:+yes}
recorded() { # VAR: its value in the file an earlier `up` wrote, if any
  [ -f "$ENV_FILE" ] && sed -n "s/^$1=//p" "$ENV_FILE" | tail -n 1
}
if [ -z "$PG_PORTS_CHOSEN" ] && [ -n "$(recorded SCALEBLOCKS_PG_PRIMARY)" ]; then
  # an earlier `up` moved the test PostgreSQL off a foreign 5432: keep using (and stopping) that one
  SCALEBLOCKS_PG_PRIMARY=$(recorded SCALEBLOCKS_PG_PRIMARY)
  SCALEBLOCKS_PG_REPLICA=$(recorded SCALEBLOCKS_PG_REPLICA)
fi
SENTINEL_PORT=$(port_of "${SCALEBLOCKS_REDIS_SENTINEL:-127.0.0.1:26379}")
SENTINEL_MASTER_PORT=$(port_of "${SCALEBLOCKS_REDIS_SENTINEL_MASTER:-127.0.0.1:6390}")
SENTINEL_REPLICA_PORT=$(port_of "${SCALEBLOCKS_REDIS_SENTINEL_REPLICA:-127.0.0.1:6391}")
SENTINEL_NAME=scaleblocks
SENTINEL_DIR="$RUNTIME/sentinel-$SENTINEL_PORT"
PG_PORT=$(port_of "${SCALEBLOCKS_PG_PRIMARY:-127.0.0.1:5432}")
REPLICA_PORT=$(port_of "${SCALEBLOCKS_PG_REPLICA:-127.0.0.1:5433}")
PG_USER=${SCALEBLOCKS_PG_USER:-postgres}
ALT_PG_PORT=55432
ALT_REPLICA_PORT=55433
PRIMARY_DIR="$RUNTIME/pg-primary"
PRIMARY_SOCK="$RUNTIME/pg-primary-sock"
REPLICA_DIR="$RUNTIME/pg-replica"
REPLICA_SOCK="$RUNTIME/pg-replica-sock"
SLOT=scaleblocks_replica
SLOT_RECORD="$RUNTIME/replication-slot-on-primary"
# never let a password file or a password in the environment pass for trust
export PGPASSFILE=/nonexistent/scaleblocks-services-uses-no-password-file PGCONNECT_TIMEOUT=5
unset PGPASSWORD PGUSER PGHOST PGPORT PGDATABASE

as_postgres() { # from /, so that the postgres user is not refused the caller's working directory
  (cd / && runuser -u postgres -- "$@")
}

need_root() {
  [ "$(id -u)" -eq 0 ] || die "$1 needs root (run as root, or bring the service up yourself)"
}

wait_until() { # seconds description command...
  local seconds=$1 what=$2; shift 2
  local end=$((SECONDS + seconds))
  until "$@"; do
    [ $SECONDS -lt $end ] || die "timed out after ${seconds}s waiting for $what"
    sleep 0.2
  done
}

mark() { # dir: the marker that says this script created the directory and what runs from it
  printf 'created by scaleblocks scripts/services.sh on %s; `scripts/services.sh down` stops what runs from here\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$1/$MARKER"
}

# ---------------------------------------------------------------- packages
ensure_packages() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
  command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
  command -v runuser >/dev/null 2>&1 || missing+=(util-linux)
  if [ ${#missing[@]} -gt 0 ]; then
    need_root "installing ${missing[*]}"
    log "installing ${missing[*]} (apt-get; about a minute)"
    local before; before=$(pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}' || true)
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian's postgresql package creates (and on a systemd machine starts) a 'main' cluster on
    # 5432 that refuses passwordless TCP connections. This run made it, empty, as a side effect of
    # the install above: drop it so that the tests' primary is the one this script configures.
    local c
    for c in $(pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}'); do
      if ! grep -qx "$c" <<<"$before"; then
        log "dropping the empty PostgreSQL cluster $c the package install just created"
        pg_dropcluster --stop "${c%/*}" "${c#*/}"
      fi
    done
    # Debian's redis-sentinel package starts (where the init system lets it) a sentinel of its own
    # from /etc/redis/sentinel.conf, on 26379 watching 'mymaster' on 6379. This run started it as a
    # side effect of the install above: stop it and keep it from starting at boot, so that the
    # sentinel the tests use is the one this script configures.
    if [[ " ${missing[*]} " == *" redis-sentinel "* ]]; then
      if [ -d /run/systemd/system ]; then
        if systemctl is-active --quiet redis-sentinel 2>/dev/null; then
          log "stopping and disabling the redis-sentinel service the package install just started"
          systemctl disable --now redis-sentinel >/dev/null 2>&1 || true
        fi
      elif [ -x /etc/init.d/redis-sentinel ] && /etc/init.d/redis-sentinel status >/dev/null 2>&1; then
        log "stopping and disabling the redis-sentinel service the package install just started"
        /etc/init.d/redis-sentinel stop >/dev/null 2>&1 || true
        update-rc.d redis-sentinel disable >/dev/null 2>&1 || true
      fi
    fi
  fi
  local p
  for p in redis-server redis-cli redis-sentinel psql pg_isready pg_basebackup runuser; do
    command -v "$p" >/dev/null || die "$p is still missing (install it, or run this script as root on Debian)"
  done
}

pg_version() { ls /usr/lib/postgresql | sort -V | tail -n 1; }
pg_bin() { echo "/usr/lib/postgresql/$(pg_version)/bin"; }

# ---------------------------------------------------------------- redis
redis_at() { local p=$1; shift; redis-cli -h 127.0.0.1 -p "$p" "$@" 2>/dev/null; }
redis_ping() { [ "$(redis_at "$1" ping)" = "PONG" ]; }
# ours when the server itself says it runs from our directory for that port
redis_ours() { [ "$(redis_at "$1" config get dir | sed -n 2p)" = "$RUNTIME/redis-$1" ]; }
redis_who() { # one phrase about a server this script did not start
  local dir; dir=$(redis_at "$1" config get dir | sed -n 2p)
  echo "a Redis this script did not start (its dir is ${dir:-unknown}, not $RUNTIME/redis-$1)"
}

start_redis() { # port [extra redis-server arguments]
  local p=$1; shift
  local dir="$RUNTIME/redis-$p"
  mkdir -p "$dir"
  mark "$dir"
  log "starting redis on 127.0.0.1:$p ($dir)"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$p" --save "" --appendonly no \
    --dir "$dir" --logfile "$dir/redis.log" --pidfile "$dir/redis.pid" "$@"
  wait_until 20 "redis on $p" redis_ping "$p"
}

ensure_redis_standalone() {
  if redis_ping "$REDIS_PORT"; then
    redis_ours "$REDIS_PORT" || warn "127.0.0.1:$REDIS_PORT is $(redis_who "$REDIS_PORT"); the tests use it as it is and this script changes nothing on it"
    return
  fi
  start_redis "$REDIS_PORT"
}

cluster_ok() {
  local p info
  for p in "${CLUSTER_PORTS[@]}"; do
    info=$(redis_at "$p" cluster info | tr -d '\r')
    grep -q '^cluster_state:ok' <<<"$info" || return 1
    [ "$(awk -F: '/^cluster_known_nodes/{print $2}' <<<"$info")" = "${#CLUSTER_PORTS[@]}" ] || return 1
  done
}

# Before anything is started: a cluster port held by a server this script did not start is used
# only when the nodes already form a healthy cluster; otherwise stop here, loudly, touching nothing.
check_cluster_ports() {
  local p foreign=()
  for p in "${CLUSTER_PORTS[@]}"; do
    if redis_ping "$p" && ! redis_ours "$p"; then foreign+=("$p"); fi
  done
  [ ${#foreign[@]} -eq 0 ] && return
  if cluster_ok; then
    for p in "${foreign[@]}"; do
      warn "127.0.0.1:$p is $(redis_who "$p"), in a healthy cluster; the tests use it as it is and this script changes nothing on it"
    done
    return
  fi
  for p in "${foreign[@]}"; do
    printf '[services] error: 127.0.0.1:%s is %s\n' "$p" "$(redis_who "$p")" >&2
  done
  die "the nodes on ports ${CLUSTER_PORTS[*]} do not form a healthy ${#CLUSTER_PORTS[@]}-master cluster, and this
[services] script flushes and resets only nodes it started itself: it changed nothing. Stop the server(s)
[services] above, or move the test cluster to free ports with
[services] SCALEBLOCKS_REDIS_CLUSTER=127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3 (the tests read the same variable)."
}

ensure_redis_cluster() {
  local p
  for p in "${CLUSTER_PORTS[@]}"; do
    redis_ping "$p" && continue
    start_redis "$p" --cluster-enabled yes --cluster-config-file "$RUNTIME/redis-$p/nodes.conf" \
      --cluster-node-timeout 5000
  done
  cluster_ok && return
  # Nodes that restarted with their nodes.conf rejoin on their own: give them a moment first.
  local end=$((SECONDS + 10))
  while [ $SECONDS -lt $end ]; do cluster_ok && return; sleep 0.5; done
  for p in "${CLUSTER_PORTS[@]}"; do
    redis_ours "$p" || die "127.0.0.1:$p is $(redis_who "$p"); not resetting it"
  done
  log "creating the redis cluster on ports ${CLUSTER_PORTS[*]} (every node started by this script)"
  for p in "${CLUSTER_PORTS[@]}"; do
    redis_at "$p" flushall >/dev/null || true
    redis_at "$p" cluster reset hard >/dev/null
  done
  local nodes=()
  for p in "${CLUSTER_PORTS[@]}"; do nodes+=("127.0.0.1:$p"); done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >/dev/null
  wait_until 60 "cluster_state:ok on every node" cluster_ok
}

# ---------------------------------------------------------------- redis sentinel
role_of() { redis_at "$1" info replication | tr -d '\r' | awk -F: '/^role:/{print $2}' || true; }
replica_in_sync() { # port master-port: a replica of that master with its link up
  local info; info=$(redis_at "$1" info replication | tr -d '\r')
  grep -qx 'role:slave' <<<"$info" && grep -qx "master_port:$2" <<<"$info" && grep -qx 'master_link_status:up' <<<"$info"
}
sentinel_conf_in_use() { redis_at "$SENTINEL_PORT" info server | tr -d '\r' | awk -F: '/^config_file:/{print $2}' || true; }
# ours when the sentinel itself says it runs from our configuration file
sentinel_ours() { [ "$(sentinel_conf_in_use)" = "$SENTINEL_DIR/sentinel.conf" ]; }
sentinel_who() {
  local conf; conf=$(sentinel_conf_in_use)
  echo "a server this script did not start (its configuration file is ${conf:-unknown}, not $SENTINEL_DIR/sentinel.conf)"
}
sentinel_master_port() { # the port of the master the sentinel names (empty when it names none)
  redis_at "$SENTINEL_PORT" sentinel get-master-addr-by-name "$SENTINEL_NAME" | tr -d '\r' | sed -n 2p || true
}
sentinel_failed_over_from() { [ "$(sentinel_master_port)" != "$1" ]; }
other_sentinel_node() { # port: the other of the group's two data nodes
  if [ "$1" = "$SENTINEL_MASTER_PORT" ]; then echo "$SENTINEL_REPLICA_PORT"; else echo "$SENTINEL_MASTER_PORT"; fi
}

# Healthy: the sentinel names one of the two data nodes as master and counts a replica, that node
# says it is a master, and the other streams from it.
sentinel_group_ok() {
  local m
  m=$(sentinel_master_port)
  [ "$m" = "$SENTINEL_MASTER_PORT" ] || [ "$m" = "$SENTINEL_REPLICA_PORT" ] || return 1
  grep -Eq "^master0:name=$SENTINEL_NAME,status=ok,address=127.0.0.1:$m,slaves=[1-9][0-9]*," \
    <<<"$(redis_at "$SENTINEL_PORT" info sentinel | tr -d '\r')" || return 1
  [ "$(role_of "$m")" = master ] && replica_in_sync "$(other_sentinel_node "$m")" "$m"
}

# Before anything is started: a sentinel-group port held by a server this script did not start is
# used only when the group is already healthy; otherwise stop here, loudly, touching nothing.
check_sentinel_ports() {
  local p foreign=()
  if redis_ping "$SENTINEL_PORT" && ! sentinel_ours; then foreign+=("$SENTINEL_PORT"); fi
  for p in "$SENTINEL_MASTER_PORT" "$SENTINEL_REPLICA_PORT"; do
    if redis_ping "$p" && ! redis_ours "$p"; then foreign+=("$p"); fi
  done
  [ ${#foreign[@]} -eq 0 ] && return
  if sentinel_group_ok; then
    for p in "${foreign[@]}"; do
      if [ "$p" = "$SENTINEL_PORT" ]; then
        warn "127.0.0.1:$p is $(sentinel_who), a sentinel watching a healthy '$SENTINEL_NAME'; the tests use it as it is and this script changes nothing on it"
      else
        warn "127.0.0.1:$p is $(redis_who "$p"), in a healthy sentinel group; the tests use it as it is and this script changes nothing on it"
      fi
    done
    return
  fi
  for p in "${foreign[@]}"; do
    if [ "$p" = "$SENTINEL_PORT" ]; then
      printf '[services] error: 127.0.0.1:%s is %s\n' "$p" "$(sentinel_who)" >&2
    else
      printf '[services] error: 127.0.0.1:%s is %s\n' "$p" "$(redis_who "$p")" >&2
    fi
  done
  die "ports $SENTINEL_PORT, $SENTINEL_MASTER_PORT and $SENTINEL_REPLICA_PORT do not hold a healthy sentinel group (a sentinel
[services] watching '$SENTINEL_NAME' at one of the two data ports, the other its replica in sync), and this script
[services] reconfigures only servers it started itself: it changed nothing. Stop the server(s) above, or move
[services] the group to free ports with SCALEBLOCKS_REDIS_SENTINEL=127.0.0.1:p SCALEBLOCKS_REDIS_SENTINEL_MASTER=127.0.0.1:q
[services] SCALEBLOCKS_REDIS_SENTINEL_REPLICA=127.0.0.1:r (the tests read the same variables)."
}

ensure_redis_sentinel() {
  sentinel_group_ok && return
  # Past check_sentinel_ports, whatever answers on the three ports was started by this script.
  # The master is the node a running sentinel names, else a node that says it is a master, else
  # the configured master: so a group that failed over keeps its new master.
  local m="" p other
  if redis_ping "$SENTINEL_PORT"; then
    m=$(sentinel_master_port)
    [ "$m" = "$SENTINEL_MASTER_PORT" ] || [ "$m" = "$SENTINEL_REPLICA_PORT" ] || m=""
    if [ -n "$m" ] && ! redis_ping "$m" && redis_ping "$(other_sentinel_node "$m")"; then
      log "the master 127.0.0.1:$m is down and its replica answers: waiting for the sentinel to fail over"
      wait_until 60 "the sentinel to fail over from 127.0.0.1:$m" sentinel_failed_over_from "$m"
      m=$(sentinel_master_port)
    fi
  fi
  if [ -z "$m" ]; then
    for p in "$SENTINEL_MASTER_PORT" "$SENTINEL_REPLICA_PORT"; do
      if redis_ping "$p" && [ "$(role_of "$p")" = master ]; then m=$p; break; fi
    done
  fi
  m=${m:-$SENTINEL_MASTER_PORT}
  other=$(other_sentinel_node "$m")
  if ! redis_ping "$m"; then
    start_redis "$m"
  elif [ "$(role_of "$m")" != master ]; then
    log "making 127.0.0.1:$m a master again (the master it followed is gone)"
    redis_at "$m" replicaof no one >/dev/null
  fi
  if ! redis_ping "$other"; then
    start_redis "$other" --replicaof 127.0.0.1 "$m"
  elif ! redis_at "$other" info replication | tr -d '\r' | grep -qx "master_port:$m"; then
    log "making 127.0.0.1:$other a replica of 127.0.0.1:$m"
    redis_at "$other" replicaof 127.0.0.1 "$m" >/dev/null
  fi
  if ! redis_ping "$SENTINEL_PORT"; then
    mkdir -p "$SENTINEL_DIR"
    mark "$SENTINEL_DIR"
    # the sentinel rewrites this file with what it learns; a stopped one starts afresh from the master above
    cat > "$SENTINEL_DIR/sentinel.conf" <<CONF
# scaleblocks scripts/services.sh: a sentinel for the tests, on loopback only
port $SENTINEL_PORT
bind 127.0.0.1
daemonize yes
pidfile $SENTINEL_DIR/sentinel.pid
logfile $SENTINEL_DIR/sentinel.log
dir $SENTINEL_DIR
sentinel monitor $SENTINEL_NAME 127.0.0.1 $m 1
sentinel down-after-milliseconds $SENTINEL_NAME 5000
sentinel failover-timeout $SENTINEL_NAME 10000
sentinel parallel-syncs $SENTINEL_NAME 1
CONF
    log "starting redis-sentinel on 127.0.0.1:$SENTINEL_PORT watching '$SENTINEL_NAME' at 127.0.0.1:$m ($SENTINEL_DIR)"
    redis-sentinel "$SENTINEL_DIR/sentinel.conf"
    wait_until 20 "redis-sentinel on $SENTINEL_PORT" redis_ping "$SENTINEL_PORT"
  fi
  wait_until 60 "the sentinel group ('$SENTINEL_NAME' named by the sentinel, its replica in sync)" sentinel_group_ok
}

# ---------------------------------------------------------------- postgresql
pg_ready() { pg_isready -q -h 127.0.0.1 -p "$1" >/dev/null 2>&1; }
psql_at() { # port sql
  PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -h 127.0.0.1 -p "$1" -U "$PG_USER" -d postgres \
    -v ON_ERROR_STOP=1 -c "$2"
}
pg_trusts() { psql_at "$1" "select 1" >/dev/null 2>&1; }
pg_trusts_replication() {
  psql -X -q -h 127.0.0.1 -p "$1" -U "$PG_USER" "dbname=replication replication=true" -c "IDENTIFY_SYSTEM" >/dev/null 2>&1
}
pg_data_dir() { psql_at "$1" "show data_directory" 2>/dev/null || true; }
pg_ours() { [ "$(pg_data_dir "$1")" = "$2" ]; }
in_recovery() { [ "$(psql_at "$1" 'select pg_is_in_recovery()' 2>/dev/null)" = "t" ]; }
pg_ctl_as_postgres() { # dir log start|stop
  local extra=()
  [ "$3" = stop ] && extra=(-m fast)
  as_postgres "$(pg_bin)/pg_ctl" -D "$1" -l "$2" -w -t 60 "${extra[@]}" "$3" >/dev/null
}

trust_advice() {
  cat >&2 <<EOF
[services] error: PostgreSQL on 127.0.0.1:$PG_PORT was not created by this script and does not accept user
[services] '$PG_USER' from loopback without a password$1. This script does not edit a server it did not
[services] create. Either let it accept the tests, e.g. put these lines first in its pg_hba.conf and
[services] reload it (psql -c 'select pg_reload_conf()'):
[services]     host  all          $PG_USER  127.0.0.1/32  trust
[services]     host  replication  $PG_USER  127.0.0.1/32  trust
[services] or stop it, and this script runs a PostgreSQL of its own on that port; or run the tests
[services] against one on free ports: SCALEBLOCKS_PG_PRIMARY=127.0.0.1:p SCALEBLOCKS_PG_REPLICA=127.0.0.1:q
EOF
  exit 1
}

# A foreign PostgreSQL on the default port that the tests cannot use: when the ports are this
# script's defaults, leave it alone and run the test primary and standby on ALT_* ports instead.
move_pg_or_advise() { # what the foreign server refuses
  if [ -n "$PG_PORTS_CHOSEN" ] || [ "$PG_PORT" = "$ALT_PG_PORT" ]; then
    trust_advice "$1"
  fi
  warn "PostgreSQL on 127.0.0.1:$PG_PORT was not created by this script and does not accept user '$PG_USER' from loopback without a password$1; it is left as it is, and the tests get a primary and standby of this script's own on 127.0.0.1:$ALT_PG_PORT and $ALT_REPLICA_PORT (recorded in $ENV_FILE)"
  PG_PORT=$ALT_PG_PORT
  REPLICA_PORT=$ALT_REPLICA_PORT
  check_pg_ports
}

# Before anything is started: a primary or standby this script did not create must already be fit.
check_pg_ports() {
  if pg_ready "$PG_PORT" && ! pg_ours "$PG_PORT" "$PRIMARY_DIR"; then
    pg_trusts "$PG_PORT" || { move_pg_or_advise ""; return; }
    if ! { pg_ready "$REPLICA_PORT" && in_recovery "$REPLICA_PORT"; } && ! pg_trusts_replication "$PG_PORT"; then
      move_pg_or_advise " for replication (needed to make the standby on $REPLICA_PORT)"
      return
    fi
    warn "PostgreSQL on 127.0.0.1:$PG_PORT was not created by this script (data directory $(pg_data_dir "$PG_PORT")); it accepts '$PG_USER' without a password, so the tests use it as it is and this script changes nothing on it but the standby's replication slot"
  fi
  if pg_ready "$REPLICA_PORT" && ! pg_ours "$REPLICA_PORT" "$REPLICA_DIR"; then
    if pg_trusts "$REPLICA_PORT" && in_recovery "$REPLICA_PORT"; then
      warn "the standby on 127.0.0.1:$REPLICA_PORT was not created by this script; the tests use it as it is"
    else
      die "127.0.0.1:$REPLICA_PORT answers but is not a standby this script created (or refuses '$PG_USER' without a password); it changed nothing. Stop it, or move the test standby with SCALEBLOCKS_PG_REPLICA=127.0.0.1:port"
    fi
  fi
}

prepare_runtime() {
  mkdir -p "$RUNTIME"
  chown postgres:postgres "$RUNTIME"
  chmod 755 "$RUNTIME"
}

ensure_primary() {
  if pg_ready "$PG_PORT"; then return; fi # ours and running, or a foreign one check_pg_ports accepted
  need_root "starting PostgreSQL"
  prepare_runtime
  if [ ! -f "$PRIMARY_DIR/PG_VERSION" ]; then
    log "creating a PostgreSQL $(pg_version) primary in $PRIMARY_DIR (initdb)"
    rm -rf "$PRIMARY_DIR"
    mkdir -p "$PRIMARY_DIR"
    chown postgres:postgres "$PRIMARY_DIR"
    as_postgres "$(pg_bin)/initdb" -D "$PRIMARY_DIR" -U "$PG_USER" --auth=trust -E UTF8 --locale=C >/dev/null
    cat >> "$PRIMARY_DIR/postgresql.conf" <<CONF
# scaleblocks scripts/services.sh: a primary for the tests, on loopback only
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PRIMARY_SOCK'
max_connections = 200
shared_buffers = 128MB
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
logging_collector = off
CONF
    cat > "$PRIMARY_DIR/pg_hba.conf" <<CONF
# scaleblocks scripts/services.sh: passwordless loopback connections for the tests
local   all           all                     trust
host    all           all       127.0.0.1/32  trust
host    replication   all       127.0.0.1/32  trust
CONF
    mark "$PRIMARY_DIR"
    chown postgres:postgres "$PRIMARY_DIR/postgresql.conf" "$PRIMARY_DIR/pg_hba.conf" "$PRIMARY_DIR/$MARKER"
  fi
  mkdir -p "$PRIMARY_SOCK" && chown postgres:postgres "$PRIMARY_SOCK"
  log "starting the PostgreSQL primary on 127.0.0.1:$PG_PORT ($PRIMARY_DIR)"
  pg_ctl_as_postgres "$PRIMARY_DIR" "$RUNTIME/pg-primary.log" start \
    || die "the primary did not start; see $RUNTIME/pg-primary.log"
  wait_until 60 "PostgreSQL on $PG_PORT" pg_trusts "$PG_PORT"
}

slot_exists() {
  [ "$(psql_at "$PG_PORT" "select count(*) from pg_replication_slots where slot_name = '$SLOT'")" = 1 ]
}

make_replica() {
  log "creating the streaming standby in $REPLICA_DIR (pg_basebackup -R from 127.0.0.1:$PG_PORT)"
  rm -rf "$REPLICA_DIR"
  mkdir -p "$REPLICA_SOCK"
  chown postgres:postgres "$REPLICA_SOCK"
  psql_at "$PG_PORT" "select pg_drop_replication_slot('$SLOT') from pg_replication_slots where slot_name = '$SLOT' and not active" >/dev/null
  slot_exists && die "replication slot $SLOT on 127.0.0.1:$PG_PORT is in use by another standby"
  as_postgres pg_basebackup -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -D "$REPLICA_DIR" \
    -R -X stream -c fast -C -S $SLOT >/dev/null
  pg_ours "$PG_PORT" "$PRIMARY_DIR" || echo "$SLOT 127.0.0.1:$PG_PORT" > "$SLOT_RECORD"
  # Debian keeps a system cluster's postgresql.conf and pg_hba.conf under /etc: give the standby its own.
  cat > "$REPLICA_DIR/postgresql.conf" <<CONF
# scaleblocks scripts/services.sh: a streaming standby for the tests, on loopback only
port = $REPLICA_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$REPLICA_SOCK'
hba_file = '$REPLICA_DIR/pg_hba.conf'
ident_file = '$REPLICA_DIR/pg_ident.conf'
hot_standby = on
hot_standby_feedback = on
max_connections = 200
shared_buffers = 64MB
wal_receiver_status_interval = 1s
logging_collector = off
CONF
  cat > "$REPLICA_DIR/pg_hba.conf" <<CONF
local   all           all                     trust
host    all           all       127.0.0.1/32  trust
CONF
  : > "$REPLICA_DIR/pg_ident.conf"
  rm -f "$REPLICA_DIR/postmaster.pid" "$REPLICA_DIR/postmaster.opts"
  mark "$REPLICA_DIR"
  chown postgres:postgres "$REPLICA_DIR"/postgresql.conf "$REPLICA_DIR"/pg_hba.conf "$REPLICA_DIR"/pg_ident.conf "$REPLICA_DIR/$MARKER"
}

ensure_replica() {
  if pg_ready "$REPLICA_PORT"; then
    in_recovery "$REPLICA_PORT" || die "127.0.0.1:$REPLICA_PORT answers but is not in recovery (not a standby)"
    if pg_ours "$REPLICA_PORT" "$REPLICA_DIR"; then
      psql_at "$REPLICA_PORT" "select pg_wal_replay_resume() where pg_is_wal_replay_paused()" >/dev/null
      # a slot an earlier version of this script made on a primary it did not create
      if [ ! -f "$SLOT_RECORD" ] && ! pg_ours "$PG_PORT" "$PRIMARY_DIR" && slot_exists; then
        echo "$SLOT 127.0.0.1:$PG_PORT" > "$SLOT_RECORD"
      fi
    fi
    return
  fi
  need_root "starting the PostgreSQL standby"
  prepare_runtime
  # a standby whose slot `down` dropped has lost its place in the primary's WAL: make it anew
  if [ ! -f "$REPLICA_DIR/standby.signal" ] || ! slot_exists; then
    make_replica
  fi
  log "starting the standby on 127.0.0.1:$REPLICA_PORT ($REPLICA_DIR)"
  mkdir -p "$REPLICA_SOCK" && chown postgres:postgres "$REPLICA_SOCK"
  if ! pg_ctl_as_postgres "$REPLICA_DIR" "$RUNTIME/pg-replica.log" start; then
    log "the standby did not start from its old data; making it anew"
    make_replica
    pg_ctl_as_postgres "$REPLICA_DIR" "$RUNTIME/pg-replica.log" start \
      || die "the standby did not start; see $RUNTIME/pg-replica.log"
  fi
  wait_until 60 "the standby on $REPLICA_PORT" pg_trusts "$REPLICA_PORT"
  wait_until 60 "the standby in recovery" in_recovery "$REPLICA_PORT"
}

replica_replayed() { # lsn
  [ "$(psql_at "$REPLICA_PORT" "select pg_last_wal_replay_lsn() >= '$1'::pg_lsn" 2>/dev/null)" = t ]
}

# A WAL record of its own (no table, nothing stored) that the standby must replay.
check_replay() {
  local lsn
  lsn=$(psql_at "$PG_PORT" "select pg_logical_emit_message(true, 'scaleblocks-services', 'replay check')")
  wait_until 60 "the standby on $REPLICA_PORT to replay the primary's WAL up to $lsn" replica_replayed "$lsn"
}

# An earlier version of this script put loopback trust lines, marked, into the system cluster's
# pg_hba.conf. Say where they are; the server may rely on them by now, so leave them to a person.
note_legacy_hba() {
  local f
  for f in /etc/postgresql/*/*/pg_hba.conf; do
    [ -r "$f" ] && grep -q '^# scaleblocks services.sh' "$f" || continue
    warn "$f starts with loopback trust lines an earlier scripts/services.sh added (after '# scaleblocks services.sh');
[services]   this script no longer edits it. To remove them: sed -i '/^# scaleblocks services.sh/,+5d' $f && pg_ctlcluster <version> <cluster> reload"
  done
}

# ---------------------------------------------------------------- verbs
up() {
  ensure_packages
  # look at every port first: refuse (changing nothing) rather than take over what is not ours
  check_cluster_ports
  check_sentinel_ports
  check_pg_ports
  mkdir -p "$RUNTIME"
  ensure_redis_standalone
  ensure_redis_cluster
  ensure_redis_sentinel
  ensure_primary
  ensure_replica
  check_replay
  record_addresses
  status
}

# The addresses in effect, for the tests and `env`; rewritten by every `up`.
record_addresses() {
  local cluster=() p
  for p in "${CLUSTER_PORTS[@]}"; do cluster+=("127.0.0.1:$p"); done
  {
    echo "SCALEBLOCKS_REDIS=127.0.0.1:$REDIS_PORT"
    echo "SCALEBLOCKS_REDIS_CLUSTER=$(IFS=,; echo "${cluster[*]}")"
    echo "SCALEBLOCKS_REDIS_SENTINEL=127.0.0.1:$SENTINEL_PORT"
    echo "SCALEBLOCKS_REDIS_SENTINEL_MASTER=127.0.0.1:$SENTINEL_MASTER_PORT"
    echo "SCALEBLOCKS_REDIS_SENTINEL_REPLICA=127.0.0.1:$SENTINEL_REPLICA_PORT"
    echo "SCALEBLOCKS_PG_PRIMARY=127.0.0.1:$PG_PORT"
    echo "SCALEBLOCKS_PG_REPLICA=127.0.0.1:$REPLICA_PORT"
    echo "SCALEBLOCKS_PG_USER=$PG_USER"
  } > "$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  chmod 644 "$ENV_FILE"
}

# What `up` recorded, as exports, for variables the caller has not set itself.
print_env() {
  [ -f "$ENV_FILE" ] || return 0
  local line var
  while IFS= read -r line; do
    var=${line%%=*}
    [[ "$CALLER_SET" == *" $var "* ]] || printf 'export %s=%q\n' "$var" "${line#*=}"
  done < "$ENV_FILE"
}

status() {
  local bad=0 p
  if redis_ping "$REDIS_PORT"; then echo "redis          127.0.0.1:$REDIS_PORT  ok"; else echo "redis          127.0.0.1:$REDIS_PORT  DOWN"; bad=1; fi
  for p in "${CLUSTER_PORTS[@]}"; do
    if grep -q '^cluster_state:ok' <<<"$(redis_at "$p" cluster info | tr -d '\r')"; then
      echo "redis-cluster  127.0.0.1:$p  ok"
    else
      echo "redis-cluster  127.0.0.1:$p  DOWN"; bad=1
    fi
  done
  local m
  m=$(sentinel_master_port)
  if sentinel_group_ok; then
    echo "sentinel       127.0.0.1:$SENTINEL_PORT  ok ('$SENTINEL_NAME' at 127.0.0.1:$m)"
    echo "sentinel-node  127.0.0.1:$m  ok (master)"
    echo "sentinel-node  127.0.0.1:$(other_sentinel_node "$m")  ok (replica in sync)"
  else
    if [ -n "$m" ]; then
      echo "sentinel       127.0.0.1:$SENTINEL_PORT  DOWN (names 127.0.0.1:$m; the group is not healthy)"
    else
      echo "sentinel       127.0.0.1:$SENTINEL_PORT  DOWN"
    fi
    for p in "$SENTINEL_MASTER_PORT" "$SENTINEL_REPLICA_PORT"; do
      if redis_ping "$p"; then echo "sentinel-node  127.0.0.1:$p  DOWN (answers as $(role_of "$p"))"; else echo "sentinel-node  127.0.0.1:$p  DOWN"; fi
    done
    bad=1
  fi
  if pg_ready "$PG_PORT" && pg_trusts "$PG_PORT"; then echo "pg-primary     127.0.0.1:$PG_PORT  ok"; else echo "pg-primary     127.0.0.1:$PG_PORT  DOWN"; bad=1; fi
  if pg_ready "$REPLICA_PORT" && in_recovery "$REPLICA_PORT"; then echo "pg-replica     127.0.0.1:$REPLICA_PORT  ok (in recovery)"; else echo "pg-replica     127.0.0.1:$REPLICA_PORT  DOWN"; bad=1; fi
  return $bad
}

stop_redis() { # port: only the server that runs from our directory for that port
  local p=$1 pidfile="$RUNTIME/redis-$1/redis.pid" pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if redis_ping "$p" && redis_ours "$p" \
     && [ "$(redis_at "$p" info server | tr -d '\r' | awk -F: '/^process_id/{print $2}')" = "$pid" ]; then
    log "stopping redis on $p"
    kill "$pid" || true
    local end=$((SECONDS + 10))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.1; done
  fi
  rm -f "$pidfile"
}

stop_sentinel() { # only the sentinel that runs from our configuration file
  local pidfile="$SENTINEL_DIR/sentinel.pid" pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if redis_ping "$SENTINEL_PORT" && sentinel_ours \
     && [ "$(redis_at "$SENTINEL_PORT" info server | tr -d '\r' | awk -F: '/^process_id/{print $2}')" = "$pid" ]; then
    log "stopping redis-sentinel on $SENTINEL_PORT"
    kill "$pid" || true
    local end=$((SECONDS + 10))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.1; done
  fi
  rm -f "$pidfile"
}

down() {
  local p
  if [ -f "$REPLICA_DIR/postmaster.pid" ]; then
    log "stopping the standby on $REPLICA_PORT"
    pg_ctl_as_postgres "$REPLICA_DIR" "$RUNTIME/pg-replica.log" stop || true
  fi
  if [ -f "$SLOT_RECORD" ] && pg_ready "$PG_PORT" && ! pg_ours "$PG_PORT" "$PRIMARY_DIR"; then
    log "dropping replication slot $SLOT this script created on 127.0.0.1:$PG_PORT"
    psql_at "$PG_PORT" "select pg_drop_replication_slot('$SLOT') from pg_replication_slots where slot_name = '$SLOT' and not active" >/dev/null || true
  fi
  rm -f "$SLOT_RECORD"
  stop_sentinel # first, so that it does not fail the master over while the group stops
  for p in "$REDIS_PORT" "${CLUSTER_PORTS[@]}" "$SENTINEL_MASTER_PORT" "$SENTINEL_REPLICA_PORT"; do stop_redis "$p"; done
  # an earlier version of this script started the system cluster and left this marker
  if [ -f "$RUNTIME/started-primary" ]; then
    log "stopping the system PostgreSQL cluster an earlier version of this script started"
    pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" main stop || true
    rm -f "$RUNTIME/started-primary"
  fi
  if [ -f "$PRIMARY_DIR/postmaster.pid" ]; then
    log "stopping the PostgreSQL primary on $PG_PORT"
    pg_ctl_as_postgres "$PRIMARY_DIR" "$RUNTIME/pg-primary.log" stop || true
  fi
  note_legacy_hba
}

case "${1:-}" in
  up) up ;;
  status) status ;;
  down) down ;;
  env) print_env ;;
  *) echo "usage: $0 up|status|down|env" >&2; exit 2 ;;
esac
