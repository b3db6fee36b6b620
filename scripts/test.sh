#!/usr/bin/env bash
# The whole test suite: starts RabbitMQ and Azurite (installing them when absent), builds the
# solution and runs every test project against them. Ends with one line "N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scripts/services.sh start || { echo "0 passed, 1 failed"; echo "services could not be started" >&2; exit 1; }
export AZURITE_CONNECTION_STRING="${AZURITE_CONNECTION_STRING:-UseDevelopmentStorage=true}"
export RABBITMQ_URI="${RABBITMQ_URI:-amqp://guest:guest@127.0.0.1:5672/}"
# This environment's feed lacks the Kafka, RabbitMQ and Sql worker extensions: build the Function App with
# functions/FunctionsSdkSurface in their place (README "Function App"). UseFunctionsSurface=false uses the real ones.
export UseFunctionsSurface="${UseFunctionsSurface:-true}"

results="$root/TestResults"
rm -rf "$results"
# NU1603 stays a warning only for the host-side extensions project the Worker SDK generates and restores itself
# (obj/**/WorkerExtensions): a feed serving a newer patch of one of its dependencies is not ours to fail on. Our
# own projects still fail on it (TreatWarningsAsErrors in Directory.Build.props).
dotnet build Functions.sln --configuration Release -warnaserror -warnnotaserror:NU1603 || { echo "0 passed, 1 failed"; echo "build failed" >&2; exit 1; }
# One results folder per test project, so no two TRX files can collide.
status=0
# Each project finds its services running (one that fell over in an earlier project is said and started again), and a test
# hanging past 5 minutes (the longest test takes about 2.5) ends its project with a failure, so the suite always reaches its summary line.
for project in tests/*.Tests/*.csproj; do
  name=$(basename "$project" .csproj)
  scripts/services.sh start 2>&1 | grep -v "already" >&2 || true
  dotnet test "$project" --configuration Release --no-build --logger "trx;LogFileName=$name.trx" \
    --blame-hang-timeout 5m --blame-hang-dump-type none --results-directory "$results/$name" "$@" || status=$?
done

# Sum the counters of every TRX file: one line for the whole suite, whatever the project count.
read -r passed failed skipped < <(
  cat "$results"/*/*.trx 2>/dev/null | grep -o '<Counters [^>]*>' | awk '
    { for (i = 1; i <= NF; i++) { split($i, kv, "=\""); gsub(/"/, "", kv[2]);
        if (kv[1] == "passed") p += kv[2]; if (kv[1] == "failed") f += kv[2];
        if (kv[1] == "notExecuted") s += kv[2]; if (kv[1] == "error") f += kv[2]; } }
    END { printf "%d %d %d\n", p, f, s }')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "dotnet test failed before running every test (build error?)" >&2; fi
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
exit "$status"
