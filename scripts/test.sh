#!/usr/bin/env bash
# Run every test suite of the project, setting up what is missing first:
#   1. the auditor's suite (tests/), in .venv
#   2. the reference service's suite on SQLite, in .venv-ref
#   3. the same suite on PostgreSQL, when a server can be had: REF_POSTGRES_URL if set,
#      otherwise a throwaway local server started from Debian's packages (scripts/postgres.sh)
#   4. a short locust smoke run of the reference service (when locust is installed)
# Exit status: non-zero when any suite fails.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
PIP_FLAGS=(-q --disable-pip-version-check)

echo "== setting up .venv (auditor) and .venv-ref (reference service)"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install "${PIP_FLAGS[@]}" -e '.[test]'
[ -x .venv-ref/bin/python ] || "$PY" -m venv .venv-ref
.venv-ref/bin/pip install "${PIP_FLAGS[@]}" -r fixtures/reference-service/requirements-dev.txt \
  -r fixtures/reference-service/requirements-load.txt

status=0
pg_url=${REF_POSTGRES_URL:-}
started_pg=0
if [ -z "$pg_url" ] && pg_url=$(bash scripts/postgres.sh start 2>/dev/null); then
  started_pg=1
fi
[ -n "$pg_url" ] || echo "== no PostgreSQL server: its suites are skipped (set REF_POSTGRES_URL or apt-get install postgresql)"

# a Dask scheduler and two workers on 127.0.0.1 for the fleet tests (stopped on exit)
dask_pids=()
stop_dask() { for pid in "${dask_pids[@]}"; do kill "$pid" 2>/dev/null || true; done; dask_pids=(); wait 2>/dev/null || true; }
trap stop_dask EXIT
dask_port=${AUDITOR_DASK_PORT:-58786}
dask_dir=$(mktemp -d)
.venv/bin/dask scheduler --host 127.0.0.1 --port "$dask_port" --no-dashboard >"$dask_dir/scheduler.log" 2>&1 &
dask_pids+=($!)
for i in 1 2; do
  .venv/bin/dask worker "tcp://127.0.0.1:$dask_port" --host 127.0.0.1 --nworkers 1 --nthreads 1 --no-dashboard \
    --local-directory "$dask_dir/worker$i" >"$dask_dir/worker$i.log" 2>&1 &
  dask_pids+=($!)
done

echo "== auditor tests"
AUDITOR_TEST_POSTGRES_URL="$pg_url" AUDITOR_TEST_DASK_SCHEDULER="tcp://127.0.0.1:$dask_port" \
  .venv/bin/python -m pytest || status=1
stop_dask

echo "== reference service tests (SQLite)"
(cd fixtures/reference-service && ../../.venv-ref/bin/python -m pytest -q -p no:cacheprovider) || status=1

if [ -n "$pg_url" ]; then
  echo "== reference service tests (PostgreSQL)"
  (cd fixtures/reference-service && TEST_DATABASE_URL="$pg_url" ../../.venv-ref/bin/python -m pytest -q -p no:cacheprovider) \
    || status=1
else
  echo "== reference service tests (PostgreSQL): skipped, no server (set REF_POSTGRES_URL or apt-get install postgresql)"
fi
[ "$started_pg" = 1 ] && bash scripts/postgres.sh stop || true

if [ -x fixtures/reference-service/scripts/loadtest.sh ] && [ -x .venv-ref/bin/locust ]; then
  echo "== reference service load smoke test"
  (cd fixtures/reference-service && PATH="$PWD/../../.venv-ref/bin:$PATH" ./scripts/loadtest.sh --smoke) || status=1
fi
exit $status
