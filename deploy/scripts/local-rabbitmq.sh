#!/usr/bin/env bash
# A private, throw-away RabbitMQ node for tests and local runs, without Docker or systemd:
#   local-rabbitmq.sh install        apt-get install rabbitmq-server when missing (root, Debian)
#   local-rabbitmq.sh start DIR      start a node whose state lives in DIR; prints its amqp:// URI (also in DIR/uri)
#   local-rabbitmq.sh ctl DIR ARGS   rabbitmqctl against that node (e.g. stop_app, start_app)
#   local-rabbitmq.sh stop DIR       stop the node and its epmd, by PID
# The node listens on 127.0.0.1 only, on free ports (AMQP, distribution, epmd), so it cannot clash with
# another broker on the machine; it runs as the rabbitmq user, with mnesia and logs inside DIR.
set -euo pipefail

bin=/usr/lib/rabbitmq/bin
# shellcheck source=free-port.sh
source "$(dirname "${BASH_SOURCE[0]}")/free-port.sh"

as_rabbit() {
  # shellcheck disable=SC1091
  source "$dir/env"
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u rabbitmq -- env HOME=/var/lib/rabbitmq $(sed -n 's/^export //p' "$dir/env") "$@"
  else
    "$@"
  fi
}

start_node() {
  local dir=$1 amqp dist epmd
  mkdir -p "$dir/mnesia" "$dir/log"
  amqp=$(free_port); dist=$(free_port); epmd=$(free_port)
  echo "[]." > "$dir/enabled_plugins"
  : > "$dir/rabbitmq-env.conf"
  cat > "$dir/env" <<ENV
export RABBITMQ_NODENAME=rabbit@localhost
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$amqp
export RABBITMQ_DIST_PORT=$dist
export ERL_EPMD_ADDRESS=127.0.0.1
export ERL_EPMD_PORT=$epmd
export RABBITMQ_MNESIA_BASE=$dir/mnesia
export RABBITMQ_LOG_BASE=$dir/log
export RABBITMQ_PID_FILE=$dir/rabbit.pid
export RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins
export RABBITMQ_CONF_ENV_FILE=$dir/rabbitmq-env.conf
export RABBITMQ_CONFIG_FILE=$dir/rabbitmq
ENV
  echo "amqp://guest:guest@127.0.0.1:$amqp/" > "$dir/uri"
  echo "$epmd" > "$dir/epmd-port"
  rm -f "$dir/rabbit.pid"
  if [ "$(id -u)" -eq 0 ]; then chown -R rabbitmq:rabbitmq "$dir"; chmod 755 "$dir"; fi
  # Parents of DIR must be reachable by the rabbitmq user (mktemp makes 0700 directories).
  as_rabbit setsid "$bin/rabbitmq-server" > "$dir/server.out" 2>&1 < /dev/null &
  as_rabbit "$bin/rabbitmqctl" wait --timeout 120 "$dir/rabbit.pid" > "$dir/wait.out" 2>&1
}

stop_node() {
  local dir=$1 port proc
  if [ -f "$dir/rabbit.pid" ]; then
    as_rabbit "$bin/rabbitmqctl" stop "$dir/rabbit.pid" >/dev/null 2>&1 || kill "$(cat "$dir/rabbit.pid")" 2>/dev/null || true
  fi
  # A node stopped before it wrote its pid file: found by the pid file it was given.
  for proc in /proc/[0-9]*; do
    if [ "$(cat "$proc/comm" 2>/dev/null)" = beam.smp ] && tr '\0' '\n' < "$proc/environ" 2>/dev/null | grep -qx "RABBITMQ_PID_FILE=$dir/rabbit.pid"; then
      kill "${proc#/proc/}" 2>/dev/null || true
    fi
  done
  if [ -f "$dir/epmd-port" ]; then
    # epmd outlives the node: stop the one that serves this node's port (it inherited ERL_EPMD_PORT), by PID.
    port=$(cat "$dir/epmd-port")
    for proc in /proc/[0-9]*; do
      if [ "$(cat "$proc/comm" 2>/dev/null)" = epmd ] && tr '\0' '\n' < "$proc/environ" 2>/dev/null | grep -qx "ERL_EPMD_PORT=$port"; then
        kill "${proc#/proc/}" 2>/dev/null || true
      fi
    done
  fi
}

cmd=${1:-}
case "$cmd" in
  install)
    if [ -x "$bin/rabbitmq-server" ]; then exit 0; fi
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
      echo "rabbitmq-server is missing: install it (Debian: apt-get install rabbitmq-server) or set ADOPTIONEVENTS_TEST_RABBITMQ to a broker URI" >&2
      exit 1
    fi
    echo "Installing rabbitmq-server"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq rabbitmq-server >/dev/null
    # The package may start its own node; this project runs private ones only.
    if [ -f /run/rabbitmq/pid ]; then kill "$(cat /run/rabbitmq/pid)" 2>/dev/null || true; fi
    ;;
  start)
    dir=$2
    # A node that does not come up (it happened once in a benchmark run on a busy machine, cause unknown) is
    # stopped and started again on fresh ports with fresh state, up to three times.
    for attempt in 1 2 3; do
      if start_node "$dir"; then
        cat "$dir/uri"
        exit 0
      fi
      echo "RabbitMQ did not start (attempt $attempt of 3); see $dir/server.out and $dir/log" >&2
      tail -n 20 "$dir/wait.out" "$dir/server.out" >&2 || true
      stop_node "$dir"
      rm -rf "$dir/mnesia" "$dir/log"
    done
    exit 1
    ;;
  ctl)
    dir=$2; shift 2
    as_rabbit "$bin/rabbitmqctl" "$@"
    ;;
  stop)
    stop_node "$2"
    ;;
  *)
    echo "usage: $0 install | start DIR | ctl DIR ARGS... | stop DIR" >&2
    exit 2
    ;;
esac
