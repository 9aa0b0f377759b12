#!/usr/bin/env bash
# Runs the benchmarks (bench/run): every scenario of the default set,
# sluice against its reference in the same run, alternating; rewrites
# docs/benchmarks.md, its charts (docs/bench/*.png) and
# docs/bench/results.json, and keeps sluice's CPU and allocation profiles
# of each scenario in bin/bench-profiles/ (the page names the hot spots).
#
#   scripts/bench.sh [bench/run flags...]
#       e.g. scripts/bench.sh -scenarios tcp.echo,http.echo -duration 3s
#            scripts/bench.sh -list
#
# Installs h2load (scripts/deps.sh http) and, for scripts/kafka.sh, Java
# and Maven (scripts/deps.sh jvm) when missing. bench/run starts its own
# Kafka (its own state folder and ports) and stops it after.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh http jvm >&2
if [ $# -eq 0 ]; then
  export SLUICE_BENCH_COMMAND="${SLUICE_BENCH_COMMAND:-make bench}"
else
  export SLUICE_BENCH_COMMAND="${SLUICE_BENCH_COMMAND:-scripts/bench.sh $*}"
fi
make -s build
exec go run ./bench/run -sluice bin/sluice -profile bin/bench-profiles "$@"
