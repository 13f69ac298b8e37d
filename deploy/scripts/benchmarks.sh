#!/usr/bin/env bash
# The benchmark suite of issue 9: BenchmarkDotNet over the hot pure code (tests/AdoptionEvents.MicroBenchmarks)
# and the load harness (tests/AdoptionEvents.Benchmarks), which measures side by side on one machine and one
# throw-away PostgreSQL cluster (from the local binaries, or ADOPTIONEVENTS_BENCH_CONNECTION_STRING):
#   a  raw binary COPY of the same event rows (the ceiling)
#   b  bulk import through the product (POST /api/imports), every async projection caught up
#   c  HTTP commands on one innovation of 5,000 sites / 50,000 events from concurrent clients (Kestrel, real sockets),
#      then (c.rate) the same commands offered at a fixed rate, each timed from when it was due
#   d  a rebuild of every async projection (POST /api/admin/projections/{name}/rebuild)
#   e  as-of replay of the 50,000-event journey
#   f  lag from commit to a RabbitMQ consumer (a private node from local-rabbitmq.sh, or ADOPTIONEVENTS_BENCH_RABBITMQ)
#   m  the micro benchmarks
# plus the API process's peak working set under c and d. The API runs as a child process configured by
# environment variables; the cluster, the broker node and the API are stopped at the end, also on failure.
# Writes results.md and results.json (machine, figures, targets, pass/fail, ratios to a) into the folder.
#
#   bash deploy/scripts/benchmarks.sh [options]
#     --only LIST             paths to run, e.g. --only c,e or --only m (default a,b,c,d,e,f,m)
#     --scale N               synthetic network multiplier for a, b, d (default 10: 2,150 journeys, 395,027 events)
#     --sites N --events N    the large journey (default 5000 sites, 50000 events)
#     --concurrency N         clients of c (default 32)
#     --command-seconds S     how long c runs (default 30)
#     --command-warm-up-seconds S  untimed load before c (default 5)
#     --command-rate N --rate-seconds S   c.rate: commands offered at N a second for S s, after c (default 1000, 20; 0: not run)
#     --rate-warm-up-seconds S  untimed first seconds of c.rate at the same rate (default 3)
#     --as-of-runs N          timed as-of requests after one warm-up (default 10)
#     --lag-commands N --lag-interval-ms MS   paced commands of f (default 200, 25 ms apart)
#     --broker on|off         off: no broker for c, e and f, so the relay publishes nothing during c and c.rate and f is
#                             not run (default on: every run with c or f starts the broker, and the relay publishes meanwhile)
#     --import-box-seconds S --rebuild-box-seconds S --as-of-box-seconds S
#                             longest wait for b, d, e (defaults 210, 150, 30); a path cut by its box is reported
#                             "incomplete" with the progress it made, so the suite stays under 15 minutes
#     --out DIR               results folder (default benchmark-results)
#   The old form `benchmarks.sh [scale] [folder]` still works. Small while developing:
#     bash deploy/scripts/benchmarks.sh --scale 1 --sites 500 --events 5000 --concurrency 8 --command-seconds 10
set -euo pipefail
cd "$(dirname "$0")/../.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
BENCH_STARTED=$(date +%s)
export BENCH_STARTED

out=benchmark-results
only=a,b,c,d,e,f,m
forward=()
positional=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --*) forward+=("$1" "$2"); shift 2 ;;
    *)
      if [ $positional -eq 0 ]; then forward+=(--scale "$1"); else out=$1; fi
      positional=$((positional + 1)); shift ;;
  esac
done
out=$(realpath -m "$out")
mkdir -p "$out"
rm -f "$out/micro.json" "$out/results.md" "$out/results.json"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git diff --quiet HEAD 2>/dev/null; then commit="$commit+uncommitted"; fi
micro=no
case ",$only," in *,m,*) micro=yes ;; esac

echo "== build (Release)"
dotnet build tests/AdoptionEvents.Benchmarks -c Release -v quiet -nologo
if [ $micro = yes ]; then dotnet build tests/AdoptionEvents.MicroBenchmarks -c Release -v quiet -nologo; fi

child=
stop() { if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi; exit 130; }
trap stop INT TERM

if [ $micro = yes ]; then
  echo "== micro benchmarks (BenchmarkDotNet, short run, in process; log in $out/micro.log)"
  dotnet tests/AdoptionEvents.MicroBenchmarks/bin/Release/net10.0/AdoptionEvents.MicroBenchmarks.dll --out "$out" > "$out/micro.log" 2>&1 &
  child=$!; wait "$child" || echo "micro benchmarks failed (exit $?, see $out/micro.log); the load harness still runs"
  child=
  tail -n 1 "$out/micro.log"
fi

echo "== load harness"
status=0
dotnet tests/AdoptionEvents.Benchmarks/bin/Release/net10.0/AdoptionEvents.Benchmarks.dll --only "$only" --out "$out" --commit "$commit" "${forward[@]}" &
child=$!; wait "$child" || status=$?
child=

cat "$out/results.md"
echo "Suite wall time: $(( $(date +%s) - BENCH_STARTED )) s"
exit $status
