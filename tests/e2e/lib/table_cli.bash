# lib/table_cli.bash - sourced by the e2e scripts that drive `floe table`
# on a scratch warehouse (maintenance: expire, compact, clean-orphans,
# maintain, and their crash tests): FLOE, a temp dir T (the working
# directory, removed on exit), check() counting passes and failures, the
# two-column schema s.json (id long, city string), append_row TABLE ID
# CITY (one row, one commit) and snap_ids TABLE (its snapshot ids, one a
# line). (Not named *.sh: ctest runs every tests/e2e/*.sh as a test.)
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
cat > s.json <<'JSON'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"id","required":true,"type":"long"},
 {"id":2,"name":"city","required":false,"type":"string"}]}
JSON
append_row() {
    printf '{"id":%d,"city":"%s"}\n' "$2" "$3" > r.ndjson
    "$FLOE" table append "$1" r.ndjson >/dev/null
}
snap_ids() { "$FLOE" table snapshots "$1" | python3 -c '
import json, sys
for l in sys.stdin:
    print(json.loads(l)["snapshot_id"])'; }
