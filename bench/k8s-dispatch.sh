#!/usr/bin/env bash
# The Kubernetes backend against the in-process API emulator (tests/Orchestrator.Kubernetes.Tests/Emulator), whose
# kubelet runs this project's executor as processes on this machine, pushing into a real loopback registry:
#   (1) overhead per node: one trivial node as a Job (create → running → digest) vs the local backend, with the
#       kubelet's split (context fetch, executor);
#   (2) wall time of 4 independent stages as parallel Jobs (--jobs 4) vs the sum of their local builds (goal ≤ 0.4×).
# The emulated cluster is this machine: pods share its cores, so CPU-bound steps cannot overlap beyond them; the
# stages here wait (sleep 3) as network-bound steps do. Every build is cold (--no-cache).
# The pods run the executor published as for the executor image (build.csx: self-contained, one ReadyToRun composite
# with the .NET libraries, for this machine's platform).
# Usage: bench/k8s-dispatch.sh [RUNS=1]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-1}
export TMPDIR=${TMPDIR:-$(mktemp -d /tmp/orchestrator-bench-tmp-XXXXXX)}
case "$(uname -m)" in aarch64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac
executor="$TMPDIR/executor"
dotnet publish "$root/src/Orchestrator.Cli" -c Release -r "$rid" --self-contained -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true -o "$executor" -v q -nologo >/dev/null
dotnet run --project "$root/bench/tools/K8sDispatch" -c Release -v q -- "$runs" "$executor/dotnet-orchestrate"
