#!/usr/bin/env bash
# The Kubernetes backend against the in-process API emulator (tests/Orchestrator.Kubernetes.Tests/Emulator), whose
# kubelet runs this project's executor as processes on this machine, pushing into a real loopback registry:
#   (1) overhead per node: one trivial node as a Job (create → running → digest) vs the local backend, with the
#       kubelet's split (context fetch, executor);
#   (2) wall time of 4 independent stages as parallel Jobs (--jobs 4) vs the sum of their local builds (goal ≤ 0.4×).
# The emulated cluster is this machine: pods share its cores, so CPU-bound steps cannot overlap beyond them; the
# stages here wait (sleep 3) as network-bound steps do. Every build is cold (--no-cache).
# The pods run the executor published as for the executor image (build.csx: the CLI's executor build, one native
# program, for this machine's platform; needs clang and zlib1g-dev). The driver (client, API emulator and kubelet in one process) is
# published ReadyToRun as the CLI's tool package is, so that compiling its own code does not take the cores the pods
# share; it prints its own CPU and the executors' for the parallel Jobs.
# Usage: bench/k8s-dispatch.sh [RUNS=1]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-1}
export TMPDIR=${TMPDIR:-$(mktemp -d /tmp/orchestrator-bench-tmp-XXXXXX)}
case "$(uname -m)" in aarch64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac
executor="$TMPDIR/executor"
dotnet publish "$root/src/Orchestrator.Cli" -c Release -r "$rid" -p:OrchestratorExecutorOnly=true -o "$executor" -v q -nologo >/dev/null
# Published inside the repository: the driver finds the repository (recipes, fixtures) above its own folder. The tests
# it drives reference the CLI program, whose runtime files would otherwise collide with the driver's.
driver="$root/bench/tools/K8sDispatch/bin/publish-$rid"
dotnet publish "$root/bench/tools/K8sDispatch" -c Release -r "$rid" --self-contained false -p:ErrorOnDuplicatePublishOutputFiles=false -o "$driver" -v q -nologo >/dev/null
"$driver/K8sDispatch" "$runs" "$executor/dotnet-orchestrate"
