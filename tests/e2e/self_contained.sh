#!/usr/bin/env bash
# e2e: the tests read nothing outside the repository. A fresh clone has no
# ../shared beside it (issue 10): no test, script, benchmark or build file
# may name ../shared/ or /work/ (test data lives in tests/fixtures/, see its
# README), and every fixture folder keeps its licence beside it.
set -euo pipefail
SRC=${FLOE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$SRC"
# This file names the patterns it looks for, so it is left out.
hits=$(grep -rnIE '\.\./shared/|/work/' CMakeLists.txt Makefile scripts bench tests .ci \
    --exclude-dir=node_modules --exclude-dir=fixtures --exclude=self_contained.sh || true)
if [ -n "$hits" ]; then
    echo "FAIL: paths outside the repository:" >&2
    echo "$hits" >&2
    exit 1
fi
for lic in parquet-testing/LICENSE.txt iceberg/duckdb-iceberg/LICENSE iceberg/icebird/LICENSE \
    iceberg/iceberg-rust/LICENSE iceberg/iceberg-rust/NOTICE README.md; do
    [ -s "tests/fixtures/$lic" ] || { echo "FAIL: tests/fixtures/$lic is missing" >&2; exit 1; }
done
echo "self_contained: no test input outside the repository; fixture licences in place"
