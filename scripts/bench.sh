#!/usr/bin/env bash
# Runs the benchmarks and rewrites their sections of docs/benchmarks.md.
#   scripts/bench.sh [duration] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-5s}"
runs="${2:-3}"
make -s build
go run ./bench/tcpecho -sluice bin/sluice -duration "$duration" -runs "$runs"
go run ./bench/http -sluice bin/sluice -duration "$duration" -runs "$runs"
