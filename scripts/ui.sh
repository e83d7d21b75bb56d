#!/usr/bin/env bash
# shellcheck disable=SC2317 # any_alive, stop_groups and cleanup run from traps, which shellcheck cannot see
# `make ui`: a local Airflow (standalone: api-server, scheduler, dag-processor, triggerer) with the
# example DAGs and an `intercom_default` connection that points at a local Intercom emulator.
#
# Runs in the foreground until Ctrl+C, then stops Airflow and the emulator within 5 seconds and
# exits 0. Started in the background (`make ui &`), it ignores SIGINT like any background job: stop
# it with SIGTERM instead (`kill <pid of scripts/ui.sh>`), which does the same. State (metadata DB,
# generated admin password, logs) lives in .demo/ui and is kept between runs; `make clean` wipes it.
#   PORT=8081 make ui          serve on another port (default 8080)
#   UI_FRESH=1 make ui         start from an empty Airflow home
set -euo pipefail
# Job control: every background job gets its own process group, so the whole of Airflow (standalone
# and the components it spawns) can be signalled at once, and a Ctrl+C reaches only this script,
# which then stops them.
set -m

cd "$(dirname "$0")/.."
REPO=$PWD
VENV=${VENV:-.venv}
PORT=${PORT:-8080}
BIND=${AIRFLOW__API__HOST:-127.0.0.1}
READY_TIMEOUT=${READY_TIMEOUT:-180}
UI_HOME=$REPO/.demo/ui
EMULATOR_OUT=$UI_HOME/emulator.out
AIRFLOW_LOG=$UI_HOME/standalone.log
SETUP_LOG=$UI_HOME/setup.log
BASE_URL=http://localhost:$PORT

if [[ ! -x $REPO/$VENV/bin/airflow ]]; then
    echo "ui: $VENV has no airflow; run 'make ui' (it builds the venv first)." >&2
    exit 1
fi
# standalone launches its components as plain `airflow ...`, so the venv must come first on PATH.
export PATH=$REPO/$VENV/bin:$PATH
export VIRTUAL_ENV=$REPO/$VENV

if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; then
    echo "ui: something is already listening on port $PORT; stop it or run with PORT=<free port>." >&2
    exit 1
fi

[[ ${UI_FRESH:-0} == 1 ]] && rm -rf "$UI_HOME"
mkdir -p "$UI_HOME"
: >"$SETUP_LOG"

export AIRFLOW_HOME=$UI_HOME
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DAGS_FOLDER=$REPO/example_dags
# The connection form's Test button is disabled unless this is set.
export AIRFLOW__CORE__TEST_CONNECTION=Enabled
export AIRFLOW__API__PORT=$PORT
export AIRFLOW__API__HOST=$BIND
# Workers reach the execution API through base_url; it must name the port we serve on.
export AIRFLOW__API__BASE_URL=$BASE_URL
# A laptop demo needs a few task slots, not the default 32 forked LocalExecutor workers.
export AIRFLOW__CORE__PARALLELISM=${AIRFLOW__CORE__PARALLELISM:-4}
# The examples keep their real schedules, but the scheduler starts no scheduled runs: a DAG runs
# when the user triggers it. (Triggering from the UI unpauses the DAG, which would otherwise also
# queue its latest scheduled run, and that run could take all the work from the user's own.)
export AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE=False
# Find the example DAGs quickly instead of on the default 5-minute rescan.
export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=${AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL:-30}
# The connection lives in the metadata DB (so the UI lists and edits it); an env var would shadow it.
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep '^AIRFLOW_CONN_' || true)

emulator_pid=""
airflow_pid=""

# stop_groups PID...: SIGTERM to the process groups PID... lead (Airflow standalone and every
# component it spawned; the emulator), then SIGKILL to whatever of them is left after 3 seconds, so
# that stopping takes under 5 seconds. The metadata DB is SQLite, which a kill leaves consistent.
any_alive() {
    local pid
    for pid in "$@"; do kill -0 -- "-$pid" 2>/dev/null && return 0; done
    return 1
}
stop_groups() {
    local pid i
    for pid in "$@"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    for ((i = 0; i < 30; i++)); do
        any_alive "$@" || break
        sleep 0.1
    done
    for pid in "$@"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
    for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    local pids=()
    [[ -n $airflow_pid ]] && pids+=("$airflow_pid")
    [[ -n $emulator_pid ]] && pids+=("$emulator_pid")
    if ((${#pids[@]})); then
        echo
        echo "==> Stopping Airflow and the Intercom emulator (Airflow's log: $AIRFLOW_LOG)"
        stop_groups "${pids[@]}"
    fi
    exit "$status"
}
trap cleanup EXIT
# Ctrl+C or SIGTERM is how make ui is meant to end: a clean stop, exit status 0.
trap 'exit 0' INT TERM

# 30,000 conversations at 200 ms (p95 600 ms): the nightly bulk example (about 6,000 of them are
# closed and unread; at its 8,000 calls a minute that takes some 45 s) shows a few progress lines
# in its log, one about every 10 s.
echo "==> Starting the Intercom emulator (30000 conversations, rate limit 1667/10s, latency 0.2s, p95 0.6s)"
python -u -m airflow_provider_intercom.testing.emulator \
    --port 0 --conversations 30000 --rate-limit 1667/10s --latency 0.2 --latency-p95 0.6 >"$EMULATOR_OUT" 2>"$EMULATOR_OUT.err" &
emulator_pid=$!
ready=""
deadline=$((SECONDS + 30))
while [[ -z $ready ]]; do
    # --port 0 lets the OS pick a free port; the emulator's first stdout line is a JSON "ready" record.
    ready=$(grep -m 1 '"event": "ready"' "$EMULATOR_OUT" 2>/dev/null || true)
    [[ -n $ready ]] && break
    if ! kill -0 "$emulator_pid" 2>/dev/null || ((SECONDS >= deadline)); then
        echo "ui: the emulator did not start; its output ($EMULATOR_OUT*):" >&2
        cat "$EMULATOR_OUT" "$EMULATOR_OUT.err" >&2
        exit 1
    fi
    sleep 0.2
done
ready_field() { python -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$ready" "$1"; }
emulator_url=$(ready_field url)
emulator_token=$(ready_field token)
echo "    emulator at $emulator_url"
# Store the port too, as the connection form asks: Airflow 3.3.2's connection list tests a saved
# connection by sending `port: Number(port)`, i.e. 0 for an unset port, and the API then refuses
# with 400 "The host or port to test differs from the stored connection".
conn_json=$(python -c 'import json, sys, urllib.parse
conn = json.loads(json.loads(sys.argv[1])["conn_json"])
conn["port"] = urllib.parse.urlsplit(conn["host"]).port
print(json.dumps(conn))' "$ready")

# setup STEP CMD...: run an Airflow CLI step quietly; on failure show its output and stop.
setup() {
    local step=$1
    shift
    echo "    $step"
    if ! "$@" >>"$SETUP_LOG" 2>&1; then
        echo "ui: '$*' failed; last lines of $SETUP_LOG:" >&2
        tail -n 40 "$SETUP_LOG" >&2
        exit 1
    fi
}

echo "==> Preparing Airflow in $UI_HOME (log: $SETUP_LOG)"
setup "airflow db migrate" airflow db migrate
# The emulator's port changes every run, so the connection is replaced, not kept.
airflow connections delete intercom_default >>"$SETUP_LOG" 2>&1 || true
setup "airflow connections add intercom_default -> $emulator_url" \
    airflow connections add intercom_default --conn-json "$conn_json"

echo "==> Starting Airflow standalone (log: $AIRFLOW_LOG)"
airflow standalone >"$AIRFLOW_LOG" 2>&1 &
airflow_pid=$!

deadline=$((SECONDS + READY_TIMEOUT))
until curl -sf -o /dev/null --max-time 2 "$BASE_URL/api/v2/monitor/health"; do
    if ! kill -0 "$airflow_pid" 2>/dev/null; then
        echo "ui: airflow standalone exited; last lines of $AIRFLOW_LOG:" >&2
        tail -n 40 "$AIRFLOW_LOG" >&2
        exit 1
    fi
    if ((SECONDS >= deadline)); then
        echo "ui: the API server did not answer $BASE_URL/api/v2/monitor/health within ${READY_TIMEOUT}s;" \
            "last lines of $AIRFLOW_LOG:" >&2
        tail -n 40 "$AIRFLOW_LOG" >&2
        exit 1
    fi
    sleep 1
done

# Simple auth manager writes {"admin": "<password>"} here on first start and reuses it after.
password_file=$UI_HOME/simple_auth_manager_passwords.json.generated
password=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["admin"])' "$password_file" 2>/dev/null ||
    echo "(not found; see $password_file)")

cat <<EOF

  Airflow is up:      $BASE_URL
  Log in as:          admin / $password
  Connection:         intercom_default -> $emulator_url (Admin > Connections; press Test)
  Example DAGs:       example_intercom_mark_read, example_intercom_bulk_nightly (progress lines
                      in its Logs, about every 10 s), example_intercom_bulk_from_upstream,
                      example_intercom_bulk_update, example_intercom_close_stale,
                      example_intercom_reroute_teammate, example_intercom_tag_from_upstream,
                      example_intercom_reply_generated (replies posted once: clear its task and
                      the log says nothing was posted again). They run when you trigger them:
                      make ui starts no scheduled runs, though the DAGs show their schedules.
  Where to look:      XCom under Browse > XComs, or a task instance's Storage > XCom; "View in
                      Intercom" on a mark_read task's Details tab; progress in the task's Logs;
                      a reply run's record under a task instance's Storage > Task State Store.
                      The nightly DAG's first run marks every unread conversation; later runs
                      find none until make ui starts again.
  Logs:               $AIRFLOW_LOG

  Create your own connection to the emulator in the form (Admin > Connections > +):
    Connection Id:    intercom_mine
    Connection Type:  Intercom
    Access token:     $emulator_token
    Base URL:         $emulator_url
    Port:             ${emulator_url##*:}
  Save, then press Test on its row in the connection list (Airflow 3.3.2 tests from the list
  only, and needs the stored Port). From a shell this works too (the CLI needs testing enabled
  as well, and make ui enables it only for the Airflow it starts):
    AIRFLOW__CORE__TEST_CONNECTION=Enabled AIRFLOW_HOME=$UI_HOME $VENV/bin/airflow connections test intercom_mine

  Press Ctrl+C to stop Airflow and the emulator.
EOF

# Wait for standalone; `wait` returns early when a trapped signal (Ctrl+C) arrives.
status=0
wait "$airflow_pid" || status=$?
airflow_pid=""
echo "ui: airflow standalone exited (status $status); last lines of $AIRFLOW_LOG:" >&2
tail -n 20 "$AIRFLOW_LOG" >&2
exit 1
