#!/usr/bin/env bash
# Checks the Prometheus files shipped in packaging/prometheus/: the alert rules parse
# (`promtool check rules`), each alert fires on the inputs of licsat.rules.test.yml and stays
# quiet where it should (`promtool test rules`), and the Grafana dashboard is valid JSON whose
# panels query only metric families licsat exports (listed in this script's known list).
# promtool comes from Debian's prometheus package (scripts/install-deps.sh).
#
#   bash scripts/test-prometheus-rules.sh
set -euo pipefail
cd "$(dirname "$0")/../packaging/prometheus"
command -v promtool >/dev/null || { echo "test-prometheus-rules: promtool is missing (apt-get install prometheus)" >&2; exit 2; }

promtool check rules licsat.rules.yml
promtool test rules licsat.rules.test.yml

python3 - licsat-dashboard.json <<'PY'
import json, re, sys
known = {
    "licsat_license_quantity", "licsat_license_in_use", "licsat_license_status",
    "licsat_license_expiry_timestamp_seconds", "licsat_tokens_issued_total", "licsat_token_refusals_total",
    "licsat_logins_locked_total", "licsat_usage_reports_total", "licsat_usage_report_devices",
    "licsat_usage_report_seconds", "licsat_upstream_last_success_timestamp_seconds",
    "licsat_upstream_sync_failures_total", "licsat_upstream_outbox_reports", "licsat_upstream_interval_seconds",
    "licsat_db_commit_seconds", "licsat_db_group_commit_size", "licsat_db_wal_bytes", "licsat_db_up",
    "licsat_event_queue_depth", "licsat_event_queue_dropped_total", "licsat_build_info",
    "licsat_http_requests_total", "licsat_http_request_duration_seconds", "licsat_open_connections",
    "licsat_uptime_seconds",
}
dash = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
if not exprs:
    sys.exit("dashboard: no panel queries anything")
for e in exprs:
    for name in re.findall(r"licsat_[a-z0-9_]+", e):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if name not in known and base not in known:
            sys.exit(f"dashboard: {name} in '{e}' is not a licsat metric")
print(f"dashboard: {len(dash['panels'])} panels, {len(exprs)} queries, all on licsat metrics")
PY
echo "test-prometheus-rules: ok"
