/*
 * manifest.c - manifests and manifest lists as Avro container files.
 *
 * How it works: the writer builds the manifest_entry Avro schema text for
 * the table's partition spec (partition field types are the transforms'
 * result types mapped as Appendix A says), with the field-ids of the
 * spec, fills one datum per entry through the Avro value API and lets
 * the container writer frame it; the file metadata carries schema,
 * schema-id, partition-spec, partition-spec-id, format-version and
 * content, as Java does. Readers look every field up by field-id.
 *
 * The end of the file reads and writes them where a table keeps them
 * (table_int.h): the current snapshot's manifest list, a manifest a list
 * names, a new manifest or manifest list under the table's metadata/.
 */
#include "iceberg/manifest.h"
#include "iceberg/table_int.h"
#include "core/endian.h"
#include "core/mem.h"
#include "core/uuid.h"
#include "format/avro/container.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MANIFEST_ARENA_MAX ((size_t)256 << 20)
#define MANIFEST_MAX ((size_t)512 << 20) /* the largest manifest or list read from the store */

void fl_ice_manifest_file_fini(struct fl_ice_manifest_file *mf) {
    fl_free(mf->manifest_path);
    for (int i = 0; i < mf->npartitions; i++) {
        fl_buf_fini(&mf->partitions[i].lower);
        fl_buf_fini(&mf->partitions[i].upper);
    }
    fl_free(mf->partitions);
    memset(mf, 0, sizeof(*mf));
}

/* ---- schemas ---- */

/* Minimum bytes of a two's complement holding 10^precision - 1. */
static int decimal_bytes(int precision) {
    for (int n = 1; n < 16; n++) {
        /* 2^(8n-1) > 10^p  <=>  (8n-1) * log10(2) > p */
        if ((double)(8 * n - 1) * 0.30102999566398120 > (double)precision) return n;
    }
    return 16;
}

static void avro_type_of(const struct fl_field *f, struct fl_buf *b) {
    switch (f->type) {
    case FL_TYPE_BOOLEAN:
        fl_buf_append_str(b, "\"boolean\"");
        break;
    case FL_TYPE_INT:
        fl_buf_append_str(b, "\"int\"");
        break;
    case FL_TYPE_LONG:
        fl_buf_append_str(b, "\"long\"");
        break;
    case FL_TYPE_FLOAT:
        fl_buf_append_str(b, "\"float\"");
        break;
    case FL_TYPE_DOUBLE:
        fl_buf_append_str(b, "\"double\"");
        break;
    case FL_TYPE_DATE:
        fl_buf_append_str(b, "{\"type\":\"int\",\"logicalType\":\"date\"}");
        break;
    case FL_TYPE_TIME:
        fl_buf_append_str(b, "{\"type\":\"long\",\"logicalType\":\"time-micros\"}");
        break;
    case FL_TYPE_TIMESTAMP:
        fl_buf_append_str(
            b, "{\"type\":\"long\",\"logicalType\":\"timestamp-micros\",\"adjust-to-utc\":false}");
        break;
    case FL_TYPE_TIMESTAMPTZ:
        fl_buf_append_str(
            b, "{\"type\":\"long\",\"logicalType\":\"timestamp-micros\",\"adjust-to-utc\":true}");
        break;
    case FL_TYPE_STRING:
        fl_buf_append_str(b, "\"string\"");
        break;
    case FL_TYPE_BINARY:
        fl_buf_append_str(b, "\"bytes\"");
        break;
    case FL_TYPE_UUID:
        fl_buf_append_str(
            b, "{\"type\":\"fixed\",\"name\":\"uuid_fixed\",\"size\":16,\"logicalType\":\"uuid\"}");
        break;
    case FL_TYPE_FIXED:
        fl_buf_printf(b, "{\"type\":\"fixed\",\"name\":\"fixed_%d\",\"size\":%d}", f->length,
                      f->length);
        break;
    case FL_TYPE_DECIMAL:
        fl_buf_printf(b,
                      "{\"type\":\"fixed\",\"name\":\"decimal_%d_%d\",\"size\":%d,\"logicalType\":"
                      "\"decimal\",\"precision\":%d,\"scale\":%d}",
                      f->precision, f->scale, decimal_bytes(f->precision), f->precision, f->scale);
        break;
    default:
        fl_buf_append_str(b, "\"null\"");
        break;
    }
}

static void map_field(struct fl_buf *b, const char *name, int id, int kid, int vid,
                      const char *vtype) {
    fl_buf_printf(b,
                  "{\"name\":\"%s\",\"type\":[\"null\",{\"type\":\"array\",\"items\":{\"type\":"
                  "\"record\",\"name\":\"k%d_v%d\",\"fields\":[{\"name\":\"key\",\"type\":\"int\","
                  "\"field-id\":%d},{\"name\":\"value\",\"type\":\"%s\",\"field-id\":%d}]},"
                  "\"logicalType\":\"map\"}],\"default\":null,\"field-id\":%d}",
                  name, kid, vid, kid, vtype, vid, id);
}

static void entry_schema(int version, const struct fl_schema *schema,
                         const struct fl_ice_spec *spec, struct fl_buf *b) {
    fl_buf_append_str(
        b,
        "{\"type\":\"record\",\"name\":\"manifest_entry\",\"fields\":["
        "{\"name\":\"status\",\"type\":\"int\",\"field-id\":0},"
        "{\"name\":\"snapshot_id\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":1},"
        "{\"name\":\"sequence_number\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":"
        "3},"
        "{\"name\":\"file_sequence_number\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-"
        "id\":4},"
        "{\"name\":\"data_file\",\"type\":{\"type\":\"record\",\"name\":\"r2\",\"fields\":["
        "{\"name\":\"content\",\"type\":\"int\",\"doc\":\"Contents of the file: 0=data, 1=position "
        "deletes, 2=equality deletes\",\"field-id\":134},"
        "{\"name\":\"file_path\",\"type\":\"string\",\"doc\":\"Location URI with FS "
        "scheme\",\"field-id\":100},"
        "{\"name\":\"file_format\",\"type\":\"string\",\"doc\":\"File format name: avro, orc, or "
        "parquet\",\"field-id\":101},"
        "{\"name\":\"partition\",\"type\":{\"type\":\"record\",\"name\":\"r102\",\"fields\":[");
    for (int i = 0; i < spec->nfields; i++) {
        const struct fl_ice_part_field *pf = &spec->fields[i];
        int idx = fl_schema_index_by_id(schema, pf->source_id);
        struct fl_field rt;
        fl_ice_transform_result_type(&pf->transform, &schema->fields[idx], &rt);
        if (pf->transform.kind == FL_ICE_XF_VOID) rt.type = schema->fields[idx].type;
        fl_buf_printf(b, "%s{\"name\":\"%s\",\"type\":[\"null\",", i ? "," : "", pf->name);
        avro_type_of(&rt, b);
        fl_buf_printf(b, "],\"default\":null,\"field-id\":%d}", pf->field_id);
    }
    fl_buf_append_str(
        b,
        "]},\"doc\":\"Partition data tuple, schema based on the partition spec\",\"field-id\":102},"
        "{\"name\":\"record_count\",\"type\":\"long\",\"doc\":\"Number of records in the "
        "file\",\"field-id\":103},"
        "{\"name\":\"file_size_in_bytes\",\"type\":\"long\",\"doc\":\"Total file size in "
        "bytes\",\"field-id\":104},");
    map_field(b, "column_sizes", 108, 117, 118, "long");
    fl_buf_append_u8(b, ',');
    map_field(b, "value_counts", 109, 119, 120, "long");
    fl_buf_append_u8(b, ',');
    map_field(b, "null_value_counts", 110, 121, 122, "long");
    fl_buf_append_u8(b, ',');
    map_field(b, "nan_value_counts", 137, 138, 139, "long");
    fl_buf_append_u8(b, ',');
    map_field(b, "lower_bounds", 125, 126, 127, "bytes");
    fl_buf_append_u8(b, ',');
    map_field(b, "upper_bounds", 128, 129, 130, "bytes");
    fl_buf_append_str(
        b,
        ",{\"name\":\"key_metadata\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":"
        "131},"
        "{\"name\":\"split_offsets\",\"type\":[\"null\",{\"type\":\"array\",\"items\":\"long\","
        "\"element-id\":133}],\"default\":null,\"field-id\":132},"
        "{\"name\":\"equality_ids\",\"type\":[\"null\",{\"type\":\"array\",\"items\":\"int\","
        "\"element-id\":136}],\"default\":null,\"field-id\":135},"
        "{\"name\":\"sort_order_id\",\"type\":[\"null\",\"int\"],\"default\":null,\"field-id\":"
        "140}");
    if (version >= 3)
        fl_buf_append_str(
            b, ",{\"name\":\"first_row_id\",\"type\":[\"null\",\"long\"],\"default\":null,"
               "\"field-id\":142},"
               "{\"name\":\"referenced_data_file\",\"type\":[\"null\",\"string\"],\"default\":"
               "null,\"field-id\":143},"
               "{\"name\":\"content_offset\",\"type\":[\"null\",\"long\"],\"default\":null,"
               "\"field-id\":144},"
               "{\"name\":\"content_size_in_bytes\",\"type\":[\"null\",\"long\"],\"default\":"
               "null,\"field-id\":145}");
    fl_buf_append_str(b, "]},\"field-id\":2}]}");
}

static const char MANIFEST_LIST_SCHEMA[] =
    "{\"type\":\"record\",\"name\":\"manifest_file\",\"fields\":["
    "{\"name\":\"manifest_path\",\"type\":\"string\",\"doc\":\"Location URI with FS "
    "scheme\",\"field-id\":500},"
    "{\"name\":\"manifest_length\",\"type\":\"long\",\"doc\":\"Total file size in "
    "bytes\",\"field-id\":501},"
    "{\"name\":\"partition_spec_id\",\"type\":\"int\",\"doc\":\"Spec ID used to "
    "write\",\"field-id\":502},"
    "{\"name\":\"content\",\"type\":\"int\",\"doc\":\"Contents of the manifest: 0=data, "
    "1=deletes\",\"field-id\":517},"
    "{\"name\":\"sequence_number\",\"type\":\"long\",\"doc\":\"Sequence number when the manifest "
    "was added\",\"field-id\":515},"
    "{\"name\":\"min_sequence_number\",\"type\":\"long\",\"doc\":\"Lowest sequence number in the "
    "manifest\",\"field-id\":516},"
    "{\"name\":\"added_snapshot_id\",\"type\":\"long\",\"doc\":\"Snapshot ID that added the "
    "manifest\",\"field-id\":503},"
    "{\"name\":\"added_files_count\",\"type\":\"int\",\"doc\":\"Added entry "
    "count\",\"field-id\":504},"
    "{\"name\":\"existing_files_count\",\"type\":\"int\",\"doc\":\"Existing entry "
    "count\",\"field-id\":505},"
    "{\"name\":\"deleted_files_count\",\"type\":\"int\",\"doc\":\"Deleted entry "
    "count\",\"field-id\":506},"
    "{\"name\":\"added_rows_count\",\"type\":\"long\",\"doc\":\"Added rows "
    "count\",\"field-id\":512},"
    "{\"name\":\"existing_rows_count\",\"type\":\"long\",\"doc\":\"Existing rows "
    "count\",\"field-id\":513},"
    "{\"name\":\"deleted_rows_count\",\"type\":\"long\",\"doc\":\"Deleted rows "
    "count\",\"field-id\":514},"
    "{\"name\":\"partitions\",\"type\":[\"null\",{\"type\":\"array\",\"items\":{\"type\":"
    "\"record\",\"name\":\"r508\",\"fields\":["
    "{\"name\":\"contains_null\",\"type\":\"boolean\",\"doc\":\"True if any file has a null "
    "partition value\",\"field-id\":509},"
    "{\"name\":\"contains_nan\",\"type\":[\"null\",\"boolean\"],\"doc\":\"True if any file has a "
    "nan partition value\",\"default\":null,\"field-id\":518},"
    "{\"name\":\"lower_bound\",\"type\":[\"null\",\"bytes\"],\"doc\":\"Partition lower bound for "
    "all files\",\"default\":null,\"field-id\":510},"
    "{\"name\":\"upper_bound\",\"type\":[\"null\",\"bytes\"],\"doc\":\"Partition upper bound for "
    "all files\",\"default\":null,\"field-id\":511}"
    "]},\"element-id\":508}],\"doc\":\"Summary for each "
    "partition\",\"default\":null,\"field-id\":507},"
    "{\"name\":\"key_metadata\",\"type\":[\"null\",\"bytes\"],\"doc\":\"Encryption key metadata "
    "blob\",\"default\":null,\"field-id\":519}";
/* format 3 adds, then the list's end */
static const char MANIFEST_LIST_V3_TAIL[] =
    ",{\"name\":\"first_row_id\",\"type\":[\"null\",\"long\"],\"doc\":\"Starting row ID to "
    "assign to new rows in ADDED data files\",\"default\":null,\"field-id\":520}";

/* ---- value helpers ---- */

#define FIELD(rec, id) fl_avro_value_field_by_id((rec), (id))

static fl_err_t set_long_map(struct fl_avro_arena *ar, struct fl_avro_value *slot,
                             const struct fl_ice_data_file *df, int which) {
    /* which: 0 sizes, 1 values, 2 nulls, 3 nans */
    size_t n = 0;
    for (int i = 0; i < df->ncols; i++)
        if (which != 3 || df->cols[i].nan_count >= 0) n++;
    fl_err_t rc = fl_avro_value_select(ar, slot, FL_AVRO_ARRAY);
    if (!rc) rc = fl_avro_value_resize(ar, slot, n);
    size_t k = 0;
    for (int i = 0; i < df->ncols && !rc; i++) {
        const struct fl_ice_col_metrics *m = &df->cols[i];
        int64_t v = which == 0   ? m->column_size
                    : which == 1 ? m->value_count
                    : which == 2 ? m->null_count
                                 : m->nan_count;
        if (which == 3 && m->nan_count < 0) continue;
        struct fl_avro_value *item = &slot->u.items[k++];
        rc = fl_avro_value_set_int(fl_avro_value_field(item, "key"), m->field_id);
        if (!rc) rc = fl_avro_value_set_long(fl_avro_value_field(item, "value"), v);
    }
    return rc;
}

static fl_err_t set_bound_map(struct fl_avro_arena *ar, struct fl_avro_value *slot,
                              const struct fl_ice_data_file *df, int upper) {
    size_t n = 0;
    for (int i = 0; i < df->ncols; i++) n += df->cols[i].has_bounds;
    fl_err_t rc = fl_avro_value_select(ar, slot, FL_AVRO_ARRAY);
    if (!rc) rc = fl_avro_value_resize(ar, slot, n);
    size_t k = 0;
    for (int i = 0; i < df->ncols && !rc; i++) {
        const struct fl_ice_col_metrics *m = &df->cols[i];
        if (!m->has_bounds) continue;
        struct fl_avro_value *item = &slot->u.items[k++];
        rc = fl_avro_value_set_int(fl_avro_value_field(item, "key"), m->field_id);
        if (!rc)
            rc = fl_avro_value_set_bytes(ar, fl_avro_value_field(item, "value"),
                                         upper ? m->upper : m->lower,
                                         upper ? m->upper_len : m->lower_len);
    }
    return rc;
}

static fl_err_t set_pval(struct fl_avro_arena *ar, struct fl_avro_value *slot,
                         const struct fl_ice_pval *v) {
    if (v->is_null) return fl_avro_value_set_null(slot);
    switch (v->type) {
    case FL_TYPE_BOOLEAN:
        return fl_avro_value_set_bool(slot, v->i64 != 0);
    case FL_TYPE_INT:
    case FL_TYPE_DATE:
        return fl_avro_value_set_int(slot, (int32_t)v->i64);
    case FL_TYPE_FLOAT:
        return fl_avro_value_set_float(slot, (float)v->f64);
    case FL_TYPE_DOUBLE:
        return fl_avro_value_set_double(slot, v->f64);
    case FL_TYPE_STRING: {
        char *s = NULL;
        fl_err_t rc = fl_avro_arena_alloc(ar, v->len + 1, (void **)&s);
        if (rc) return rc;
        memcpy(s, v->bytes, v->len);
        s[v->len] = 0;
        return fl_avro_value_set_string(ar, slot, s);
    }
    case FL_TYPE_BINARY:
    case FL_TYPE_UUID:
    case FL_TYPE_FIXED:
        return fl_avro_value_set_bytes(ar, slot, v->bytes, v->len);
    case FL_TYPE_DECIMAL: {
        /* Avro decimal on fixed: big-endian two's complement, sign-extended to the size */
        const struct fl_avro_node *fx = NULL;
        for (size_t i = 0; i < slot->node->nbranches; i++)
            if (slot->node->branches[i]->type == FL_AVRO_FIXED) fx = slot->node->branches[i];
        if (!fx) return FL_ERR_INVALID;
        uint8_t be[16];
        unsigned __int128 u = (unsigned __int128)v->dec;
        for (int i = 15; i >= 0; i--, u >>= 8) be[i] = (uint8_t)u;
        return fl_avro_value_set_bytes(ar, slot, be + 16 - fx->size, fx->size);
    }
    default:
        return fl_avro_value_set_long(slot, v->i64);
    }
}

static fl_err_t fill_entry(struct fl_avro_arena *ar, struct fl_avro_value *rec,
                           const struct fl_ice_manifest_entry *e) {
    const struct fl_ice_data_file *df = &e->df;
    fl_err_t rc = fl_avro_value_set_int(FIELD(rec, 0), (int32_t)e->status);
    const int64_t opt[3] = {e->snapshot_id, e->sequence_number, e->file_sequence_number};
    const int ids[3] = {1, 3, 4};
    for (int i = 0; i < 3 && !rc; i++)
        rc = opt[i] == FL_ICE_NULL_LONG ? fl_avro_value_set_null(FIELD(rec, ids[i]))
                                        : fl_avro_value_set_long(FIELD(rec, ids[i]), opt[i]);
    struct fl_avro_value *d = FIELD(rec, 2);
    if (!rc) rc = fl_avro_value_set_int(FIELD(d, 134), (int32_t)df->content);
    if (!rc) rc = fl_avro_value_set_string(ar, FIELD(d, 100), df->file_path);
    if (!rc) rc = fl_avro_value_set_string(ar, FIELD(d, 101), df->file_format);
    struct fl_avro_value *part = FIELD(d, 102);
    for (int i = 0; i < df->npartition && !rc; i++)
        rc = set_pval(ar, &part->u.items[i], &df->partition[i]);
    if (!rc) rc = fl_avro_value_set_long(FIELD(d, 103), df->record_count);
    if (!rc) rc = fl_avro_value_set_long(FIELD(d, 104), df->file_size_in_bytes);
    if (df->content == FL_ICE_CONTENT_DATA || df->ncols > 0) {
        if (!rc) rc = set_long_map(ar, FIELD(d, 108), df, 0);
        if (!rc) rc = set_long_map(ar, FIELD(d, 109), df, 1);
        if (!rc) rc = set_long_map(ar, FIELD(d, 110), df, 2);
        if (!rc) rc = set_long_map(ar, FIELD(d, 137), df, 3);
        if (!rc) rc = set_bound_map(ar, FIELD(d, 125), df, 0);
        if (!rc) rc = set_bound_map(ar, FIELD(d, 128), df, 1);
    }
    if (!rc && df->nequality > 0) {
        struct fl_avro_value *eq = FIELD(d, 135);
        rc = fl_avro_value_select(ar, eq, FL_AVRO_ARRAY);
        if (!rc) rc = fl_avro_value_resize(ar, eq, (size_t)df->nequality);
        for (int i = 0; i < df->nequality && !rc; i++)
            rc = fl_avro_value_set_int(&eq->u.items[i], df->equality_ids[i]);
    }
    if (!rc && df->content != FL_ICE_CONTENT_POSITION_DELETES)
        rc = fl_avro_value_set_int(FIELD(d, 140), df->sort_order_id);
    if (!FIELD(d, 142)) return rc; /* a format 2 manifest */
    if (!rc && df->has_first_row_id) rc = fl_avro_value_set_long(FIELD(d, 142), df->first_row_id);
    if (!rc && df->referenced_data_file)
        rc = fl_avro_value_set_string(ar, FIELD(d, 143), df->referenced_data_file);
    if (!rc && df->has_content_range) {
        rc = fl_avro_value_set_long(FIELD(d, 144), df->content_offset);
        if (!rc) rc = fl_avro_value_set_long(FIELD(d, 145), df->content_size_in_bytes);
    }
    return rc;
}

fl_err_t fl_ice_manifest_write(const struct fl_schema *schema, const struct fl_ice_spec *spec,
                               int content, const struct fl_ice_manifest_entry *entries, int n,
                               uint8_t **out, size_t *outlen, struct fl_ice_manifest_file *mf,
                               struct fl_error *err) {
    return fl_ice_manifest_write_version(2, schema, spec, content, entries, n, out, outlen, mf,
                                         err);
}

fl_err_t fl_ice_manifest_write_version(int format_version, const struct fl_schema *schema,
                                       const struct fl_ice_spec *spec, int content,
                                       const struct fl_ice_manifest_entry *entries, int n,
                                       uint8_t **out, size_t *outlen,
                                       struct fl_ice_manifest_file *mf, struct fl_error *err) {
    struct fl_buf sb, meta;
    fl_buf_init(&sb, FL_BUF_NOMAX);
    fl_buf_init(&meta, FL_BUF_NOMAX);
    struct fl_avro_schema *as = NULL;
    struct fl_avro_writer *w = NULL;
    struct fl_avro_arena ar;
    fl_avro_arena_init(&ar, MANIFEST_ARENA_MAX);
    const struct fl_ice_pval **lo = fl_calloc((size_t)spec->nfields + 1, sizeof(*lo));
    const struct fl_ice_pval **hi = fl_calloc((size_t)spec->nfields + 1, sizeof(*hi));
    fl_err_t rc;

    memset(mf, 0, sizeof(*mf));
    mf->partition_spec_id = spec->spec_id;
    mf->content = content;
    mf->npartitions = spec->nfields;
    mf->partitions = fl_calloc((size_t)spec->nfields + 1, sizeof(*mf->partitions));
    for (int i = 0; i < spec->nfields; i++) {
        fl_buf_init(&mf->partitions[i].lower, 4096);
        fl_buf_init(&mf->partitions[i].upper, 4096);
    }

    entry_schema(format_version, schema, spec, &sb);
    if ((rc = fl_avro_schema_parse((const char *)sb.data, sb.len, &as, err))) goto out;
    if ((rc = fl_avro_writer_new(as, FL_AVRO_CODEC_DEFLATE, &w, err))) goto out;
    fl_buf_reset(&meta);
    fl_schema_to_json(schema, &meta);
    if ((rc = fl_avro_writer_set_meta(w, "schema", meta.data, meta.len, err))) goto out;
    char num[32];
    snprintf(num, sizeof(num), "%d", schema->schema_id);
    if ((rc = fl_avro_writer_set_meta(w, "schema-id", num, strlen(num), err))) goto out;
    fl_buf_reset(&meta);
    fl_ice_spec_to_json(spec, 1, &meta);
    if ((rc = fl_avro_writer_set_meta(w, "partition-spec", meta.data, meta.len, err))) goto out;
    snprintf(num, sizeof(num), "%d", spec->spec_id);
    if ((rc = fl_avro_writer_set_meta(w, "partition-spec-id", num, strlen(num), err))) goto out;
    const char *fv = format_version >= 3 ? "3" : "2";
    if ((rc = fl_avro_writer_set_meta(w, "format-version", fv, 1, err))) goto out;
    const char *ct = content ? "deletes" : "data";
    if ((rc = fl_avro_writer_set_meta(w, "content", ct, strlen(ct), err))) goto out;

    for (int i = 0; i < n; i++) {
        const struct fl_ice_manifest_entry *e = &entries[i];
        if (e->df.npartition != spec->nfields) {
            rc =
                fl_errf(err, FL_ERR_INVALID, "manifest: %s has %d partition values, spec %d has %d",
                        e->df.file_path, e->df.npartition, spec->spec_id, spec->nfields);
            goto out;
        }
        struct fl_avro_value rec;
        fl_avro_arena_reset(&ar);
        if ((rc = fl_avro_value_init(&ar, fl_avro_schema_root(as), &rec))) goto avro_fail;
        if ((rc = fill_entry(&ar, &rec, e))) goto avro_fail;
        if ((rc = fl_avro_writer_append(w, &rec, err))) goto out;
        switch (e->status) {
        case FL_ICE_STATUS_ADDED:
            mf->added_files_count++;
            mf->added_rows_count += e->df.record_count;
            break;
        case FL_ICE_STATUS_EXISTING:
            mf->existing_files_count++;
            mf->existing_rows_count += e->df.record_count;
            break;
        default:
            mf->deleted_files_count++;
            mf->deleted_rows_count += e->df.record_count;
        }
        if (e->status == FL_ICE_STATUS_DELETED) continue;
        for (int k = 0; k < spec->nfields; k++) {
            const struct fl_ice_pval *v = &e->df.partition[k];
            struct fl_ice_field_summary *fs = &mf->partitions[k];
            if (v->is_null) {
                fs->contains_null = true;
                continue;
            }
            if ((v->type == FL_TYPE_FLOAT || v->type == FL_TYPE_DOUBLE) && isnan(v->f64)) {
                fs->contains_nan = true;
                continue;
            }
            if (!lo[k] || fl_ice_pval_cmp(v, lo[k]) < 0) lo[k] = v;
            if (!hi[k] || fl_ice_pval_cmp(v, hi[k]) > 0) hi[k] = v;
        }
    }
    for (int k = 0; k < spec->nfields; k++) {
        if (!lo[k]) continue;
        mf->partitions[k].has_bounds = true;
        fl_ice_pval_serialize(lo[k], &mf->partitions[k].lower);
        fl_ice_pval_serialize(hi[k], &mf->partitions[k].upper);
    }
    rc = fl_avro_writer_finish(w, out, outlen, err);
    if (!rc) mf->manifest_length = (int64_t)*outlen;
    goto out;
avro_fail:
    fl_errf(err, rc, "manifest: cannot encode the entry of %s", entries ? "a data file" : "?");
out:
    fl_free(lo);
    fl_free(hi);
    fl_avro_arena_fini(&ar);
    fl_avro_writer_free(w);
    fl_avro_schema_free(as);
    fl_buf_fini(&sb);
    fl_buf_fini(&meta);
    if (rc) fl_ice_manifest_file_fini(mf);
    return rc;
}

fl_err_t fl_ice_manifest_list_write(int64_t snapshot_id, int64_t parent_id, int64_t sequence_number,
                                    const struct fl_ice_manifest_file *files, int n, uint8_t **out,
                                    size_t *outlen, struct fl_error *err) {
    return fl_ice_manifest_list_write_version(2, snapshot_id, parent_id, sequence_number, files, n,
                                              out, outlen, err);
}

fl_err_t fl_ice_manifest_list_write_version(int format_version, int64_t snapshot_id,
                                            int64_t parent_id, int64_t sequence_number,
                                            const struct fl_ice_manifest_file *files, int n,
                                            uint8_t **out, size_t *outlen, struct fl_error *err) {
    struct fl_avro_schema *as = NULL;
    struct fl_avro_writer *w = NULL;
    struct fl_avro_arena ar;
    fl_avro_arena_init(&ar, MANIFEST_ARENA_MAX);
    struct fl_buf sb;
    fl_buf_init(&sb, FL_BUF_NOMAX);
    fl_buf_append(&sb, MANIFEST_LIST_SCHEMA, sizeof(MANIFEST_LIST_SCHEMA) - 1);
    if (format_version >= 3) fl_buf_append_str(&sb, MANIFEST_LIST_V3_TAIL);
    fl_buf_append_str(&sb, "]}");
    fl_err_t rc = fl_avro_schema_parse((const char *)sb.data, sb.len, &as, err);
    fl_buf_fini(&sb);
    if (!rc) rc = fl_avro_writer_new(as, FL_AVRO_CODEC_DEFLATE, &w, err);
    char num[32];
    if (!rc) {
        snprintf(num, sizeof(num), "%lld", (long long)snapshot_id);
        rc = fl_avro_writer_set_meta(w, "snapshot-id", num, strlen(num), err);
    }
    if (!rc && parent_id >= 0) {
        snprintf(num, sizeof(num), "%lld", (long long)parent_id);
        rc = fl_avro_writer_set_meta(w, "parent-snapshot-id", num, strlen(num), err);
    } else if (!rc) {
        rc = fl_avro_writer_set_meta(w, "parent-snapshot-id", "null", 4, err);
    }
    if (!rc) {
        snprintf(num, sizeof(num), "%lld", (long long)sequence_number);
        rc = fl_avro_writer_set_meta(w, "sequence-number", num, strlen(num), err);
    }
    if (!rc)
        rc = fl_avro_writer_set_meta(w, "format-version", format_version >= 3 ? "3" : "2", 1, err);
    for (int i = 0; i < n && !rc; i++) {
        const struct fl_ice_manifest_file *mf = &files[i];
        struct fl_avro_value rec;
        fl_avro_arena_reset(&ar);
        rc = fl_avro_value_init(&ar, fl_avro_schema_root(as), &rec);
        if (!rc) rc = fl_avro_value_set_string(&ar, FIELD(&rec, 500), mf->manifest_path);
        if (!rc) rc = fl_avro_value_set_long(FIELD(&rec, 501), mf->manifest_length);
        if (!rc) rc = fl_avro_value_set_int(FIELD(&rec, 502), mf->partition_spec_id);
        if (!rc) rc = fl_avro_value_set_int(FIELD(&rec, 517), mf->content);
        if (!rc) rc = fl_avro_value_set_long(FIELD(&rec, 515), mf->sequence_number);
        if (!rc) rc = fl_avro_value_set_long(FIELD(&rec, 516), mf->min_sequence_number);
        if (!rc) rc = fl_avro_value_set_long(FIELD(&rec, 503), mf->added_snapshot_id);
        if (!rc) rc = fl_avro_value_set_int(FIELD(&rec, 504), mf->added_files_count);
        if (!rc) rc = fl_avro_value_set_int(FIELD(&rec, 505), mf->existing_files_count);
        if (!rc) rc = fl_avro_value_set_int(FIELD(&rec, 506), mf->deleted_files_count);
        if (!rc) rc = fl_avro_value_set_long(FIELD(&rec, 512), mf->added_rows_count);
        if (!rc) rc = fl_avro_value_set_long(FIELD(&rec, 513), mf->existing_rows_count);
        if (!rc) rc = fl_avro_value_set_long(FIELD(&rec, 514), mf->deleted_rows_count);
        if (!rc && mf->has_first_row_id && FIELD(&rec, 520))
            rc = fl_avro_value_set_long(FIELD(&rec, 520), mf->first_row_id);
        struct fl_avro_value *parts = FIELD(&rec, 507);
        if (!rc) rc = fl_avro_value_select(&ar, parts, FL_AVRO_ARRAY);
        if (!rc) rc = fl_avro_value_resize(&ar, parts, (size_t)mf->npartitions);
        for (int k = 0; k < mf->npartitions && !rc; k++) {
            const struct fl_ice_field_summary *fs = &mf->partitions[k];
            struct fl_avro_value *it = &parts->u.items[k];
            rc = fl_avro_value_set_bool(FIELD(it, 509), fs->contains_null);
            if (!rc) rc = fl_avro_value_set_bool(FIELD(it, 518), fs->contains_nan);
            if (!rc && fs->has_bounds) {
                rc = fl_avro_value_set_bytes(&ar, FIELD(it, 510), fs->lower.data, fs->lower.len);
                if (!rc)
                    rc =
                        fl_avro_value_set_bytes(&ar, FIELD(it, 511), fs->upper.data, fs->upper.len);
            }
        }
        if (rc) {
            fl_errf(err, rc, "manifest list: cannot encode %s", mf->manifest_path);
            break;
        }
        rc = fl_avro_writer_append(w, &rec, err);
    }
    if (!rc) rc = fl_avro_writer_finish(w, out, outlen, err);
    fl_avro_arena_fini(&ar);
    fl_avro_writer_free(w);
    fl_avro_schema_free(as);
    return rc;
}

/* ---- reading ---- */

static int64_t get_long(const struct fl_avro_value *v, int64_t dflt) {
    if (!v || fl_avro_value_is_null(v)) return dflt;
    if (v->type->type == FL_AVRO_INT) return v->u.i;
    if (v->type->type == FL_AVRO_LONG) return v->u.l;
    return dflt;
}

fl_err_t fl_ice_manifest_list_read(const uint8_t *data, size_t len,
                                   struct fl_ice_manifest_file **files, int *n,
                                   struct fl_error *err) {
    struct fl_avro_reader *r = NULL;
    fl_err_t rc = fl_avro_reader_open(data, len, NULL, &r, err);
    if (rc) return rc;
    struct fl_ice_manifest_file *arr = NULL;
    int cnt = 0, cap = 0;
    for (;;) {
        const struct fl_avro_value *rec = NULL;
        rc = fl_avro_reader_next(r, &rec, err);
        if (rc == FL_ERR_EOF) {
            rc = FL_OK;
            break;
        }
        if (rc) break;
        const struct fl_avro_value *path = FIELD(rec, 500);
        if (!path || path->type->type != FL_AVRO_STRING) {
            rc = fl_errf(err, FL_ERR_CORRUPT, "manifest list entry %d has no manifest_path", cnt);
            break;
        }
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            arr = fl_reallocarray(arr, (size_t)cap, sizeof(*arr));
        }
        struct fl_ice_manifest_file *mf = &arr[cnt++];
        memset(mf, 0, sizeof(*mf));
        mf->manifest_path = fl_strndup((const char *)path->u.bytes.data, path->u.bytes.len);
        mf->manifest_length = get_long(FIELD(rec, 501), 0);
        mf->partition_spec_id = (int32_t)get_long(FIELD(rec, 502), 0);
        mf->content = (int)get_long(FIELD(rec, 517), 0);
        mf->sequence_number = get_long(FIELD(rec, 515), 0);
        mf->min_sequence_number = get_long(FIELD(rec, 516), 0);
        mf->added_snapshot_id = get_long(FIELD(rec, 503), 0);
        mf->first_row_id = get_long(FIELD(rec, 520), FL_ICE_NULL_LONG);
        mf->has_first_row_id = mf->first_row_id != FL_ICE_NULL_LONG;
        mf->added_files_count = (int32_t)get_long(FIELD(rec, 504), -1);
        mf->existing_files_count = (int32_t)get_long(FIELD(rec, 505), -1);
        mf->deleted_files_count = (int32_t)get_long(FIELD(rec, 506), -1);
        mf->added_rows_count = get_long(FIELD(rec, 512), -1);
        mf->existing_rows_count = get_long(FIELD(rec, 513), -1);
        mf->deleted_rows_count = get_long(FIELD(rec, 514), -1);
        const struct fl_avro_value *parts = FIELD(rec, 507);
        if (parts && !fl_avro_value_is_null(parts) && parts->type->type == FL_AVRO_ARRAY) {
            mf->npartitions = (int)parts->n;
            mf->partitions = fl_calloc(parts->n ? parts->n : 1, sizeof(*mf->partitions));
            for (size_t k = 0; k < parts->n; k++) {
                const struct fl_avro_value *it = &parts->u.items[k];
                struct fl_ice_field_summary *fs = &mf->partitions[k];
                fl_buf_init(&fs->lower, 4096);
                fl_buf_init(&fs->upper, 4096);
                const struct fl_avro_value *cn = FIELD(it, 509), *cnan = FIELD(it, 518);
                const struct fl_avro_value *lo = FIELD(it, 510), *hi = FIELD(it, 511);
                fs->contains_null = cn && !fl_avro_value_is_null(cn) && cn->u.b;
                fs->contains_nan = cnan && !fl_avro_value_is_null(cnan) && cnan->u.b;
                if (lo && hi && !fl_avro_value_is_null(lo) && !fl_avro_value_is_null(hi)) {
                    fs->has_bounds = true;
                    fl_buf_append(&fs->lower, lo->u.bytes.data, lo->u.bytes.len);
                    fl_buf_append(&fs->upper, hi->u.bytes.data, hi->u.bytes.len);
                }
            }
        }
    }
    fl_avro_reader_free(r);
    if (rc) {
        for (int i = 0; i < cnt; i++) fl_ice_manifest_file_fini(&arr[i]);
        fl_free(arr);
        return rc;
    }
    *files = arr;
    *n = cnt;
    return FL_OK;
}

/* Partition value from an Avro datum, typed by its Avro schema. */
static void pval_from_avro(const struct fl_avro_value *v, struct fl_ice_pval *out) {
    memset(out, 0, sizeof(*out));
    if (!v || fl_avro_value_is_null(v)) {
        out->is_null = true;
        return;
    }
    const struct fl_avro_node *t = v->type;
    switch (t->type) {
    case FL_AVRO_BOOLEAN:
        out->type = FL_TYPE_BOOLEAN;
        out->i64 = v->u.b;
        return;
    case FL_AVRO_INT:
        out->type = t->logical == FL_AVRO_LT_DATE ? FL_TYPE_DATE : FL_TYPE_INT;
        out->i64 = v->u.i;
        return;
    case FL_AVRO_LONG:
        out->type = t->logical == FL_AVRO_LT_TIME_MICROS ? FL_TYPE_TIME
                    : t->logical == FL_AVRO_LT_TIMESTAMP_MICROS
                        ? (t->adjust_to_utc ? FL_TYPE_TIMESTAMPTZ : FL_TYPE_TIMESTAMP)
                        : FL_TYPE_LONG;
        out->i64 = v->u.l;
        return;
    case FL_AVRO_FLOAT:
        out->type = FL_TYPE_FLOAT;
        out->f64 = v->u.f;
        return;
    case FL_AVRO_DOUBLE:
        out->type = FL_TYPE_DOUBLE;
        out->f64 = v->u.d;
        return;
    case FL_AVRO_STRING:
        out->type = FL_TYPE_STRING;
        out->bytes = v->u.bytes.data;
        out->len = v->u.bytes.len;
        return;
    case FL_AVRO_BYTES:
    case FL_AVRO_FIXED:
        if (t->logical == FL_AVRO_LT_DECIMAL && v->u.bytes.len <= 16) {
            unsigned __int128 u =
                (v->u.bytes.len && (v->u.bytes.data[0] & 0x80)) ? ~(unsigned __int128)0 : 0;
            for (size_t i = 0; i < v->u.bytes.len; i++) u = (u << 8) | v->u.bytes.data[i];
            out->type = FL_TYPE_DECIMAL;
            out->scale = t->scale;
            out->dec = (__int128)u;
            return;
        }
        out->type = t->logical == FL_AVRO_LT_UUID ? FL_TYPE_UUID
                    : t->type == FL_AVRO_FIXED    ? FL_TYPE_FIXED
                                                  : FL_TYPE_BINARY;
        out->bytes = v->u.bytes.data;
        out->len = v->u.bytes.len;
        return;
    default:
        out->is_null = true;
    }
}

struct metrics_acc {
    struct fl_ice_col_metrics *cols;
    int n, cap;
};

static struct fl_ice_col_metrics *metrics_for(struct metrics_acc *a, int32_t id) {
    for (int i = 0; i < a->n; i++)
        if (a->cols[i].field_id == id) return &a->cols[i];
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->cols = fl_reallocarray(a->cols, (size_t)a->cap, sizeof(*a->cols));
    }
    struct fl_ice_col_metrics *m = &a->cols[a->n++];
    memset(m, 0, sizeof(*m));
    m->field_id = id;
    m->column_size = m->value_count = m->null_count = m->nan_count = -1;
    return m;
}

static void read_map(struct metrics_acc *a, const struct fl_avro_value *slot, int which) {
    if (!slot || fl_avro_value_is_null(slot) || slot->type->type != FL_AVRO_ARRAY) return;
    for (size_t i = 0; i < slot->n; i++) {
        const struct fl_avro_value *it = &slot->u.items[i];
        const struct fl_avro_value *k = fl_avro_value_field(it, "key");
        const struct fl_avro_value *v = fl_avro_value_field(it, "value");
        if (!k || !v || k->type->type != FL_AVRO_INT) continue;
        struct fl_ice_col_metrics *m = metrics_for(a, k->u.i);
        switch (which) {
        case 0:
            m->column_size = get_long(v, -1);
            break;
        case 1:
            m->value_count = get_long(v, -1);
            break;
        case 2:
            m->null_count = get_long(v, -1);
            break;
        case 3:
            m->nan_count = get_long(v, -1);
            break;
        case 4:
            m->lower = v->u.bytes.data;
            m->lower_len = v->u.bytes.len;
            m->has_bounds = m->upper != NULL;
            break;
        default:
            m->upper = v->u.bytes.data;
            m->upper_len = v->u.bytes.len;
            m->has_bounds = m->lower != NULL;
        }
    }
}

/* Format 3 data_file fields: first_row_id (given, or inherited through
 * *next_row_id), referenced_data_file (into *ref, reused per entry) and a
 * deletion vector's content range, which must be whole. */
static fl_err_t read_v3_fields(const struct fl_avro_value *d, struct fl_ice_manifest_entry *e,
                               int64_t *next_row_id, char **ref, int idx, struct fl_error *err) {
    int64_t frid = get_long(FIELD(d, 142), FL_ICE_NULL_LONG);
    if (frid != FL_ICE_NULL_LONG) {
        e->df.has_first_row_id = true;
        e->df.first_row_id = frid;
    } else if (e->df.content == FL_ICE_CONTENT_DATA && e->status != FL_ICE_STATUS_DELETED &&
               *next_row_id != FL_ICE_NULL_LONG) {
        e->df.has_first_row_id = true;
        e->df.first_row_id = *next_row_id;
        *next_row_id += e->df.record_count;
    }
    const struct fl_avro_value *rf = FIELD(d, 143);
    if (rf && !fl_avro_value_is_null(rf) && rf->type->type == FL_AVRO_STRING) {
        fl_free(*ref);
        *ref = fl_strndup((const char *)rf->u.bytes.data, rf->u.bytes.len);
        e->df.referenced_data_file = *ref;
    }
    int64_t off = get_long(FIELD(d, 144), FL_ICE_NULL_LONG);
    int64_t size = get_long(FIELD(d, 145), FL_ICE_NULL_LONG);
    if ((off == FL_ICE_NULL_LONG) != (size == FL_ICE_NULL_LONG) ||
        (off != FL_ICE_NULL_LONG && (off < 0 || size < 0)))
        return fl_errf(err, FL_ERR_CORRUPT,
                       "manifest entry %d (%s): content_offset and content_size_in_bytes must "
                       "both be set, and not negative",
                       idx, e->df.file_path);
    if (off != FL_ICE_NULL_LONG) {
        e->df.has_content_range = true;
        e->df.content_offset = off;
        e->df.content_size_in_bytes = size;
    }
    return FL_OK;
}

fl_err_t fl_ice_manifest_read(const uint8_t *data, size_t len,
                              const struct fl_ice_manifest_file *mf, fl_ice_entry_fn fn, void *ctx,
                              struct fl_error *err) {
    struct fl_avro_reader *r = NULL;
    fl_err_t rc = fl_avro_reader_open(data, len, NULL, &r, err);
    if (rc) return rc;
    struct metrics_acc acc = {0};
    struct fl_ice_pval *pvals = NULL;
    size_t pcap = 0;
    char *path = NULL, *ref = NULL;
    int32_t *eq = NULL;
    /* format 3: data files without first_row_id take the manifest's plus
     * the rows of the live entries before them that had none */
    int64_t next_row_id = mf && mf->has_first_row_id ? mf->first_row_id : FL_ICE_NULL_LONG;
    for (int idx = 0;; idx++) {
        const struct fl_avro_value *rec = NULL;
        rc = fl_avro_reader_next(r, &rec, err);
        if (rc == FL_ERR_EOF) {
            rc = FL_OK;
            break;
        }
        if (rc) break;
        const struct fl_avro_value *d = FIELD(rec, 2);
        const struct fl_avro_value *fp = d ? FIELD(d, 100) : NULL;
        if (!fp || fp->type->type != FL_AVRO_STRING) {
            rc = fl_errf(err, FL_ERR_CORRUPT, "manifest entry %d has no data_file.file_path", idx);
            break;
        }
        struct fl_ice_manifest_entry e;
        memset(&e, 0, sizeof(e));
        e.status = (fl_ice_status_t)get_long(FIELD(rec, 0), 1);
        e.snapshot_id = get_long(FIELD(rec, 1), FL_ICE_NULL_LONG);
        e.sequence_number = get_long(FIELD(rec, 3), FL_ICE_NULL_LONG);
        e.file_sequence_number = get_long(FIELD(rec, 4), FL_ICE_NULL_LONG);
        /* inheritance (spec: "Sequence Number Inheritance") */
        if (e.snapshot_id == FL_ICE_NULL_LONG && mf) e.snapshot_id = mf->added_snapshot_id;
        if (e.status == FL_ICE_STATUS_ADDED && mf) {
            if (e.sequence_number == FL_ICE_NULL_LONG) e.sequence_number = mf->sequence_number;
            if (e.file_sequence_number == FL_ICE_NULL_LONG)
                e.file_sequence_number = mf->sequence_number;
        }
        if (e.sequence_number == FL_ICE_NULL_LONG) e.sequence_number = 0; /* v1 */
        fl_free(path);
        path = fl_strndup((const char *)fp->u.bytes.data, fp->u.bytes.len);
        e.df.file_path = path;
        e.df.content = (fl_ice_content_t)get_long(FIELD(d, 134), 0);
        const struct fl_avro_value *ff = FIELD(d, 101);
        e.df.file_format =
            ff && ff->type->type == FL_AVRO_STRING
                ? fl_ice_file_format_name((const char *)ff->u.bytes.data, ff->u.bytes.len)
                : "OTHER";
        e.df.spec_id = mf ? mf->partition_spec_id : 0;
        e.df.record_count = get_long(FIELD(d, 103), 0);
        e.df.file_size_in_bytes = get_long(FIELD(d, 104), 0);
        const struct fl_avro_value *part = FIELD(d, 102);
        size_t np = part && part->type->type == FL_AVRO_RECORD ? part->n : 0;
        if (np > pcap) {
            pcap = np;
            pvals = fl_reallocarray(pvals, pcap, sizeof(*pvals));
        }
        for (size_t k = 0; k < np; k++) pval_from_avro(&part->u.items[k], &pvals[k]);
        e.df.partition = pvals;
        e.df.npartition = (int)np;
        acc.n = 0;
        read_map(&acc, FIELD(d, 108), 0);
        read_map(&acc, FIELD(d, 109), 1);
        read_map(&acc, FIELD(d, 110), 2);
        read_map(&acc, FIELD(d, 137), 3);
        read_map(&acc, FIELD(d, 125), 4);
        read_map(&acc, FIELD(d, 128), 5);
        e.df.cols = acc.cols;
        e.df.ncols = acc.n;
        const struct fl_avro_value *eqv = FIELD(d, 135);
        if (eqv && !fl_avro_value_is_null(eqv) && eqv->type->type == FL_AVRO_ARRAY) {
            eq = fl_reallocarray(eq, eqv->n + 1, sizeof(int32_t));
            for (size_t k = 0; k < eqv->n; k++) eq[k] = (int32_t)get_long(&eqv->u.items[k], 0);
            e.df.equality_ids = eq;
            e.df.nequality = (int)eqv->n;
        }
        e.df.sort_order_id = (int32_t)get_long(FIELD(d, 140), 0);
        if ((rc = read_v3_fields(d, &e, &next_row_id, &ref, idx, err))) break;
        if (fn(ctx, &e)) break;
    }
    fl_free(eq);
    fl_free(path);
    fl_free(ref);
    fl_free(pvals);
    fl_free(acc.cols);
    fl_avro_reader_free(r);
    return rc;
}

/* ---- a table's manifests in its store ---- */

fl_err_t fl_ice_table_manifests(struct fl_ice_table *tbl, struct fl_ice_manifest_file **files,
                                int *n, struct fl_error *err) {
    *files = NULL;
    *n = 0;
    const struct fl_ice_snapshot *s = fl_ice_meta_current_snapshot(tbl->meta);
    if (!s) return FL_OK;
    if (!s->manifest_list)
        return fl_errf(err, FL_ERR_UNSUPPORTED,
                       "snapshot %lld has no manifest list (format 1 manifests field)",
                       (long long)s->snapshot_id);
    char key[FL_STORE_KEY_MAX + 1];
    fl_err_t rc = fl_ice_table_key(tbl, s->manifest_list, key, sizeof(key), err);
    struct fl_buf b;
    fl_buf_init(&b, MANIFEST_MAX);
    if (!rc) rc = fl_store_get(tbl->store, key, &b, MANIFEST_MAX, err);
    if (!rc) rc = fl_ice_manifest_list_read(b.data, b.len, files, n, err);
    fl_buf_fini(&b);
    return rc;
}

fl_err_t fl_ice_table_read_manifest(struct fl_ice_table *tbl, const struct fl_ice_manifest_file *mf,
                                    fl_ice_entry_fn fn, void *ctx, struct fl_error *err) {
    char key[FL_STORE_KEY_MAX + 1];
    struct fl_buf b;
    fl_buf_init(&b, MANIFEST_MAX);
    fl_err_t rc = fl_ice_table_key(tbl, mf->manifest_path, key, sizeof(key), err);
    if (!rc) rc = fl_store_get(tbl->store, key, &b, MANIFEST_MAX, err);
    if (!rc) rc = fl_ice_manifest_read(b.data, b.len, mf, fn, ctx, err);
    fl_buf_fini(&b);
    return rc;
}

fl_err_t fl_ice_table_put_manifest(struct fl_ice_table *tbl, const struct fl_ice_spec *spec,
                                   int content, const struct fl_ice_manifest_entry *entries, int n,
                                   const char *tag, int64_t snapshot_id, int64_t seq,
                                   struct fl_ice_manifest_file *out, struct fl_error *err) {
    uint8_t *data = NULL;
    size_t len = 0;
    fl_err_t rc = fl_ice_manifest_write_version(tbl->meta->format_version,
                                                fl_ice_meta_current_schema(tbl->meta), spec,
                                                content, entries, n, &data, &len, out, err);
    if (!rc) {
        char uuid[37], name[128];
        fl_uuid_v4_text(uuid);
        snprintf(name, sizeof(name), "metadata/%s-%s.avro", uuid, tag);
        char *mkey = fl_ice_table_child_key(tbl, name);
        rc = fl_store_put(tbl->store, mkey, data, len, err);
        out->manifest_path = fl_ice_table_uri(tbl, mkey);
        fl_free(mkey);
    }
    fl_free(data);
    if (rc) {
        fl_ice_manifest_file_fini(out);
        return rc;
    }
    out->added_snapshot_id = snapshot_id;
    out->sequence_number = seq;
    out->min_sequence_number = seq;
    for (int i = 0; i < n; i++)
        if (entries[i].status != FL_ICE_STATUS_DELETED &&
            entries[i].sequence_number != FL_ICE_NULL_LONG &&
            entries[i].sequence_number < out->min_sequence_number)
            out->min_sequence_number = entries[i].sequence_number;
    return FL_OK;
}

fl_err_t fl_ice_table_put_manifest_list(struct fl_ice_table *tbl, int64_t snapshot_id,
                                        int64_t parent_id, int64_t seq, int attempt,
                                        const struct fl_ice_manifest_file *list, int n, char **loc,
                                        struct fl_error *err) {
    *loc = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    fl_err_t rc = fl_ice_manifest_list_write_version(tbl->meta->format_version, snapshot_id,
                                                     parent_id, seq, list, n, &data, &len, err);
    if (rc) return rc;
    char uuid[37], name[160];
    fl_uuid_v4_text(uuid);
    snprintf(name, sizeof(name), "metadata/snap-%lld-%d-%s.avro", (long long)snapshot_id,
             attempt + 1, uuid);
    char *key = fl_ice_table_child_key(tbl, name);
    rc = fl_store_put(tbl->store, key, data, len, err);
    if (!rc) *loc = fl_ice_table_uri(tbl, key);
    fl_free(key);
    fl_free(data);
    return rc;
}
