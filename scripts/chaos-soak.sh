#!/usr/bin/env bash
# The chaos ledger's soak variant (README, "Reliability"): a longer workload and more faults than the CI run.
# Usage: scripts/chaos-soak.sh [seed]   (CHAOS_OFFERS, CHAOS_WORK_ORDERS, CHAOS_KILLS, CHAOS_WINDOW_SECONDS override figures)
set -euo pipefail
cd "$(dirname "$0")/.."
export UseFunctionsSurface=true CHAOS_SOAK=1
if [ -n "${1:-}" ]; then export CHAOS_SEED="$1"; fi
dotnet build tests/Chaos.Tests -c Release -warnaserror -warnnotaserror:NU1603
dotnet test tests/Chaos.Tests --no-build -c Release --filter "FullyQualifiedName~LedgerTests" --logger "console;verbosity=detailed"
