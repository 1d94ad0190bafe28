#!/usr/bin/env bash
# e2e: Iceberg tables with ORC data files (and one mixing ORC and Parquet)
# that Hive and Impala wrote, read by `floe sql ... iceberg_scan(...)` from
# tests/fixtures/iceberg/impala (Apache Impala's testdata/data/iceberg_test;
# their metadata names /test-warehouse/... paths, read against the local
# folder). Every expectation is transcribed from Impala's own expected
# results: the .test file (tests/fixtures/iceberg/impala/queries/, or the
# Impala repository at the commit named in ORIGIN) and the query are named
# above each check. Impala prints floats widened to double
# (1.100000023841858); floe prints a float as the float (1.1) and a double
# with 15 digits. Nested ORC columns (struct, list, map) are compared as
# floe's JSON text, whose leaves are the values Impala's unnesting queries
# list, in the same order.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
FIX=${FLOE_FIXTURES:-${FLOE_SRC:?FLOE_SRC must point at the source tree}/tests/fixtures}
I="$FIX/iceberg/impala/iceberg_test"
H="$I/hadoop_catalog/ice"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export FLOE_WAREHOUSE="$T/warehouse"
pass=0 fail=0
check() {
    if [ "$2" = "$3" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        printf 'FAIL: %s\n--- expected\n%s\n--- got\n%s\n' "$1" "$3" "$2" >&2
    fi
}
q() { "$FLOE" sql --format csv "$1" 2>&1 | tail -n +2; }
qs() { q "$1" | LC_ALL=C sort; }
lines() { printf '%s\n' "$@" | LC_ALL=C sort; }

# ---- iceberg-missing-field-ids.test (Impala repo), "select * from airports_orc where country != 'USA'"
check "airports_orc: rows outside the USA" \
    "$(qs "select * from iceberg_scan('$H/airports_orc') where country != 'USA'")" \
    "$(lines 'ROP,Prachinburi,NA,,Thailand,14.078333,101.378334' \
        'ROR,Babelthoup/Koror,NA,,Palau,7.367222,134.544167' \
        'SPN,Tinian International Airport,NA,,N Mariana Islands,14.996111,145.621384' \
        'YAP,Yap International,NA,,Federated States of Micronesia,9.5167,138.1')"
# same file, "select * from airports_parquet ...": the ORC and Parquet copies hold the same rows
check "airports_orc: every row as in airports_parquet" \
    "$(q "select count(*) from iceberg_scan('$H/airports_orc') a join iceberg_scan('$H/airports_parquet') b
          on a.iata = b.iata and a.airport = b.airport and a.city = b.city and a.country = b.country
          and a.lat = b.lat and a.lon = b.lon and coalesce(a.state, '') = coalesce(b.state, '')")" \
    "$(q "select count(*) from iceberg_scan('$H/airports_parquet')")"
check "airports_orc: row count" "$(q "select count(*) from iceberg_scan('$H/airports_orc')")" 3376

# ---- iceberg-migrated-tables.test, "select * from functional_parquet.iceberg_alltypes_part_orc"
AP="iceberg_scan('$H/iceberg_alltypes_part_orc')"
check "iceberg_alltypes_part_orc: all rows" "$(qs "select * from $AP")" \
    "$(lines '1,1,1,11,1.1,2.222,123.321,2022-02-22,impala' '2,1,1,11,1.1,2.222,123.321,2022-02-22,impala')"
# ... "where i = 1", "where i = 3", "where p_int = 2", "where p_bool = false"
check "iceberg_alltypes_part_orc: where i = 1" "$(q "select i, p_string from $AP where i = 1")" "1,impala"
check "iceberg_alltypes_part_orc: where i = 3" "$(q "select i from $AP where i = 3")" ""
check "iceberg_alltypes_part_orc: where p_int = 2" "$(q "select i from $AP where p_int = 2")" ""
check "iceberg_alltypes_part_orc: where p_bool = false" "$(q "select i from $AP where p_bool = false")" ""

# ---- iceberg-migrated-tables.test, "select * from functional_parquet.iceberg_legacy_partition_schema_evolution_orc"
LP="iceberg_scan('$H/iceberg_legacy_partition_schema_evolution_orc')"
check "legacy_partition_schema_evolution_orc: all rows" "$(qs "select * from $LP")" \
    "$(lines '1,1.10000002384186,2.718,2' '1,1.10000002384186,3.141,1')"
# ... "where p_dec_dec = 2.718"
check "legacy_partition_schema_evolution_orc: where p_dec_dec = 2.718" \
    "$(q "select i from $LP where p_dec_dec = 2.718")" 2

# ---- iceberg-query.test, the iceberg_partitioned_orc_external queries
PO="iceberg_scan('$I/hadoop_catalog/iceberg_partitioned_orc/functional_parquet/iceberg_partitioned_orc')"
check "iceberg_partitioned_orc: count(*)" "$(q "select count(*) from $PO")" 20
check "iceberg_partitioned_orc: where id > 10" "$(q "select count(*) from $PO where id > 10")" 10
check "iceberg_partitioned_orc: where action <> 'click'" \
    "$(q "select count(*) from $PO where action <> 'click'")" 14
check "iceberg_partitioned_orc: count(distinct id), count(distinct action)" \
    "$(q "select count(distinct id), count(distinct action) from $PO")" "20,3"
check "iceberg_partitioned_orc: where id < 5 order by id" \
    "$(q "select * from $PO where id < 5 order by id")" \
    "$(printf '%s\n' '1,Alex,view' '2,Lisa,download' '3,Alan,click' '4,Alex,view')"
check "iceberg_partitioned_orc: rows per partition (SHOW PARTITIONS)" \
    "$(q "select action, count(*) from $PO group by action order by action")" \
    "$(printf '%s\n' 'click,6' 'download,6' 'view,8')"

# ---- iceberg-v2-read-position-deletes-orc.test
check "v2_no_deletes_orc: SELECT *" "$(qs "select * from iceberg_scan('$H/iceberg_v2_no_deletes_orc')")" \
    "$(lines '1,x' '2,y' '3,z')"
check "v2_no_deletes_orc: where i = 2" \
    "$(q "select * from iceberg_scan('$H/iceberg_v2_no_deletes_orc') where i = 2")" "2,y"
check "v2_positional_delete_all_rows_orc: SELECT *" \
    "$(q "select * from iceberg_scan('$H/iceberg_v2_positional_delete_all_rows_orc')")" ""
check "v2_positional_delete_all_rows_orc: count(*)" \
    "$(q "select count(*) from iceberg_scan('$H/iceberg_v2_positional_delete_all_rows_orc')")" 0
ND="iceberg_scan('$H/iceberg_v2_positional_not_all_data_files_have_delete_files_orc')"
check "v2_positional_not_all_data_files_have_delete_files_orc: SELECT *" "$(qs "select * from $ND")" \
    "$(lines '1,a' '2,b' '3,c' '4,d' '5,X' '6,f')"
check "v2_positional_not_all_data_files_have_delete_files_orc: count(*)" \
    "$(q "select count(*) from $ND")" 6
PD="iceberg_scan('$H/iceberg_v2_partitioned_position_deletes_orc')"
check "v2_partitioned_position_deletes_orc: SELECT *" "$(qs "select * from $PD")" \
    "$(lines '2,Lisa,download,2020-01-01 11:00:00.000000' '4,Alex,view,2020-01-01 09:00:00.000000' \
        '6,Alex,view,2020-01-01 09:00:00.000000' '8,Lisa,download,2020-01-01 11:00:00.000000' \
        '10,Alan,click,2020-01-01 10:00:00.000000' '12,Alan,click,2020-01-01 10:00:00.000000' \
        '14,Lisa,download,2020-01-01 11:00:00.000000' '16,Lisa,download,2020-01-01 11:00:00.000000' \
        '18,Alan,click,2020-01-01 10:00:00.000000' '20,Alex,view,2020-01-01 09:00:00.000000')"
check "v2_partitioned_position_deletes_orc: count(*)" "$(q "select count(*) from $PD")" 10

# ... "for system_version as of N": the metadata file whose current snapshot is N;
# counts both ways (the aggregate shortcut and reading every row)
cnt() { # cnt TABLE_OR_METADATA
    local a b
    a=$(q "select count(*) from iceberg_scan('$1')")
    b=$(FLOE_SQL_NO_SHORTCUTS=1 "$FLOE" sql --format csv "select count(*) from iceberg_scan('$1')" 2>&1 | tail -1)
    [ "$a" = "$b" ] && echo "$a" || echo "shortcut $a, rows $b"
}
check "v2_positional_delete_all_rows_orc: as of 4807054508647143162" \
    "$(cnt "$H/iceberg_v2_positional_delete_all_rows_orc/metadata/v2.metadata.json")" 3
check "v2_positional_not_all_data_files_have_delete_files_orc: as of 8476486151350891395" \
    "$(cnt "$H/iceberg_v2_positional_not_all_data_files_have_delete_files_orc/metadata/v4.metadata.json")" 7
check "v2_positional_not_all_data_files_have_delete_files_orc: as of 5003445199566617082" \
    "$(cnt "$H/iceberg_v2_positional_not_all_data_files_have_delete_files_orc/metadata/v6.metadata.json")" 9
check "v2_partitioned_position_deletes_orc: as of 5416468273053855108" \
    "$(cnt "$H/iceberg_v2_partitioned_position_deletes_orc/metadata/v2.metadata.json")" 20
check "v2_partitioned_position_deletes_orc: count(*) both ways" \
    "$(cnt "$H/iceberg_v2_partitioned_position_deletes_orc")" 10
# ... the count(*) ... where queries
check "v2_no_deletes_orc: count where i = 2" \
    "$(q "select count(*) from iceberg_scan('$H/iceberg_v2_no_deletes_orc') where i = 2")" 1
check "v2_positional_delete_all_rows_orc: count where i > 2" \
    "$(q "select count(*) from iceberg_scan('$H/iceberg_v2_positional_delete_all_rows_orc') where i > 2")" 0
check "v2_positional_not_all_data_files_have_delete_files_orc: count where i < 4" \
    "$(q "select count(*) from $ND where i < 4")" 3
check "v2_partitioned_position_deletes_orc: count where action = 'click'" \
    "$(q "select count(*) from $PD where action = 'click'")" 3

# ... "SELECT action, count(*) ... group by action"
check "v2_partitioned_position_deletes_orc: group by action" \
    "$(q "select action, count(*) from $PD group by action order by action")" \
    "$(printf '%s\n' click,3 download,4 view,3)"
# ... "with v as (select i + 1000 as ii, upper(s) as ss from ...) select * from v where ii > 1003"
check "v2_positional_not_all_data_files_have_delete_files_orc: i + 1000, upper(s)" \
    "$(qs "select i + 1000, upper(s) from $ND where i + 1000 > 1003")" "$(lines 1004,D 1005,X 1006,F)"
# ... the join of iceberg_v2_partitioned_position_deletes_orc and iceberg_partitioned_orc_external
check "v2_partitioned_position_deletes_orc joined with iceberg_partitioned_orc" \
    "$(qs "select a.id, a.user, b.id from $PD a join $PO b on a.action = b.action where b.id = 3")" \
    "$(lines 10,Alan,3 12,Alan,3 18,Alan,3)"
# ... the self-join of iceberg_partitioned_orc_external on b.user = 'Lisa'
check "iceberg_partitioned_orc: self-join, user Lisa" \
    "$(q "select a.id, a.user, a.action from $PO a join $PO b on a.id = b.id and a.action = b.action
          where b.user = 'Lisa' order by a.id")" \
    "$(printf '%s\n' 2,Lisa,download 5,Lisa,download 7,Lisa,download 8,Lisa,download \
        14,Lisa,download 16,Lisa,download)"

# ---- iceberg_mixed_file_format_test: no .test reads it; Impala's testdata/data/README
# (iceberg_mixed_file_format_test) made it by inserting (1,'A',0.5) .. (4,'D',3.5),
# switching write.format.default between orc and parquet
MX="iceberg_scan('$I/iceberg_mixed_file_format_test')"
check "mixed_file_format_test: SELECT *" "$(qs "select * from $MX")" \
    "$(lines '1,A,0.5' '2,B,1.5' '3,C,2.5' '4,D,3.5')"

# ---- iceberg-migrated-table-field-id-resolution.test, "select * from iceberg_migrated_alter_test_orc"
check "migrated_alter_test_orc: SELECT *" \
    "$(qs "select * from iceberg_scan('$I/iceberg_migrated_alter_test_orc')")" \
    "$(lines '0,A,0.5' '1,B,1.5' '2,C,2.5')"

# ... then Impala's ALTERs, made here on a copy as new metadata files (the
# file has no field ids: its columns resolve by schema.name-mapping.default,
# int_col 1, string_col 2, double_col 3, so a dropped column stays dropped
# when one of the same name comes back, and a renamed one keeps its values)
cp -r "$I/iceberg_migrated_alter_test_orc" alter
evolve() { # evolve OUT.metadata.json 'name:id:type ...'
    python3 - "alter/metadata/v2.metadata.json" "alter/metadata/$1" "$2" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
fields = [{"id": int(i), "name": n, "required": False, "type": t}
          for n, i, t in (f.split(":") for f in sys.argv[3].split())]
schema = {"type": "struct", "schema-id": 1, "fields": fields}
m["schema"] = schema
m["schemas"] = m["schemas"] + [schema]
m["current-schema-id"] = 1
m["last-column-id"] = 5
json.dump(m, open(sys.argv[2], "w"))
PY
}
evolve d.metadata.json 'int_col:1:int double_col:3:double'
evolve a.metadata.json 'int_col:1:int double_col:3:double string_col:4:string'
evolve r.metadata.json 'int_col:1:int renamed_double_col:3:double string_col:4:string'
evolve b.metadata.json 'int_col:1:int renamed_double_col:3:double string_col:4:string double_col:5:double'
# "alter table iceberg_migrated_alter_test_orc drop column string_col; select *"
check "migrated_alter_test_orc: string_col dropped" \
    "$(qs "select * from iceberg_scan('$T/alter/metadata/d.metadata.json')")" \
    "$(lines '0,0.5' '1,1.5' '2,2.5')"
# "... add column string_col string; select *": 0,0.5,'NULL' ...
check "migrated_alter_test_orc: string_col added again" \
    "$(qs "select * from iceberg_scan('$T/alter/metadata/a.metadata.json')")" \
    "$(lines '0,0.5,' '1,1.5,' '2,2.5,')"
# "... change column double_col renamed_double_col double; select *"
check "migrated_alter_test_orc: double_col renamed" \
    "$(qs "select * from iceberg_scan('$T/alter/metadata/r.metadata.json')")" \
    "$(lines '0,0.5,' '1,1.5,' '2,2.5,')"
# "... add column double_col double; select *": 0,0.5,'NULL',NULL ...
check "migrated_alter_test_orc: a new double_col" \
    "$(qs "select * from iceberg_scan('$T/alter/metadata/b.metadata.json')")" \
    "$(lines '0,0.5,,' '1,1.5,,' '2,2.5,,')"

# not from Impala: the spec's "Column Projection" - a column the name mapping
# does not name has no id, so it reads as null (by position it would be 'A')
python3 - alter/metadata/v2.metadata.json alter/metadata/m.metadata.json <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
key = "schema.name-mapping.default"
nm = [e for e in json.loads(m["properties"][key]) if "string_col" not in e["names"]]
m["properties"][key] = json.dumps(nm)
json.dump(m, open(sys.argv[2], "w"))
PY
check "migrated_alter_test_orc: a column the mapping lacks is null" \
    "$(qs "select * from iceberg_scan('$T/alter/metadata/m.metadata.json')")" \
    "$(lines '0,,0.5' '1,,1.5' '2,,2.5')"

# ---- iceberg-migrated-table-field-id-resolution.test, the iceberg_migrated_complex_test_orc
# queries: struct_1_col.string_col 'A', struct_2_col.struct_3_col.float_col 0.5;
# int_array_col (0,0); bigint_array_col (0,4); bool_int_map_col true,1; int_bigint_map_col 2,3;
# string_double_map_col 'B',1.5; int_int_map_col 5,6
MC="iceberg_scan('$I/iceberg_migrated_complex_test_orc')"
check "migrated_complex_test_orc: SELECT *" "$(q "select * from $MC")" \
    '"{""int_array_col"":[0],""string_col"":""A"",""bool_int_map_col"":[{""key"":true,""value"":1}]}","[{""key"":2,""value"":3}]","{""struct_3_col"":{""float_col"":0.5,""string_double_map_col"":{""B"":1.5},""bigint_array_col"":[4]},""int_int_map_col"":[{""key"":5,""value"":6}]}"'
check "migrated_complex_test_orc: struct_1_col.string_col, struct_2_col.struct_3_col.float_col" \
    "$(q "select json_extract(struct_1_col, '\$.string_col'), json_extract(struct_2_col, '\$.struct_3_col.float_col') from $MC")" \
    "A,0.5"

# ---- iceberg-orc-field-id.test, complextypestbl_iceberg_orc
CX="iceberg_scan('$H/complextypestbl_iceberg_orc')"
check "complextypestbl_iceberg_orc: select id" "$(q "select id from $CX order by id")" "$(seq 1 8)"
check "complextypestbl_iceberg_orc: count(*)" "$(q "select count(*) from $CX")" 8
check "complextypestbl_iceberg_orc: where id > 3" "$(q "select id from $CX where id > 3 order by id")" \
    "$(seq 4 8)"
# "select item from complextypestbl_iceberg_orc.int_array": 1,2,3,NULL,1,2,NULL,3,NULL,-1
check "complextypestbl_iceberg_orc: int_array" "$(q "select id, int_array from $CX order by id")" \
    "$(printf '%s\n' '1,"[1,2,3]"' '2,"[null,1,2,null,3,null]"' '3,[]' '4,' '5,' '6,' '7,' '8,[-1]')"
# "select item from complextypestbl_iceberg_orc.int_array_array.item":
# 1,2,3,4,NULL,1,2,NULL,3,NULL,4,5,6,-1,-2; "count(*) from ...int_array_array": 11
check "complextypestbl_iceberg_orc: int_array_array" \
    "$(q "select id, int_array_array from $CX order by id")" \
    "$(printf '%s\n' '1,"[[1,2],[3,4]]"' '2,"[[null,1,2,null],[3,null,4],[],null]"' '3,[null]' \
        '4,[]' '5,' '6,' '7,"[null,[5,6]]"' '8,"[[-1,-2],[]]"')"
# "select nested_struct.a from complextypestbl_iceberg_orc": 1,NULL,NULL,NULL,NULL,NULL,7,-1
check "complextypestbl_iceberg_orc: nested_struct.a" \
    "$(q "select id, json_extract(nested_struct, '\$.a') from $CX order by id")" \
    "$(printf '%s\n' 1,1 2, 3, 4, 5, 6, 7,7 8,-1)"
# "select item from complextypestbl_iceberg_orc.nested_struct.b": 1,NULL,2,3,NULL,-1;
# "select inner_array.item.e, inner_array.item.f from ...nested_struct.c.d.item inner_array":
# 10 aaa, -10 bbb, 11 c, NULL, 10 aaa, NULL, -10 bbb, NULL, 11 c, NULL, NULL, -1 nonnullable
check "complextypestbl_iceberg_orc: nested_struct" \
    "$(q "select id, nested_struct from $CX order by id")" \
    "$(printf '%s\n' \
        '1,"{""a"":1,""b"":[1],""c"":{""d"":[[{""e"":10,""f"":""aaa""},{""e"":-10,""f"":""bbb""}],[{""e"":11,""f"":""c""}]]},""g"":{""foo"":{""h"":{""i"":[1.1]}}}}"' \
        '2,"{""a"":null,""b"":[null],""c"":{""d"":[[{""e"":null,""f"":null},{""e"":10,""f"":""aaa""},{""e"":null,""f"":null},{""e"":-10,""f"":""bbb""},{""e"":null,""f"":null}],[{""e"":11,""f"":""c""},null],[],null]},""g"":{""g1"":{""h"":{""i"":[2.2,null]}},""g2"":{""h"":{""i"":[]}},""g3"":null,""g4"":{""h"":{""i"":null}},""g5"":{""h"":null}}}"' \
        '3,"{""a"":null,""b"":null,""c"":{""d"":[]},""g"":{}}"' \
        '4,"{""a"":null,""b"":null,""c"":{""d"":null},""g"":null}"' \
        '5,"{""a"":null,""b"":null,""c"":null,""g"":{""foo"":{""h"":{""i"":[2.2,3.3]}}}}"' \
        '6,' \
        '7,"{""a"":7,""b"":[2,3,null],""c"":{""d"":[[],[null],null]},""g"":null}"' \
        '8,"{""a"":-1,""b"":[-1],""c"":{""d"":[[{""e"":-1,""f"":""nonnullable""}]]},""g"":{}}"')"
check "complextypestbl_iceberg_orc: maps" "$(q "select id, int_map, int_map_array from $CX order by id")" \
    "$(printf '%s\n' '1,"{""k1"":1,""k2"":100}","[{""k1"":1}]"' \
        '2,"{""k1"":2,""k2"":null}","[{""k1"":1,""k3"":null},null,{}]"' '3,{},"[null,null]"' \
        '4,{},[]' '5,{},' '6,,' '7,"{""k1"":null,""k3"":null}",' '8,"{""k1"":-1}","[{},{""k1"":1},{},{}]"')"
check "complextypestbl_iceberg_orc: where on a nested value" \
    "$(q "select count(*) from $CX where json_extract(nested_struct, '\$.a') = 7")" 1

echo "impala_orc_avro: $pass passed, $fail failed"
[ "$fail" = 0 ]
