#!/usr/bin/env bash
# Script start-up: `--plan` of a build script, cold (empty compile cache: Roslyn compiles the script)
# versus cached (the compiled assembly is loaded, Roslyn is skipped), each in a fresh process.
# Prints the median of N runs of each and their ratio.
# Usage: bench/script-startup.sh [SCRIPT=examples/multistage/build.csx] [RUNS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
script=${1:-examples/multistage/build.csx}
runs=${2:-5}

dotnet build src/Orchestrator.Cli -c Release -v q -nologo >/dev/null
cli=(dotnet src/Orchestrator.Cli/bin/Release/net10.0/dotnet-orchestrate.dll)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

cold=() cached=()
for i in $(seq "$runs"); do
  cache="$work/cold-$i"
  t0=$(now); "${cli[@]}" "$script" --plan --cache-dir "$cache" >/dev/null; t1=$(now)
  cold+=($(( (t1 - t0) / 1000000 )))
  t0=$(now); "${cli[@]}" "$script" --plan --cache-dir "$cache" >/dev/null; t1=$(now)
  cached+=($(( (t1 - t0) / 1000000 )))
done

cold_ms=$(printf '%s\n' "${cold[@]}" | median)
cached_ms=$(printf '%s\n' "${cached[@]}" | median)
echo "script:  $script  ($runs runs each, median, separate processes)"
echo "cold:    $(awk -v m="$cold_ms" 'BEGIN{printf "%.3f s", m/1000}')   runs(ms): ${cold[*]}"
echo "cached:  $(awk -v m="$cached_ms" 'BEGIN{printf "%.3f s", m/1000}')   runs(ms): ${cached[*]}"
echo "ratio:   $(awk -v a="$cold_ms" -v b="$cached_ms" 'BEGIN{printf "%.1fx faster when cached", a/b}')"
