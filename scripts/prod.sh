#!/usr/bin/env bash
# Production server: gunicorn (several sync workers) for the web, the job worker restarted
# whenever it exits. Reads the environment (see deploy/production.env); refuses unsafe settings.
#   JIUZHU_BIND         address:port to listen on (default 127.0.0.1:8000)
#   JIUZHU_WEB_WORKERS  gunicorn workers (default 2 × CPU cores + 1)
#   JIUZHU_WORKER_NICE  niceness of the job worker (default 15): rosters, ingest and
#                       re-verification yield the CPU to the web workers' requests
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
bind=${JIUZHU_BIND:-127.0.0.1:8000}
workers=${JIUZHU_WEB_WORKERS:-$(( 2 * $(nproc) + 1 ))}
worker_nice=${JIUZHU_WORKER_NICE:-15}

$py manage.py check --deploy --fail-level ERROR
$py manage.py ensure_data_key
$py manage.py build_pdf_fonts || echo "文书字体未生成，文书使用完整字体（较慢）" >&2
$py manage.py migrate --noinput
$py manage.py collectstatic --noinput --verbosity 0

supervise_worker() {  # the job worker is restarted whenever it exits (crash, kill, OOM)
  while true; do
    $py manage.py recover_jobs  # jobs of the worker that just died are marked failed, retryable
    nice -n "$worker_nice" $py manage.py db_worker || echo "任务进程退出（代码 $?），5秒后重启" >&2
    sleep 5
  done
}
supervise_worker &
supervisor=$!
trap 'kill $supervisor 2>/dev/null; pkill -P $supervisor 2>/dev/null; wait' EXIT INT TERM
echo "救助平台（生产模式）：http://$bind ，$workers 个进程"
.venv/bin/gunicorn jiuzhu.wsgi:application --bind "$bind" --workers "$workers" \
  --timeout 120 --graceful-timeout 30 --max-requests 2000 --max-requests-jitter 200 \
  --access-logfile - --logger-class jiuzhu.web.logmask.MaskingAccessLogger --forwarded-allow-ips "${JIUZHU_PROXY_IPS:-127.0.0.1}"
