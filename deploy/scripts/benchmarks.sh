#!/usr/bin/env bash
# Runs the load harness (tests/AdoptionEvents.Benchmarks) on a throw-away PostgreSQL made from the local
# binaries (or ADOPTIONEVENTS_BENCH_CONNECTION_STRING), and writes results.md and results.json.
#   bash deploy/scripts/benchmarks.sh [scale] [output-folder]
set -euo pipefail
cd "$(dirname "$0")/../.."
scale=${1:-1}
out=$(realpath -m "${2:-benchmark-results}")
dotnet build tests/AdoptionEvents.Benchmarks -c Release -v quiet
dotnet run --project tests/AdoptionEvents.Benchmarks -c Release --no-build -- "$scale" "$out"
cat "$out/results.md"
