#!/usr/bin/env bash
# e2e: an Iceberg table whose warehouse is on S3 (s3rver from npm on
# loopback, credentials and endpoint from the standard AWS_* variables):
# create, append twice, scan with pruning, delete, read by s3:// path,
# clean orphans (ListObjectsV2 with LastModified).
# Free port, bounded in time, server stopped on any exit.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
SRC=${FLOE_SRC:?FLOE_SRC must point at the source tree}
. "$(dirname "$0")/lib/s3rver_up.bash"
if [ ! -f "$S3RVER" ]; then
    echo "table_s3: SKIP (needs s3rver in tests/interop; run scripts/install-deps)"
    [ -z "${CI:-}" ] || exit 1
    exit 0
fi
T=$(mktemp -d)
cleanup() {
    s3rver_up_stop
    rm -rf "$T"
}
trap cleanup EXIT
s3rver_up_start "$T/s3"

W=(--warehouse s3://warehouse/lake --catalog "sqlite:$T/catalog.db")
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }

cat > "$T/s.json" <<'JSON'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"city","required":true,"type":"string"},
 {"id":2,"name":"temperature","required":false,"type":"double"},
 {"id":3,"name":"ts","required":true,"type":"timestamptz"}]}
JSON
printf '{"city":"Paris","temperature":21.5,"ts":"2026-01-08T14:00:00Z"}\n{"city":"Oslo","temperature":-3,"ts":"2026-01-09T01:00:00Z"}\n' > "$T/a.ndjson"
printf '{"city":"Rome","temperature":15,"ts":"2026-01-10T00:00:00Z"}\n' > "$T/b.ndjson"

check "create on s3" '"$FLOE" table "${W[@]}" create default.weather --schema "$T/s.json" --partition "day(ts)" | grep -q "s3://warehouse/lake/default/weather"'
check "append" '"$FLOE" table "${W[@]}" append default.weather "$T/a.ndjson" | grep -q "appended 2 rows"'
check "append again" '"$FLOE" table "${W[@]}" append default.weather "$T/b.ndjson" | grep -q "appended 1 rows"'
check "scan" '[ "$("$FLOE" table "${W[@]}" scan default.weather | wc -l)" = 3 ]'
"$FLOE" table "${W[@]}" scan default.weather --stats --where "ts >= '2026-01-10'" > "$T/one" 2> "$T/stats"
check "pruned on s3" '[ "$(wc -l < "$T/one")" = 1 ] && grep -q "\"files_read\":1" "$T/stats"'
check "delete" '"$FLOE" table "${W[@]}" delete default.weather --where "city = Oslo" | grep -q "deleted 1 rows"'
check "after delete" '[ "$("$FLOE" table "${W[@]}" scan default.weather | wc -l)" = 2 ]'
check "files are s3 URIs" '"$FLOE" table "${W[@]}" files default.weather | grep -q "\"file_path\":\"s3://warehouse/lake/default/weather/data/"'
check "objects landed in the bucket" '[ -n "$(find "$T/s3/warehouse" -name "*.parquet*" | head -1)" ]'
check "read by s3 path, no catalog" '[ "$("$FLOE" table scan s3://warehouse/lake/default/weather | wc -l)" = 2 ]'

# orphan cleanup through ListObjectsV2: a stray object goes, the table reads the same
/usr/bin/python3 - <<'PY'
import os, botocore.session
c = botocore.session.get_session().create_client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
c.put_object(Bucket="warehouse", Key="lake/default/weather/data/stray.parquet", Body=b"PAR1")
c.put_object(Bucket="warehouse", Key="lake/default/weather2/x.parquet", Body=b"PAR1")
PY
check "clean-orphans: a fresh stray is too young by default" '"$FLOE" table "${W[@]}" clean-orphans default.weather | grep -q "deleted 0 files.*1 unreferenced but too young"'
check "clean-orphans --older-than 0s --dry-run lists it" '"$FLOE" table "${W[@]}" clean-orphans default.weather --older-than 0s --dry-run | grep -q "^s3://warehouse/lake/default/weather/data/stray.parquet	4 bytes"'
check "clean-orphans --older-than 0s deletes it alone" '"$FLOE" table "${W[@]}" clean-orphans default.weather --older-than 0s | grep -q "deleted 1 files, 4 bytes"'
check "the table reads the same" '[ "$("$FLOE" table "${W[@]}" scan default.weather | wc -l)" = 2 ]'
check "the sibling object stays" '"$FLOE" table "${W[@]}" clean-orphans default.weather --older-than 0s | grep -q "deleted 0 files" && [ -n "$(find "$T/s3/warehouse" -path "*weather2*" | sed -n 1p)" ]'

echo "table_s3: $pass passed, $fail failed"
[ "$fail" = 0 ]
