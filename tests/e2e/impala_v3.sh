#!/usr/bin/env bash
# e2e: issue 13, format 3 part. floe sql reads every format 3 table Spark
# and Trino wrote for Apache Impala's tests (tests/fixtures/iceberg/impala/
# iceberg_test/iceberg_v3/: deletion vectors, initial-defaults in Parquet,
# ORC and Avro files and in a table partitioned later, nested defaults,
# row lineage, variants) through iceberg_scan('...') with the rows
# Impala's own tests expect (queries/iceberg-v3-*.test); the cases, and
# which .test query each comes from, are in impala_v3_check.py.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
FIX=${FLOE_FIXTURES:-${FLOE_SRC:?FLOE_SRC must point at the source tree}/tests/fixtures}
SRC=${FLOE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
exec /usr/bin/python3 "$SRC/tests/e2e/impala_v3_check.py" "$FLOE" "$FIX"
