#!/usr/bin/env bash
# `make demo`: run example_intercom_mark_read end to end against a local Intercom emulator.
#
# Starts the emulator on a free port, makes a fresh Airflow home under .demo/airflow, migrates its
# metadata DB, and runs the DAG with dag.test() (scripts/demo_run.py). Airflow's own output goes
# to .demo/demo.log; the terminal only shows progress and the conversation that landed in XCom.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
VENV=${VENV:-.venv}
PY=$REPO/$VENV/bin/python
AIRFLOW=$REPO/$VENV/bin/airflow
DEMO=$REPO/.demo
LOG=$DEMO/demo.log
EMULATOR_OUT=$DEMO/emulator.out
EMULATOR_ERR=$DEMO/emulator.err
READY_TIMEOUT=${READY_TIMEOUT:-30}

if [[ ! -x $PY || ! -x $AIRFLOW ]]; then
    echo "demo: $VENV has no python/airflow; run 'make demo' (it builds the venv first)." >&2
    exit 1
fi

mkdir -p "$DEMO"
: >"$LOG"
emulator_pid=""

cleanup() {
    # Runs on every exit, including `set -e` failures and Ctrl+C, so no emulator is left behind.
    local status=$?
    if [[ -n $emulator_pid ]] && kill -0 "$emulator_pid" 2>/dev/null; then
        kill -TERM "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "==> Starting the Intercom emulator (1000 conversations, rate limit 1667/10s, latency 0.1s)"
# -u: the ready line must reach the file as soon as it is printed, not when a buffer fills.
# stdout holds exactly one JSON "ready" line; the emulator's messages for people go to stderr.
"$PY" -u -m airflow_provider_intercom.testing.emulator \
    --port 0 --conversations 1000 --rate-limit 1667/10s --latency 0.1 >"$EMULATOR_OUT" 2>"$EMULATOR_ERR" &
emulator_pid=$!

# ready_field NAME: that field of the emulator's ready line, or nothing while the line is incomplete.
ready_field() {
    "$PY" - "$EMULATOR_OUT" "$1" <<'PY'
import json
import sys

with open(sys.argv[1], encoding="utf-8") as out:
    line = out.readline()
if line.endswith("\n"):
    ready = json.loads(line)
    if ready.get("event") == "ready":
        print(ready[sys.argv[2]])
PY
}

show_emulator_output() {
    echo "--- stdout ($EMULATOR_OUT):" >&2
    cat "$EMULATOR_OUT" >&2
    echo "--- stderr ($EMULATOR_ERR):" >&2
    cat "$EMULATOR_ERR" >&2
}

# --port 0 lets the OS pick the port, so the only way to learn it is the ready line.
url=""
deadline=$((SECONDS + READY_TIMEOUT))
while [[ -z $url ]]; do
    url=$(ready_field url)
    [[ -n $url ]] && break
    if ! kill -0 "$emulator_pid" 2>/dev/null; then
        echo "demo: the emulator exited before it was ready. Its output:" >&2
        show_emulator_output
        exit 1
    fi
    if ((SECONDS >= deadline)); then
        echo "demo: the emulator printed no ready line within ${READY_TIMEOUT}s. Its output:" >&2
        show_emulator_output
        exit 1
    fi
    sleep 0.2
done
conn_json=$(ready_field conn_json)
echo "    emulator at $url (pid $emulator_pid)"

# A fresh home each run: no DAG runs, XComs or config left over from an earlier demo.
export AIRFLOW_HOME=$DEMO/airflow
rm -rf "$AIRFLOW_HOME"
mkdir -p "$AIRFLOW_HOME"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DAGS_FOLDER=$REPO/example_dags
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=sqlite:///$AIRFLOW_HOME/airflow.db
export AIRFLOW_CONN_INTERCOM_DEFAULT=$conn_json
# Any other connection in the caller's shell is unrelated to the demo.
while IFS= read -r name; do
    [[ $name == AIRFLOW_CONN_INTERCOM_DEFAULT ]] || unset "$name"
done < <(compgen -e | grep '^AIRFLOW_CONN_' || true)

echo "==> Migrating Airflow's metadata DB in $AIRFLOW_HOME"
if ! "$AIRFLOW" db migrate >>"$LOG" 2>&1; then
    echo "demo: 'airflow db migrate' failed; last lines of $LOG:" >&2
    tail -n 40 "$LOG" >&2
    exit 1
fi

echo "==> Running example_intercom_mark_read with dag.test() (Airflow's log: $LOG)"
if ! "$PY" "$REPO/scripts/demo_run.py" --log "$LOG"; then
    echo "demo: the DAG run did not succeed; see $LOG (last lines below)" >&2
    tail -n 30 "$LOG" >&2
    exit 1
fi
echo "==> Demo finished. Airflow's full log: $LOG"
