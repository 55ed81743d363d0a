#!/usr/bin/env bash
# `make demo`: migrate, seed the demo company, then run the web server, the background worker and
# the scheduler together; Ctrl-C (or any one of them ending) stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
HOST=${GUANXI_DEMO_HOST:-127.0.0.1}
PORT=${GUANXI_DEMO_PORT:-8000}

echo "Preparing the demo database (migrations, demo company and customers) ..."
"$PY" manage.py migrate --noinput -v 0
seeded=$("$PY" manage.py seed_demo)

pids=()
stop() {
    trap - INT TERM EXIT
    echo
    echo "Stopping the web server, worker and scheduler ..."
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

# Background jobs (imports, exports, trash purge) run in the worker; the scheduler starts periodic
# work and recovers jobs whose worker died. --no-reload: a demo serves, it does not watch files.
"$PY" manage.py db_worker --no-reload -v 0 &
pids+=($!)
"$PY" manage.py scheduler &
pids+=($!)
"$PY" manage.py runserver --noreload "$HOST:$PORT" &
pids+=($!)

# Print the banner once the server answers, so it is not lost above the server's start-up lines.
for _ in $(seq 1 120); do
    "$PY" -c "import urllib.request; urllib.request.urlopen('http://$HOST:$PORT/healthz', timeout=1)" 2>/dev/null && break
    kill -0 "${pids[2]}" 2>/dev/null || break
    sleep 0.5
done
cat <<BANNER

  ================================================================================
  Guanxi 关系 is running at  http://$HOST:$PORT   (API docs: /api/v1/docs)

$(echo "$seeded" | sed 's/^/  /')

  Press Ctrl-C to stop the web server, the worker and the scheduler.
  ================================================================================

BANNER

# Returns as soon as any of the three ends (e.g. the port was taken); the trap stops the others.
wait -n "${pids[@]}"
