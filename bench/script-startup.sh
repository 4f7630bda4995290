#!/usr/bin/env bash
# Script start-up: `--plan` of a build script, cold (empty compile cache: Roslyn compiles the script)
# versus cached (the compiled assembly is loaded, Roslyn is skipped), each in a fresh process, for the
# portable build of the CLI and for the ReadyToRun publish that the tool's platform packages ship.
# Prints the median of N runs of each and their ratios.
# Usage: bench/script-startup.sh [SCRIPT=examples/multistage/build.csx] [RUNS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
script=${1:-examples/multistage/build.csx}
runs=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rid=$(dotnet --info | awk '/RID:/ {print $2; exit}')
dotnet build src/Orchestrator.Cli -c Release -v q -nologo >/dev/null
dotnet publish src/Orchestrator.Cli -c Release -r "$rid" --self-contained false -o "$work/r2r" -v q -nologo >/dev/null
portable=(dotnet src/Orchestrator.Cli/bin/Release/net10.0/dotnet-orchestrate.dll)
readytorun=(dotnet "$work/r2r/dotnet-orchestrate.dll")

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
seconds() { awk -v m="$1" 'BEGIN{printf "%.3f s", m/1000}'; }

# measure NAME CLI...: sets ${NAME}_cold and ${NAME}_cached (median ms)
measure() {
  local name=$1; shift
  local cold=() cached=()
  for i in $(seq "$runs"); do
    local cache="$work/$name-cache-$i"
    local t0 t1
    t0=$(now); "$@" "$script" --plan --cache-dir "$cache" >/dev/null; t1=$(now)
    cold+=($(( (t1 - t0) / 1000000 )))
    t0=$(now); "$@" "$script" --plan --cache-dir "$cache" >/dev/null; t1=$(now)
    cached+=($(( (t1 - t0) / 1000000 )))
  done
  printf -v "${name}_cold" '%s' "$(printf '%s\n' "${cold[@]}" | median)"
  printf -v "${name}_cached" '%s' "$(printf '%s\n' "${cached[@]}" | median)"
  echo "$name: cold runs(ms) ${cold[*]}; cached runs(ms) ${cached[*]}"
}

measure portable "${portable[@]}"
measure readytorun "${readytorun[@]}"

echo "script:  $script  ($runs runs each, median, separate processes, $rid)"
printf '%-11s %-10s %-10s\n' "" cold cached
printf '%-11s %-10s %-10s\n' portable "$(seconds "$portable_cold")" "$(seconds "$portable_cached")"
printf '%-11s %-10s %-10s\n' readytorun "$(seconds "$readytorun_cold")" "$(seconds "$readytorun_cached")"
echo "cached vs cold (portable):     $(awk -v a="$portable_cold" -v b="$portable_cached" 'BEGIN{printf "%.1fx faster", a/b}')"
echo "readytorun vs portable cached: $(awk -v a="$readytorun_cached" -v b="$portable_cached" 'BEGIN{printf "%.2fx the time", a/b}')"
