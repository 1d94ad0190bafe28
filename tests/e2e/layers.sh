#!/usr/bin/env bash
# e2e: scripts/check-layers passes on src/ (every include goes down a
# floor or stays in its folder), and on a small made-up tree it names
# file:line for an include up a floor, one sideways on the same floor and
# one from a folder that has no floor, and fails a stale PENDING entry.
# The made-up tree follows issue 10's order: iceberg defines the table
# operations (iceberg/table_ops.h) and catalog, a floor above, implements
# them; an iceberg file including catalog/ is an edge up a floor.
set -euo pipefail
SRC=${FLOE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CHECK=("/usr/bin/python3" "$SRC/scripts/check-layers")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
check() { # name, condition
    if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fails=$((fails + 1)); fi
}
put() { # file under the made-up src, include lines...
    mkdir -p "$(dirname "$T/src/$1")"
    local f=$1
    shift
    printf '#include "%s"\n' "$@" >"$T/src/$f"
}

"${CHECK[@]}" >"$T/real.out" 2>&1 && real=0 || real=$?
check "src/ of this tree passes" '[ "$real" = 0 ]'
[ "$real" = 0 ] || cat "$T/real.out"

# A tree that keeps the floors but for two files named pending.
put core/err.h "core/mem.h"
put batch/batch.h "core/err.h"
put format/parquet/reader.h "batch/batch.h" "core/err.h"
put iceberg/table_ops.h "core/err.h"
put iceberg/table.h "iceberg/table_ops.h" "format/parquet/reader.h" "store/store.h"
put catalog/catalog.h "core/err.h"
put catalog/catalog.c "catalog/catalog.h" "iceberg/table_ops.h"
put catalog/rest.c "iceberg/table.h" "ingest/router.h"
put catalog/rest.h "store/store.h"
put store/store.h "core/err.h"
put ingest/router.c "catalog/rest.h" "sql/sql_http.h" "ingest/ingest.h"
put sql/sql_http.h "catalog/catalog.h" "log/log.h" "ingest/ingest.h"
put log/log.h "core/err.h"
put cli/cmd.c "ingest/ingest.h" "pipeline/pipeline.h"
put pipeline/pipeline.h "iceberg/table.h"
put main.c "cli/cmd.h" "core/err.h"
"${CHECK[@]}" --pending=catalog/rest.c,sql/sql_http.h "$T/src" >"$T/good.out" 2>&1 && good=0 || good=$?
check "a tree that keeps the floors passes" '[ "$good" = 0 ]'
check "the PENDING files are shown" 'grep -q "^src/catalog/rest.c:2: .*\[pending" "$T/good.out"'

# Up a floor (twice: the catalog edge issue 10 turned around), sideways,
# and a folder with no floor.
put core/time.c "core/err.h" "iceberg/table.h"
put iceberg/commit.c "iceberg/table.h" "catalog/catalog.h"
put log/log.c "store/store.h"
put gui/page.c "core/err.h"
"${CHECK[@]}" --pending=catalog/rest.c,sql/sql_http.h "$T/src" >"$T/bad.out" 2>&1 && bad=0 || bad=$?
check "a tree that breaks them fails" '[ "$bad" = 1 ]'
check "an include up a floor is named at file:line" \
    'grep -qx "src/core/time.c:2: core (floor 0) includes iceberg/table.h (floor 3, a higher floor)" "$T/bad.out"'
check "iceberg including catalog/ is an include up a floor" \
    'grep -qx "src/iceberg/commit.c:2: iceberg (floor 3) includes catalog/catalog.h (floor 4, a higher floor)" "$T/bad.out"'
check "a sideways include on one floor is named" \
    'grep -qx "src/log/log.c:1: log (floor 1) includes store/store.h (floor 1, the same floor)" "$T/bad.out"'
check "a folder without a floor is named" 'grep -q "^src/gui/page.c: folder gui/ has no floor" "$T/bad.out"'
check "the count is said" 'grep -q "^check-layers: 4 include(s) against the floors" "$T/bad.out"'

# A PENDING entry whose file has moved fails, so the list stays true.
rm "$T/src/catalog/rest.c" "$T/src/core/time.c" "$T/src/iceberg/commit.c" "$T/src/log/log.c" "$T/src/gui/page.c"
"${CHECK[@]}" --pending=catalog/rest.c,sql/sql_http.h "$T/src" >"$T/stale.out" 2>&1 && stale=0 || stale=$?
check "a stale PENDING entry fails" '[ "$stale" = 1 ] && grep -q "^src/catalog/rest.c: listed in PENDING .* is gone" "$T/stale.out"'

[ "$fails" = 0 ] || { cat "$T"/*.out; exit 1; }
echo "layers: all checks passed"
