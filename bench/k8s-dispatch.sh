#!/usr/bin/env bash
# The Kubernetes backend against the in-process API emulator (tests/Orchestrator.Kubernetes.Tests/Emulator), whose
# kubelet runs this project's executor as processes on this machine, pushing into a real loopback registry:
#   (1) overhead per node: one trivial node as a Job (create → running → digest) vs the local backend, with the
#       kubelet's split (context fetch, executor);
#   (2) wall time of 4 independent stages as parallel Jobs (--jobs 4) vs the sum of their local builds (goal ≤ 0.4×).
# The emulated cluster is this machine: pods share its cores, so CPU-bound steps cannot overlap beyond them; the
# stages here wait (sleep 3) as network-bound steps do. Every build is cold (--no-cache).
# Usage: bench/k8s-dispatch.sh [RUNS=1]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-1}
export TMPDIR=${TMPDIR:-$(mktemp -d /tmp/orchestrator-bench-tmp-XXXXXX)}
dotnet run --project "$root/bench/tools/K8sDispatch" -c Release -v q -- "$runs"
