#!/usr/bin/env bash
# Runs every test of the solution: installs what the tests need (etcd, PostgreSQL tools),
# starts a throw-away PostgreSQL on 127.0.0.1:55432, builds once, then runs each test project
# and prints its wall time. Exit status is non-zero when any test fails.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

need_apt=()
command -v etcd >/dev/null 2>&1 || need_apt+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || need_apt+=(etcd-client)
command -v kubectl >/dev/null 2>&1 || echo "warning: kubectl is not installed; the kubectl conformance tests will fail" >&2
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null || { echo "apt-get install ${need_apt[*]} failed" >&2; exit 1; }
fi

# PostgreSQL for the journal tests (started without systemd, as TOOLCHAIN.md describes).
PGDIR=${CAPI_TEST_PGDIR:-/tmp/capi-upgrade-test-pg}
PGPORT=${CAPI_TEST_PGPORT:-55432}
PGBIN=/usr/lib/postgresql/15/bin
if ! pg_isready -h 127.0.0.1 -p "$PGPORT" >/dev/null 2>&1; then
  echo "== starting PostgreSQL on 127.0.0.1:$PGPORT ($PGDIR)"
  mkdir -p "$PGDIR" && chown postgres:postgres "$PGDIR"
  [ -f "$PGDIR/data/PG_VERSION" ] || su postgres -c "$PGBIN/initdb -D $PGDIR/data -U postgres --auth=trust -E UTF8" >/dev/null
  su postgres -c "$PGBIN/pg_ctl -D $PGDIR/data -o '-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1' -l $PGDIR/server.log -w start" >/dev/null \
    || { echo "PostgreSQL did not start; see $PGDIR/server.log" >&2; exit 1; }
fi
export CAPI_TEST_POSTGRES="Host=127.0.0.1;Port=$PGPORT;Username=postgres"

echo "== building"
dotnet build CapiUpgrade.Actors.sln -c Release -nologo -v q || exit 1

logdir=${CAPI_TEST_LOGDIR:-$here/.artifacts/test-logs}
mkdir -p "$logdir"
total_passed=0; total_failed=0; total_skipped=0; failed_projects=()
summary=()
for proj in tests/*/*.csproj; do
  name=$(basename "$proj" .csproj)
  grep -q '<IsTestProject>true</IsTestProject>' "$proj" || continue
  echo "== $name"
  log="$logdir/$name.log"
  start=$(date +%s%N)
  dotnet test "$proj" -c Release --no-build -nologo --blame-hang-timeout 8m --logger "console;verbosity=normal" 2>&1 | tee "$log" | grep -E '^\s*(Failed|Skipped) |Error Message|^(Passed|Failed)!|Total tests|^\s*(Passed|Failed|Skipped):|error [A-Z]+[0-9]+' | head -200
  rc=${PIPESTATUS[0]}
  end=$(date +%s%N)
  ms=$(( (end - start) / 1000000 )); wall="$((ms / 1000)).$(( (ms % 1000) / 100 ))"
  p=$(grep -oE 'Passed: +[0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
  f=$(grep -oE 'Failed: +[0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
  s=$(grep -oE 'Skipped: +[0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
  total_passed=$((total_passed + ${p:-0})); total_failed=$((total_failed + ${f:-0})); total_skipped=$((total_skipped + ${s:-0}))
  if [ "$rc" -ne 0 ]; then
    failed_projects+=("$name"); [ "${f:-0}" -eq 0 ] && total_failed=$((total_failed + 1))
    echo "-- last lines of $log:"; tail -60 "$log"
  fi
  summary+=("$(printf '%-40s %8ss  passed %4s  failed %3s  skipped %3s' "$name" "$wall" "${p:-0}" "${f:-0}" "${s:-0}")")
done

echo
echo "== wall time per test project"
printf '%s\n' "${summary[@]}"
echo
echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
if [ ${#failed_projects[@]} -gt 0 ]; then
  echo "failing projects: ${failed_projects[*]}" >&2
  exit 1
fi
