#!/usr/bin/env bash
# e2e: floe reads Apache Impala's Parquet Iceberg test tables (format 1
# and 2, written by Hive, Impala, Spark, Flink and NiFi; vendored in
# tests/fixtures/iceberg/impala, see its ORIGIN) by path, with the rows
# Impala's own tests expect. Each check names the Impala .test file (in
# tests/fixtures/iceberg/impala/queries/ unless a path is given, then in
# apache/impala at the commit of ORIGIN) and the query it transcribes.
# Values are compared in floe's spelling: timestamps with microseconds,
# REAL and DOUBLE as SQLite prints them, strings unquoted.
# Time travel (Impala's FOR SYSTEM_VERSION AS OF) is checked through
# `iceberg_scan('...') FOR VERSION AS OF ID` and
# `floe table scan PATH --snapshot ID`. The tables keep their recorded
# /test-warehouse/... paths: floe maps them onto the fixture folder
# (docs/internals/iceberg.md, "Scans"), including the data folders beside
# iceberg_multiple_storage_locations. The fixtures are only read.
set -euo pipefail
SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
FIX=${FLOE_FIXTURES:-${FLOE_SRC:?FLOE_SRC must point at the source tree}/tests/fixtures}
IT="$FIX/iceberg/impala/iceberg_test"
ICE="$IT/hadoop_catalog/ice"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export FLOE_WAREHOUSE="$T/warehouse"
pass=0 fail=0
q() { "$FLOE" sql --format csv "$1" 2>&1 | tail -n +2; }
# eq NAME EXPECTED SQL: the rows of SQL (csv, no header) are EXPECTED
eq() {
    local got
    got=$(q "$3") || true
    if [ "$got" = "$2" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        printf 'FAIL: %s\n  want: %s\n  got:  %s\n' "$1" "${2//$'\n'/ | }" "${got//$'\n'/ | }" >&2
    fi
}
# at TABLE SNAPSHOT EXPECTED: `floe table scan --snapshot` rows, sorted
at() {
    local got
    got=$("$FLOE" table scan "$ICE/$1" --snapshot "$2" 2>&1 | sort) || true
    if [ "$got" = "$(printf '%s\n' "$3" | sort)" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        printf 'FAIL: %s @ %s\n  want: %s\n  got:  %s\n' "$1" "$2" "${3//$'\n'/ | }" \
            "${got//$'\n'/ | }" >&2
    fi
}
s() { printf "iceberg_scan('%s')" "$ICE/$1"; }

# ---- iceberg-v2-read-equality-deletes.test ----
# "select * from functional_parquet.iceberg_v2_delete_equality"
eq "delete_equality" $'1,test_1_base\n2,test_2_updated' \
    "select * from $(s iceberg_v2_delete_equality) order by id"
# iceberg-query.test: "We can query a snapshot if it doesn't have equality deletes."
at iceberg_v2_delete_equality 3207673167795000154 \
    $'{"id":1,"data":"test_1_base"}\n{"id":2,"data":"test_2_base"}'
# "Equality delete file with data sequance number 2 contains (NULL), (3)": a
# NULL key deletes the older NULL row, not the newer one
eq "delete_equality_nulls" $'1,str1\n4,str4\n,str5' \
    "select * from $(s iceberg_v2_delete_equality_nulls) order by i is null, i"
# "Check that the NULL value was present in the first snapshot of the table."
eq "delete_equality_nulls as of 4346796256488077976" $'1,str1\n3,str3\n,str2' \
    "select * from $(s iceberg_v2_delete_equality_nulls) for version as of 4346796256488077976 order by i is null, i"
at iceberg_v2_delete_equality_nulls 4346796256488077976 \
    $'{"i":1,"s":"str1"}\n{"i":null,"s":"str2"}\n{"i":3,"s":"str3"}'
# "Query a table that has both equality and positional delete files."
eq "delete_both_eq_and_pos" $'2,str2_updated,2023-12-13\n3,str3,2023-12-23' \
    "select * from $(s iceberg_v2_delete_both_eq_and_pos) order by i"
# "Query a partitioned table that has eq-delete files in both partitions."
eq "delete_equality_partitioned" \
    $'1,str1,2023-12-24\n2,str2,2023-12-24\n333333,str3,2023-12-24\n4,str4,2023-12-24\n1,str1,2023-12-25\n222,str2,2023-12-25' \
    "select * from $(s iceberg_v2_delete_equality_partitioned) order by d, s"
# "There are equality deletes with different equality field ids."
eq "delete_equality_multi_eq_ids" \
    $'1,str1\n4,str4_updated\n5,str5\n33,str3_updated_twice\n2222,str2' \
    "select * from $(s iceberg_v2_delete_equality_multi_eq_ids) order by i"
# "Do a time travel to have a single equality field id list."
eq "delete_equality_multi_eq_ids as of 8127619959873391049" $'1,str1\n2,str2\n3,str3_updated' \
    "select * from $(s iceberg_v2_delete_equality_multi_eq_ids) FOR VERSION AS OF 8127619959873391049 order by i"
at iceberg_v2_delete_equality_multi_eq_ids 8127619959873391049 \
    $'{"i":1,"s":"str1"}\n{"i":2,"s":"str2"}\n{"i":3,"s":"str3_updated"}'
# "The table has both equality and positional delete files where some of the
# equality delete files have different equality field ids." (and its time
# travel to the latest snapshot)
eq "delete_pos_and_multi_eq_ids" \
    $'1,str1,2020-12-01\n4,str4,2024-01-26\n5,str5,2024-01-27\n333333,str3,2024-01-25' \
    "select * from $(s iceberg_v2_delete_pos_and_multi_eq_ids) order by i"
at iceberg_v2_delete_pos_and_multi_eq_ids 152862018760071153 \
    $'{"i":1,"s":"str1","d":"2020-12-01"}\n{"i":333333,"s":"str3","d":"2024-01-25"}\n{"i":4,"s":"str4","d":"2024-01-26"}\n{"i":5,"s":"str5","d":"2024-01-27"}'
# "Query an Iceberg table with primary keys that has schema evolution and
# equality deletes."
eq "equality_delete_schema_evolution" \
    $'1,2024-03-20,str1,\n5,2024-03-22,str5,\n44,2024-03-21,str4,4444' \
    "select * from $(s iceberg_v2_equality_delete_schema_evolution) order by i"
# "Time travel before the schema evolution was done on the table." (its
# columns: s not yet renamed to str, no j)
SE="select * from $(s iceberg_v2_equality_delete_schema_evolution) for version as of 3986738438831924669 t order by t.i"
eq "equality_delete_schema_evolution as of 3986738438831924669" \
    $'1,2024-03-20,str1\n4,2024-03-21,str4\n5,2024-03-22,str5' "$SE"
if [ "$("$FLOE" sql --format csv "$SE" | head -1)" = "i,d,s" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1))
    echo "FAIL: equality_delete_schema_evolution as of 3986738438831924669: columns" >&2
fi
at iceberg_v2_equality_delete_schema_evolution 3986738438831924669 \
    $'{"i":1,"d":"2024-03-20","s":"str1"}\n{"i":4,"d":"2024-03-21","s":"str4"}\n{"i":5,"d":"2024-03-22","s":"str5"}'
# iceberg_v2_delete_equality_partition_evolution: Impala refuses it
# (apache/impala iceberg-negative.test: "Equality delete files are not
# supported for tables with partition evolution"); the rows follow from
# apache/impala testdata/data/README: Flink upserts on (d, s) (1,'str1'),
# (2,'str2') then (111,'str1') into d=2023-12-24, then Impala changes the spec
# to (d, i).
eq "delete_equality_partition_evolution" $'2,str2,2023-12-24\n111,str1,2023-12-24' \
    "select * from $(s iceberg_v2_delete_equality_partition_evolution) order by i"

# ---- iceberg-v2-read-position-deletes.test ----
eq "no_deletes count" 3 "select count(*) from $(s iceberg_v2_no_deletes)"
eq "no_deletes rows" $'1,x\n2,y\n3,z' "select * from $(s iceberg_v2_no_deletes) order by i"
eq "no_deletes where i = 2" "2,y" "select * from $(s iceberg_v2_no_deletes) where i = 2"
eq "delete_positional count" 2 "select count(*) from $(s iceberg_v2_delete_positional)"
eq "delete_positional rows" $'1,a\n3,c' \
    "select * from $(s iceberg_v2_delete_positional) order by id"
eq "delete_positional where id = 2" 0 \
    "select count(*) from $(s iceberg_v2_delete_positional) where id = 2"
at iceberg_v2_delete_positional 6816997371555012807 \
    $'{"id":1,"data":"a"}\n{"id":2,"data":"b"}\n{"id":3,"data":"c"}'
eq "positional_delete_all_rows count" 0 \
    "select count(*) from $(s iceberg_v2_positional_delete_all_rows)"
eq "positional_delete_all_rows general path" 0 \
    "select count(*) from (select i from $(s iceberg_v2_positional_delete_all_rows) where i > 0)"
at iceberg_v2_positional_delete_all_rows 8593920101374128463 \
    $'{"i":1,"s":"a"}\n{"i":2,"s":"b"}\n{"i":3,"s":"c"}'
eq "positional_not_all_data_files_have_delete_files" $'1,a\n2,b\n3,c\n4,d\n5,X\n6,f' \
    "select * from $(s iceberg_v2_positional_not_all_data_files_have_delete_files) order by i"
eq "positional_not_all_data_files_have_delete_files where i < 4" 3 \
    "select count(*) from $(s iceberg_v2_positional_not_all_data_files_have_delete_files) where i < 4"
at iceberg_v2_positional_not_all_data_files_have_delete_files 752781918366351945 \
    "$(printf '{"i":%s,"s":"%s"}\n' 1 a 2 b 3 c 4 d 6 f 5 X 7 d 8 e 9 f)"
NA="$(s iceberg_v2_positional_not_all_data_files_have_delete_files)"
# "select * from ... union all select * from ... for system_version as of
# 5762682948883272650"
eq "positional_not_all_data_files union all as of 5762682948883272650" \
    "1a 1a 2b 2b 3c 3c 4d 4d 5X 5e 6f 6f" \
    "select group_concat(i || s, ' ') from (select * from (select * from $NA union all select * from $NA for version as of 5762682948883272650) order by i, s)"
# "... for system_version as of 1497619269847778439 minus ... as of 4363979609026842966"
eq "positional_not_all_data_files minus" $'4,d\n5,X\n6,f' \
    "select * from (select * from $NA for version as of 1497619269847778439 except select * from $NA for version as of 4363979609026842966) order by i"
# "with v as (select i + 1000 as ii, upper(s) as ss from ...) select * from v where ii > 1003"
eq "positional_not_all_data_files with v" $'1004,D\n1005,X\n1006,F' \
    "with v as (select i + 1000 as ii, upper(s) as ss from $NA) select * from v where ii > 1003 order by ii"
# "Regression test for IMPALA-14154."
eq "delete_positional not in min" c \
    "select data from $(s iceberg_v2_delete_positional) where data not in (select min(data) from $(s iceberg_v2_delete_positional))"
eq "positional_update_all_rows" $'1,A\n2,B\n3,C' \
    "select * from $(s iceberg_v2_positional_update_all_rows) order by i"
# iceberg-query-v2.test: a snapshot holding the old and the new rows (its
# rand()-filtered query returns 1,a 3,c 1,A 3,C of them)
eq "positional_update_all_rows as of 5392552459484846077" 6 \
    "select count(*) from $(s iceberg_v2_positional_update_all_rows) for version as of 5392552459484846077"
at iceberg_v2_positional_update_all_rows 5392552459484846077 \
    "$(printf '{"i":%s,"s":"%s"}\n' 1 a 2 b 3 c 1 A 2 B 3 C)"
eq "partitioned_position_deletes count" 10 \
    "select count(*) from $(s iceberg_v2_partitioned_position_deletes)"
eq "partitioned_position_deletes by action" $'click,3\ndownload,4\nview,3' \
    "select action, count(*) from $(s iceberg_v2_partitioned_position_deletes) group by action order by action"
eq "partitioned_position_deletes ids" "2 4 6 8 10 12 14 16 18 20" \
    "select group_concat(id, ' ') from (select id from $(s iceberg_v2_partitioned_position_deletes) order by id)"
eq "partitioned_position_deletes click rows" \
    $'10,Alan,click,2020-01-01 10:00:00.000000\n12,Alan,click,2020-01-01 10:00:00.000000\n18,Alan,click,2020-01-01 10:00:00.000000' \
    "select * from $(s iceberg_v2_partitioned_position_deletes) where action = 'click' order by id"
# "select * from functional_parquet.iceberg_v2_partitioned_position_deletes a,
# functional_parquet.iceberg_partitioned b where a.action = b.action and b.id=3"
eq "partitioned_position_deletes join iceberg_partitioned" $'10,3\n12,3\n18,3' \
    "select a.id, b.id from $(s iceberg_v2_partitioned_position_deletes) a, iceberg_scan('$IT/iceberg_partitioned') b where a.action = b.action and b.id = 3 order by a.id"
# "IMPALA-12984: Wrong count(*) results when having dangling deletes after a
# Spark compaction." (the shortcut and the general path)
eq "spark_compaction_with_dangling_delete" 4 \
    "select count(*) from $(s iceberg_spark_compaction_with_dangling_delete)"
eq "spark_compaction_with_dangling_delete general path" 4 \
    "select count(*) from (select * from $(s iceberg_spark_compaction_with_dangling_delete) where 1)"

# ---- iceberg-multiple-storage-locations-table.test ----
# data files in three folders beside the table (_data, _data01, _data02)
MSL="select * from $(s iceberg_multiple_storage_locations)"
eq "multiple_storage_locations rows" \
    "$(for i in 0 1 2; do printf '%s,1234567890%s,3.14,%s,%s,1970-01-01 00:00:00.000000,1974-02-09\n' \
        $i 0 2.7182 a $i 1 2.71821 b $i 2 2.71822 c; done)" "$MSL order by col_int, col_bigint"
eq "multiple_storage_locations col_int = 2" 3 \
    "select count(*) from ($MSL where col_int = 2)"
eq "multiple_storage_locations col_string = a" "0 1 2" \
    "select group_concat(col_int, ' ') from ($MSL where col_string = 'a' and col_int >= 0 order by col_int)"

# ---- iceberg-migrated-tables.test ----
# "Read a migrated partitioned Parquet table that had the following schema
# changes since table migration" (Impala prints 1.100000023841858)
eq "legacy_partition_schema_evolution" $'1,1.100000024,2.718,2\n1,1.100000024,3.141,1' \
    "select p_int_long, printf('%.9f', p_float_double), p_dec_dec, i from $(s iceberg_legacy_partition_schema_evolution) order by i desc"
eq "legacy_partition_schema_evolution where p_dec_dec = 2.718" 2 \
    "select i from $(s iceberg_legacy_partition_schema_evolution) where p_dec_dec = 2.718"

# ---- iceberg-query.test ----
# "Regression test for IMPALA-12580"
eq "alltypes_part" 1 \
    "select i from $(s iceberg_alltypes_part) where i = 1 and p_bigint = 10 + i and p_int = p_bigint - 10"
eq "alltypes_part p_int = i" 1 "select p_int from $(s iceberg_alltypes_part) where i = 1 and p_int = i"
# "SELECT * FROM iceberg_timestamp_part order by i" (timestamp without zone)
eq "timestamp_part" \
    $'-2,1969-01-01 01:00:00.000000\n-1,1969-01-01 01:15:00.000000\n1,2021-10-31 02:15:00.000000\n2,2021-01-10 12:00:00.000000\n3,2022-04-11 00:04:00.000000\n4,2022-04-11 12:04:55.000000' \
    "select * from $(s iceberg_timestamp_part) order by i"
eq "timestamp_part where ts = 1969-01-01 01:00:00" -2 \
    "select i from $(s iceberg_timestamp_part) where ts = TIMESTAMP '1969-01-01 01:00:00'"
# "SET TIMEZONE='UTC'; SELECT * FROM iceberg_timestamptz_part order by i"
eq "timestamptz_part" \
    $'-2,1969-01-01 00:00:00.000000+00:00\n-1,1969-01-01 00:15:00.000000+00:00\n0,2021-10-31 00:15:00.000000+00:00\n1,2021-10-31 01:15:00.000000+00:00\n2,2021-01-10 11:00:00.000000+00:00\n3,2022-04-10 22:04:00.000000+00:00\n4,2022-04-11 10:04:55.000000+00:00' \
    "select * from $(s iceberg_timestamptz_part) order by i"
eq "timestamptz_part where ts < 2021-10-31 01:15:00" "-2 -1 0 2" \
    "select group_concat(i, ' ') from (select i from $(s iceberg_timestamptz_part) where ts < TIMESTAMP '2021-10-31 01:15:00' order by i)"
# "SELECT * FROM iceberg_uppercase_col;": no rows
eq "uppercase_col" 0 "select count(*) from (select * from $(s iceberg_uppercase_col))"
# "SELECT count(*) from iceberg_partitioned" and the queries after it
for t in iceberg_partitioned iceberg_non_partitioned; do
    P="$(printf "iceberg_scan('%s')" "$IT/$t")"
    eq "$t count" 20 "select count(*) from $P"
    eq "$t id > 10" 10 "select count(*) from $P where id > 10"
    eq "$t action <> click" 14 "select count(*) from $P where action <> 'click'"
    eq "$t distinct" "20,3" "select count(distinct id), count(distinct action) from $P"
    eq "$t event_time > 09:00" "2 5 7 8 14 16" \
        "select group_concat(id, ' ') from (select id from $P where event_time > TIMESTAMP '2020-01-01 09:00:00' order by id)"
done
eq "iceberg_non_partitioned id < 5" \
    $'1,Alex,view,2020-01-01 08:00:00.000000+00:00\n2,Lisa,download,2020-01-01 10:00:00.000000+00:00\n3,Alan,click,2020-01-01 09:00:00.000000+00:00\n4,Alex,view,2020-01-01 08:00:00.000000+00:00' \
    "select * from $(printf "iceberg_scan('%s')" "$IT/iceberg_non_partitioned") where id < 5 order by id"
# hadoop_catalog_test_external: a Hadoop catalog table two folders down
H="$(printf "iceberg_scan('%s')" "$IT/hadoop_catalog/hadoop_catalog_test/functional_parquet/hadoop_catalog_test")"
eq "hadoop_catalog_test count" 20 "select count(*) from $H"
eq "hadoop_catalog_test action <> click" 14 "select count(*) from $H where action <> 'click'"
eq "hadoop_catalog_test distinct" "20,3" "select count(distinct id), count(distinct action) from $H"
eq "hadoop_catalog_test event_time > 09:00" "2 5 7 8 14 16" \
    "select group_concat(id, ' ') from (select id from $H where event_time > TIMESTAMP '2020-01-01 09:00:00' order by id)"
# iceberg_resolution_test_external: nested columns as JSON text
R="$(printf "iceberg_scan('%s')" "$IT/hadoop_catalog/iceberg_resolution_test/functional_parquet/iceberg_resolution_test")"
eq "resolution_test count" 20 "select count(*) from $R"
eq "resolution_test phone" $'0,1-212-100-1111\n1,1-212-100-1112' \
    "select p.key, p.value from $R r, json_each(r.phone) p where r.id = 1 order by p.key"
eq "resolution_test favorites sport" "sport,swimming" \
    "select f.key, f.value from $R r, json_each(r.favorites) f where r.id = 1 and f.key = 'sport'"
eq "resolution_test favorites food" $'beef,10\nchicken,4\npumpkin,6' \
    "select f.value, count(1) from $R r, json_each(r.favorites) f where f.key = 'food' group by f.value order by f.value"
eq "resolution_test address" "100,Wall Street,Street,US,10005" \
    "select json_extract(current_address, '\$.street_address.street_number'), json_extract(current_address, '\$.street_address.street_name'), json_extract(current_address, '\$.street_address.street_type'), json_extract(current_address, '\$.country'), json_extract(current_address, '\$.postal_code') from $R where id = 1"
eq "resolution_test distinct address" "3,1" \
    "select count(distinct json_extract(current_address, '\$.street_address.street_number')), count(distinct json_extract(current_address, '\$.country')) from $R"

# ---- iceberg-column-case-sensitivity-issue.test ----
C="$(printf "iceberg_scan('%s')" "$IT/iceberg_column_case_sensitivity_issue")"
eq "column_case_sensitivity_issue" $'1,impala\n2,hive' "select * from $C order by 1"
eq "column_case_sensitivity_issue where id = '1'" "1,impala" "select * from $C where id = '1'"

# ---- iceberg-migrated-table-field-id-resolution.test ----
# migrated Hive tables: no field ids in the files, schema.name-mapping.default
eq "migrated_alter_test" $'0,A,0.5\n1,B,1.5\n2,C,2.5' \
    "select * from $(printf "iceberg_scan('%s')" "$IT/iceberg_migrated_alter_test") order by 1"
M="$(printf "iceberg_scan('%s')" "$IT/iceberg_migrated_complex_test")"
eq "migrated_complex_test structs" "A,0.5" \
    "select json_extract(struct_1_col, '\$.string_col'), json_extract(struct_2_col, '\$.struct_3_col.float_col') from $M"
eq "migrated_complex_test int_array_col" "0,0" \
    "select a.key, a.value from $M t, json_each(t.struct_1_col, '\$.int_array_col') a"
eq "migrated_complex_test bigint_array_col" "0,4" \
    "select a.key, a.value from $M t, json_each(t.struct_2_col, '\$.struct_3_col.bigint_array_col') a"
eq "migrated_complex_test int_bigint_map_col" "2,3" \
    "select json_extract(m.value, '\$.key'), json_extract(m.value, '\$.value') from $M t, json_each(t.int_bigint_map_col) m"
eq "migrated_complex_test string_double_map_col" "B,1.5" \
    "select m.key, m.value from $M t, json_each(t.struct_2_col, '\$.struct_3_col.string_double_map_col') m"
eq "migrated_complex_test int_int_map_col" "5,6" \
    "select json_extract(m.value, '\$.key'), json_extract(m.value, '\$.value') from $M t, json_each(t.struct_2_col, '\$.int_int_map_col') m"
eq "migrated_complex_test bool_int_map_col" "1,1" \
    "select json_extract(m.value, '\$.key'), json_extract(m.value, '\$.value') from $M t, json_each(t.struct_1_col, '\$.bool_int_map_col') m"

# ---- tables only other Impala tests read (apache/impala paths) ----
# testdata/workloads/functional-query/queries/QueryTest/iceberg-rest-catalog.test:
# "SELECT count(*) FROM airports_parquet" and "SELECT lat FROM airports_parquet
# WHERE iata = '00R'"
eq "airports_parquet count" 3376 "select count(*) from $(s airports_parquet)"
eq "airports_parquet lat" 30.68586111 "select lat from $(s airports_parquet) where iata = '00R'"
# testdata/data/README: iceberg_with_key_metadata is iceberg_v2_no_deletes
# with a key_metadata in its manifest (not an encryption key: rows as before)
eq "with_key_metadata" $'1,x\n2,y\n3,z' "select * from $(s iceberg_with_key_metadata) order by i"
# testdata/data/README: iceberg_with_puffin_stats(i INT, d DECIMAL(9, 0))
# holds (1, 1), (2, 2) and Trino's statistics Puffin file
eq "with_puffin_stats" $'1,1\n2,2' \
    "select * from $(printf "iceberg_scan('%s')" "$IT/iceberg_with_puffin_stats") order by i"

# ---- iceberg_v2_null_delete_record ----
# apache/impala tests/query_test/test_iceberg.py test_read_null_delete_records:
# Impala returns 6 rows and warns "NULL found as file_path in delete file".
# floe refuses the scan instead (issue 13: a position delete with a NULL
# file_path is an error, never skipped), naming the delete file.
nd=$({ "$FLOE" sql "select count(*) from (select * from $(s iceberg_v2_null_delete_record))" 2>&1 || true; })
case "$nd" in
*"error: delete file "*"null file_path"*)
    pass=$((pass + 1)) ;;
*)
    fail=$((fail + 1))
    echo "FAIL: null_delete_record should be refused, got: $nd" >&2 ;;
esac

echo "impala_parquet: $pass passed, $fail failed${FLOE_SQL_NO_SHORTCUTS:+ (without the SQL shortcuts)}"
[ "$fail" = 0 ]
# once more without the COUNT(*) and aggregate shortcuts: the rows themselves
if [ -z "${FLOE_SQL_NO_SHORTCUTS:-}" ]; then FLOE_SQL_NO_SHORTCUTS=1 bash "$SELF"; fi
