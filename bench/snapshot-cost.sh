#!/bin/sh
# Snapshot cost of a one-file RUN on a 5k-file and a 50k-file rootfs (issue 4, benchmark b).
# Prints the overlay snapshot (what the local builder does), the whole sandboxed RUN step, and
# the metadata-walk fallback, plus the 50k/5k ratios. Goal: overlay ratio <= 1.5.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dotnet build "$here/tools/SnapshotCost/SnapshotCost.csproj" -c Release -v q -nologo >/dev/null
if [ $# -eq 0 ]; then set -- 5000 50000; fi
exec dotnet "$here/tools/SnapshotCost/bin/Release/net10.0/SnapshotCost.dll" "$@"
