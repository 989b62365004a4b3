#!/usr/bin/env bash
# Checks every package installed in .venv (what `pip install -e ".[test]"` resolved: the
# dependencies CI and the installer ship) against published vulnerabilities with pip-audit.
#
#   bash scripts/audit-deps.sh            # after scripts/dev.sh (or any install into .venv)
#
# pip-audit runs from a virtualenv of its own (under ~/.cache), so its own dependencies are neither
# audited as ours nor able to change ours; PIPAPI_PYTHON_LOCATION points it at .venv.
# It asks PyPI's JSON API for advisories and, failing that, OSV (api.osv.dev).
#
# Exit status: 0 no known vulnerability; 1 vulnerabilities found (listed, with fixed versions);
# 3 could not check (neither advisory service reachable, e.g. a mirror that serves only the simple
# index). CI decides whether 3 fails the build; it is never reported as "no vulnerabilities".
set -euo pipefail
cd "$(dirname "$0")/.."

target="$PWD/.venv/bin/python"
[ -x "$target" ] || { echo "audit-deps: no .venv here; run scripts/dev.sh first" >&2; exit 2; }
tool="${CONCERNDESK_AUDIT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/concerndesk-pip-audit}"
if [ ! -x "$tool/bin/pip-audit" ]; then
  python3 -m venv "$tool"
  "$tool/bin/python" -m pip install -q "pip-audit>=2.7,<3"
fi

report="$(mktemp)"
trap 'rm -f "$report" "$report.err"' EXIT

audit() {  # $1 = vulnerability service; writes JSON to $report; returns pip-audit's status
  : >"$report"
  PIPAPI_PYTHON_LOCATION="$target" "$tool/bin/pip-audit" --vulnerability-service "$1" \
    --skip-editable --progress-spinner off --desc off --format json --output "$report" \
    2>"$report.err"
}

summarise() {  # prints a summary; exits 0 (clean), 1 (vulnerable) or 3 (nothing was checked)
  "$tool/bin/python" - "$report" "$1" <<'PY'
import json, sys
path, service = sys.argv[1], sys.argv[2]
try:
    deps = json.load(open(path)).get("dependencies", [])
except (OSError, ValueError):
    deps = []
checked = [d for d in deps if "skip_reason" not in d]
vulnerable = [d for d in checked if d.get("vulns")]
if not checked:
    print(f"audit-deps: {service}: no package could be checked (the advisory service is "
          "not reachable from here)")
    sys.exit(3)
for dep in vulnerable:
    for vuln in dep["vulns"]:
        fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
        print(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})")
skipped = [d["name"] for d in deps if "skip_reason" in d]
print(f"audit-deps: {service}: {len(checked)} packages checked, {len(vulnerable)} vulnerable"
      + (f"; not checked: {', '.join(skipped)}" if skipped else ""))
sys.exit(1 if vulnerable else 0)
PY
}

status=3
for service in pypi osv; do
  set +e
  audit "$service"
  summarise "$service"
  status=$?
  set -e
  [ "$status" -ne 3 ] && break
  tail -n 2 "$report.err" >&2 || true
done
exit "$status"
