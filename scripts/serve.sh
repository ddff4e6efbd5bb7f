#!/usr/bin/env bash
# Serve Baogong with gunicorn, and beside it a background-job worker when a Redis answers
# (REDIS_URL, else redis://127.0.0.1:6379/0); with no Redis, jobs run in the request.
# One command: Ctrl-C (or gunicorn ending) stops the worker too.
#   scripts/serve.sh BIN PORT WORKERS
set -uo pipefail

bin=$1
port=$2
workers=$3
redis_url=${REDIS_URL:-redis://127.0.0.1:6379/0}

if "$bin/python" -c 'import sys, redis; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()' \
    "$redis_url" >/dev/null 2>&1; then
  export REDIS_URL=$redis_url
  shown=$redis_url
  [[ $shown == *@* ]] && shown="redis://…@${shown#*@}"  # never print a password
  echo "Background jobs: a worker on the Redis at $shown"
  "$bin/flask" jobs worker &
  worker=$!
  # Ctrl-C reaches the worker too; TERM then makes it stop at once. A job it was running is
  # rolled back by the database and run again when a worker next starts.
  trap 'kill -TERM "$worker" 2>/dev/null; wait "$worker" 2>/dev/null' EXIT
else
  unset REDIS_URL
  echo "No Redis answers at $redis_url: background jobs run in the request (see README)."
fi

echo "Baogong is at http://127.0.0.1:$port/ (demo users: see README.md)"
"$bin/gunicorn" --workers "$workers" --timeout 180 --bind "127.0.0.1:$port" --access-logfile - \
  'app:create_app()'
