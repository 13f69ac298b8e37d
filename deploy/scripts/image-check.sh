#!/usr/bin/env bash
# What can be checked of deploy/Dockerfile and deploy/docker-compose.yml on a machine without a Docker engine
# (no engine runs where this project is built and tested):
#   1. the build context as Docker would send it: the working tree less .dockerignore;
#   2. the image's build stage as written: its WORKDIR, COPY and RUN instructions, in a scratch root instead
#      of the SDK image (the same dotnet SDK, from global.json);
#   3. the published API started as the compose file starts the image: the runtime stage's ENV, then the compose
#      service's environment with deploy/.env.example's values (passwords and the token issuer filled in),
#      against a throw-away PostgreSQL cluster and RabbitMQ node standing in for the compose services;
#   4. /health/live and /health/ready answer 200, a request without a token is refused with 401, and with
#      DEMO_DATA=true the demo journeys are stored and relayed to the broker (its exchange is declared).
# Not checked, and cannot be here: the base images themselves, the container's user ($APP_UID) and its
# network. Usage: bash deploy/scripts/image-check.sh   (exit 0 when every step passes)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

work=$(mktemp -d) && chmod 755 "$work"
fs=$work/fs            # stands for the image's file system: /source is $fs/source, /app is $fs/app
api_pid= pg_bin= rabbit_dir=$work/rabbitmq
finish() {
  local status=$?
  if [ -n "$api_pid" ]; then kill "$api_pid" 2>/dev/null || true; wait "$api_pid" 2>/dev/null || true; fi
  if [ -n "$pg_bin" ] && [ -f "$work/pg/postmaster.pid" ]; then as_postgres "$pg_bin/pg_ctl" -D "$work/pg" stop -m fast >/dev/null 2>&1 || true; fi
  bash deploy/scripts/local-rabbitmq.sh stop "$rabbit_dir" >/dev/null 2>&1 || true
  if [ $status -ne 0 ] && [ -f "$work/api.log" ]; then echo "-- the API's output:" >&2; tail -n 40 "$work/api.log" >&2; fi
  rm -rf "$work"
  exit $status
}
trap finish EXIT
fail() { echo "image check: $*" >&2; exit 1; }
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
# shellcheck source=free-port.sh
source deploy/scripts/free-port.sh
# An absolute path of the image, in the scratch root.
in_fs() { case "$1" in /*) echo "$fs$1" ;; *) echo "$workdir/$1" ;; esac; }

echo "== build context (the working tree less .dockerignore)"
context=$work/context
mkdir -p "$context"
git ls-files -z --cached --others --exclude-from=.dockerignore | while IFS= read -r -d '' file; do
  if [ -e "$file" ]; then mkdir -p "$context/$(dirname "$file")" && cp -a "$file" "$context/$file"; fi
done
for leak in bin obj .data .git; do
  if find "$context" -name "$leak" -type d | grep -q .; then fail "the build context holds a directory named $leak/: add it to .dockerignore"; fi
done
echo "$(find "$context" -type f | wc -l) files"

echo "== build stage of deploy/Dockerfile"
# Instructions one to a line (continuations joined), comments dropped.
mapfile -t instructions < <(sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' deploy/Dockerfile | grep -vE '^\s*(#|$)')
stage=0 workdir=$fs runtime_env=()
for line in "${instructions[@]}"; do
  read -r op rest <<< "$line"
  case "${op^^}" in
    FROM) stage=$((stage + 1)); workdir=$fs; continue ;;
  esac
  if [ $stage -eq 1 ]; then
    case "${op^^}" in
      WORKDIR) workdir=$(in_fs "$rest"); mkdir -p "$workdir" ;;
      COPY)
        read -r -a args <<< "$rest"
        dest=$(in_fs "${args[-1]}")
        for src in "${args[@]:0:${#args[@]}-1}"; do
          [ -e "$context/$src" ] || fail "COPY $src: not in the build context"
          if [ -d "$context/$src" ]; then mkdir -p "$dest" && cp -a "$context/$src/." "$dest/"
          else mkdir -p "$dest" && cp -a "$context/$src" "$dest/"; fi
        done ;;
      RUN)
        # Absolute paths of the image (an argument that starts with /) are taken into the scratch root.
        command=$(sed -E "s#(^| )/#\1$fs/#g" <<< "$rest")
        echo "RUN $rest"
        (cd "$workdir" && bash -c "$command" > "$work/run.log" 2>&1) || { tail -n 30 "$work/run.log" >&2; fail "RUN $rest failed"; } ;;
    esac
  elif [ $stage -eq 2 ]; then
    case "${op^^}" in
      ENV) eval "runtime_env+=($rest)" ;;
      COPY) [[ "$rest" == --from=build* ]] || fail "the runtime stage copies from somewhere else than the build stage: $rest" ;;
      ENTRYPOINT) entrypoint=$rest ;;
    esac
  fi
done
[ -f "$fs/app/AdoptionEvents.Api.dll" ] || fail "the build stage published no AdoptionEvents.Api.dll to /app"
[ "${entrypoint:-}" = '["dotnet", "AdoptionEvents.Api.dll"]' ] || fail "the entry point is not dotnet AdoptionEvents.Api.dll: ${entrypoint:-none}"

echo "== services standing in for the compose file's postgres and rabbitmq"
bash deploy/scripts/install-prerequisites.sh
# The server's own folder (initdb on PATH may be a link to it): psql comes with the server package, beside it.
pg_bin=$(dirname "$(readlink -f "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")")
pg_port=$(free_port)
mkdir -p "$work/pg" "$work/pg-socket" && chmod 700 "$work/pg"
if [ "$(id -u)" -eq 0 ]; then chown postgres "$work/pg" "$work/pg-socket"; fi
as_postgres "$pg_bin/initdb" -D "$work/pg" -A trust -U postgres > "$work/initdb.log" 2>&1
as_postgres "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w -o "-p $pg_port -k $work/pg-socket -c listen_addresses=127.0.0.1" start > /dev/null
# The compose file's POSTGRES_USER and POSTGRES_DB, as the postgres image makes them.
as_postgres "$pg_bin/psql" -qAt -h 127.0.0.1 -p "$pg_port" -U postgres -c "create role adoption login password 'check-password'" -c "create database adoption_events owner adoption"
mkdir -p "$rabbit_dir" && chmod 755 "$rabbit_dir"
bash deploy/scripts/local-rabbitmq.sh start "$rabbit_dir" > /dev/null
amqp_port=$(sed -E 's#.*:([0-9]+)/$#\1#' "$rabbit_dir/uri")
bash deploy/scripts/local-rabbitmq.sh ctl "$rabbit_dir" add_user adoption check-password > /dev/null
bash deploy/scripts/local-rabbitmq.sh ctl "$rabbit_dir" set_permissions -p / adoption '.*' '.*' '.*' > /dev/null

echo "== the API as the compose file runs the image"
# deploy/.env.example, with what it leaves for the operator to fill in.
set -a
# shellcheck disable=SC1091
source deploy/.env.example
POSTGRES_PASSWORD=check-password RABBITMQ_PASSWORD=check-password AUTH_AUTHORITY=https://issuer.example.nhs.uk
# The demo journeys give the relay events to publish to the compose file's broker.
DEMO_DATA=true
set +a
# The api service's environment block: "      Name: value" lines under "    environment:".
mapfile -t compose_env < <(awk '
  /^  [a-z]/ { service = $1 }
  /^    [a-z]/ { section = $1 }
  service == "api:" && section == "environment:" && /^      [A-Za-z_]+: / { print }
' deploy/docker-compose.yml)
[ ${#compose_env[@]} -gt 0 ] || fail "no environment found for the api service in deploy/docker-compose.yml"
api_port=$(free_port)
environment=("PATH=$PATH" "HOME=$work" "DOTNET_CLI_TELEMETRY_OPTOUT=1" "${runtime_env[@]}")
for entry in "${compose_env[@]}"; do
  name=$(sed -E 's/^ +([A-Za-z_]+): .*/\1/' <<< "$entry")
  raw=$(sed -E 's/^ +[A-Za-z_]+: //; s/^"(.*)"$/\1/' <<< "$entry")
  value=$(eval "printf '%s' \"$raw\"") || fail "$name: deploy/.env.example leaves a required variable unset"
  # The compose services' names, as the stand-ins answer.
  value=${value//Host=postgres;Port=5432;/Host=127.0.0.1;Port=$pg_port;}
  value=${value//@rabbitmq:5672\//@127.0.0.1:$amqp_port\/}
  environment+=("$name=$value")
done
# The image listens on 8080 on every interface; here, a free loopback port.
environment+=("ASPNETCORE_URLS=http://127.0.0.1:$api_port")
(cd "$fs/app" && exec env -i "${environment[@]}" dotnet AdoptionEvents.Api.dll) > "$work/api.log" 2>&1 &
api_pid=$!

status_of() { curl -s -o "$work/body" -w '%{http_code}' "$@" || echo 000; }
wait_for() {
  local path=$1 seconds=$2 code
  for _ in $(seq "$seconds"); do
    kill -0 "$api_pid" 2>/dev/null || fail "the API stopped while $path was awaited"
    code=$(status_of "http://127.0.0.1:$api_port$path")
    if [ "$code" = 200 ]; then echo "$path: 200 $(head -c 200 "$work/body")"; return; fi
    sleep 1
  done
  fail "$path did not answer 200 within $seconds s (last: $code $(head -c 300 "$work/body" 2>/dev/null))"
}
wait_for /health/live 90
wait_for /health/ready 90
code=$(status_of "http://127.0.0.1:$api_port/api/innovations")
[ "$code" = 401 ] || fail "GET /api/innovations without a token answered $code, not 401"
echo "/api/innovations without a token: 401"
# The demo journeys (DEMO_DATA=true) stored, and relayed to the broker: the relay declares its exchange on its first page.
events=0
for _ in $(seq 60); do
  events=$(as_postgres "$pg_bin/psql" -qAt -h 127.0.0.1 -p "$pg_port" -U postgres -d adoption_events \
    -c "select count(*) from adoption.mt_events where type <> 'organisation_registered'" 2>/dev/null || echo 0)
  [ "$events" -ge 185 ] && break
  sleep 1
done
[ "$events" -ge 185 ] || fail "the demo journeys were not stored within 60 s ($events events)"
echo "demo journeys stored: $events events"
exchange=adoption-events
for _ in $(seq 60); do
  if bash deploy/scripts/local-rabbitmq.sh ctl "$rabbit_dir" list_exchanges name 2>/dev/null | grep -qx "$exchange"; then
    echo "exchange '$exchange' declared on the broker by the relay"
    echo "image check passed"
    exit 0
  fi
  sleep 1
done
fail "the relay did not reach the compose file's broker within 60 s (no '$exchange' exchange)"
