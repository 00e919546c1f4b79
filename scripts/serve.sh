#!/usr/bin/env bash
# Serve the app on http://127.0.0.1:8000 and run the job worker; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python manage.py db_worker &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null' EXIT INT TERM
echo "救助平台已启动：http://127.0.0.1:8000 （演示用户见 README，按 Ctrl-C 停止）"
.venv/bin/python manage.py runserver --noreload 127.0.0.1:8000
