/*
 * table.h - Iceberg tables: create, load, append with optimistic
 * commits, and scans that apply position and equality deletes.
 *
 * How a commit works: data files are written first (never visible until
 * referenced); then a manifest for the added files, a manifest list that
 * carries the parent snapshot's manifests over, and a new metadata file
 * are written under new unique names; the commit point is the catalog's
 * compare-and-swap (the commit op of iceberg/table_ops.h, which each
 * catalog implements) from the metadata location the writer started from
 * (or, for a table without a catalog, creating vN.metadata.json, which
 * fails if another writer made it first). On a conflict the writer
 * reloads the new base and retries, reusing its data files and manifest.
 * A failed commit leaves only unreferenced files, which readers never see.
 *
 * Every metadata version is written as NNNNN-<uuid>.metadata.json (the
 * catalog's pointer) and as vN.metadata.json with metadata/version-hint.text
 * holding N, so Hadoop-catalog readers (Spark's HadoopCatalog, icebird)
 * find the current version too.
 */
#ifndef FL_ICEBERG_TABLE_H
#define FL_ICEBERG_TABLE_H

#include "batch/batch.h"
#include "core/err.h"
#include "iceberg/datafile.h"
#include "iceberg/manifest.h"
#include "iceberg/metadata.h"
#include "iceberg/table_ops.h"
#include "store/store.h"

struct fl_ice_table {
    struct fl_store *store;      /* borrowed */
    struct fl_ice_catalog *icat; /* borrowed, NULL for path-only tables */
    char *ns, *name;             /* NULL for path-only tables */
    char *key_prefix;            /* store key of the table's folder, "" for the root */
    char *metadata_location;     /* full URI of the current metadata file */
    struct fl_ice_meta *meta;
    int version;       /* N of the current metadata file */
    int64_t conflicts; /* commits retried after another writer committed first */
};

/* Creates ns.name in the catalog icat (the namespace is created if
 * missing) under the store's root at <ns levels>/<name>; FL_ERR_INVALID
 * without a catalog. A struct fl_catalog gives its icat with
 * fl_catalog_ice. */
fl_err_t fl_ice_table_create(struct fl_store *st, struct fl_ice_catalog *icat, const char *ns,
                             const char *name, const struct fl_schema *schema,
                             const struct fl_ice_spec *spec, const struct fl_ice_kv *props,
                             int nprops, struct fl_ice_table **out, struct fl_error *err);
/* The same, with REST TableUpdate objects (JSON texts, see
 * fl_ice_meta_apply_update) applied to the new metadata before its first
 * version is written: a CreateTableRequest's write-order becomes the
 * table's default sort order in that first version. An update that
 * fails creates nothing. */
fl_err_t fl_ice_table_create_with(struct fl_store *st, struct fl_ice_catalog *icat, const char *ns,
                                  const char *name, const struct fl_schema *schema,
                                  const struct fl_ice_spec *spec, const struct fl_ice_kv *props,
                                  int nprops, const char *const *updates, int nupdates,
                                  struct fl_ice_table **out, struct fl_error *err);
/* Loads the table the catalog icat names. */
fl_err_t fl_ice_table_load(struct fl_store *st, struct fl_ice_catalog *icat, const char *ns,
                           const char *name, struct fl_ice_table **out, struct fl_error *err);
/* Loads a table from a store key: a table folder (its version-hint or
 * newest metadata file) or a metadata file. Paths recorded in the
 * metadata that start with its own location resolve under the folder, so
 * moved or copied tables read as they are. */
/* Opens the table folder or metadata file at uri (file://..., s3://...)
 * without a catalog: a store on the folder's parent (*own, the caller
 * frees it after the table) and fl_ice_table_load_path under it. */
fl_err_t fl_ice_table_open_uri(const char *uri, struct fl_store **own, struct fl_ice_table **out,
                               struct fl_error *err);
fl_err_t fl_ice_table_load_path(struct fl_store *st, const char *key, struct fl_ice_table **out,
                                struct fl_error *err);
/* Reloads the current version from the catalog or the folder. */
fl_err_t fl_ice_table_refresh(struct fl_ice_table *tbl, struct fl_error *err);
void fl_ice_table_free(struct fl_ice_table *tbl);

/* The last "/metadata/" in path (where the table folder ends), or NULL. */
char *fl_ice_metadata_dir(char *path);
/* N of a metadata file named "NNNNN-<uuid>.metadata.json" or
 * "vN.metadata.json" (also .gz.), -1 for any other name. */
int fl_ice_metadata_version(const char *location);
/* The URI of a store key, as paths are recorded in metadata (caller frees). */
char *fl_ice_table_uri(const struct fl_ice_table *tbl, const char *key);
/* The store key of a path recorded in the table's metadata: under the
 * table location or else under the warehouse, compared after one
 * spelling of each (s3a:// and s3n:// are s3://; file:/x,
 * file://localhost/x and /x are file:///x; a bare /x in a table whose
 * location names a file system, as hdfs://namenode:8020/..., is /x on
 * that file system, and hdfs://host/x in a table with a bare location is
 * /x). FL_ERR_INVALID for a path outside both. Scans match position
 * delete rows to data files by this key. */
fl_err_t fl_ice_table_key(const struct fl_ice_table *tbl, const char *path, char *out, size_t outsz,
                          struct fl_error *err);
/* Where a data or delete file the metadata names is read: under the
 * table location or the warehouse, *root gets "" and key the store key
 * (fl_ice_table_key). Anywhere else (write.data.path,
 * write.object-storage.enabled, files added from another folder) it must
 * lie on the warehouse's kind of store: a local path beside a local
 * warehouse (*root "file:///", key the path without its first "/"), or
 * s3://bucket/... beside an S3 one (*root "s3://bucket/"); the caller
 * opens *root with fl_store_open_sibling. FL_ERR_INVALID, naming the
 * path, for a "." or ".." segment, an unknown scheme, or another kind of
 * store; FL_ERR_LIMIT when root or key do not fit. docs/config.md has
 * the rule. */
fl_err_t fl_ice_table_locate(const struct fl_ice_table *tbl, const char *path, char *root,
                             size_t rootsz, char *key, size_t keysz, struct fl_error *err);

/* ---- writing ---- */

struct fl_ice_appender;

/* Stages rows for an append to tbl's current schema and default spec. */
fl_err_t fl_ice_appender_new(struct fl_ice_table *tbl, struct fl_ice_appender **out,
                             struct fl_error *err);
/* An appender whose files also store row lineage (format 3, a rewrite):
 * its batches are the current schema's columns followed by _row_id and
 * _last_updated_sequence_number (longs, FL_ICE_ROW_ID_FIELD and
 * FL_ICE_LAST_SEQ_FIELD). */
#define FL_ICE_ROW_ID_FIELD 2147483540
#define FL_ICE_LAST_SEQ_FIELD 2147483539
fl_err_t fl_ice_appender_new_lineage(struct fl_ice_table *tbl, struct fl_ice_appender **out,
                                     struct fl_error *err);
/* The schema of the batches ap takes. */
const struct fl_schema *fl_ice_appender_schema(const struct fl_ice_appender *ap);
/* Adds the rows of batch (whose schema must be the table's current one). */
fl_err_t fl_ice_appender_add(struct fl_ice_appender *ap, const struct fl_batch *batch,
                             struct fl_error *err);
/* Writes the staged rows as Parquet data files (one per partition) and
 * commits them as one snapshot with summary (extra summary keys, e.g.
 * the log offsets covered); *snapshot_id gets the new id (-1 when there
 * were no rows: no snapshot is made). */
fl_err_t fl_ice_appender_commit(struct fl_ice_appender *ap, const struct fl_ice_kv *summary,
                                int nsummary, int64_t *snapshot_id, struct fl_error *err);
/* The same, and in the same snapshot removes the live files `remove`
 * picks (see fl_ice_table_replace): compaction and overwrite. */
typedef bool (*fl_ice_file_pred_fn)(void *ctx, const struct fl_ice_data_file *df);
fl_err_t fl_ice_appender_commit_replace(struct fl_ice_appender *ap, fl_ice_file_pred_fn remove,
                                        void *remove_ctx, const char *operation,
                                        const struct fl_ice_kv *summary, int nsummary,
                                        int64_t *snapshot_id, struct fl_error *err);
/* The appender's rows and the already written files `extra` (e.g.
 * position delete files from fl_ice_table_write_position_deletes,
 * borrowed) as ONE snapshot: an upsert's inserts and deletes become
 * visible together. No snapshot (and *snapshot_id -1) when there is
 * nothing to commit.
 * The deletes were planned against snapshot `base` and name the data
 * files refs[0..nrefs) (duplicates allowed): each commit attempt checks,
 * on the fresh table, that every one is still live when a snapshot
 * other than an append was committed since base (a compaction replacing
 * a file the deletes name would otherwise make them name nothing, and
 * the old rows would come back in the compacted file). A removed one
 * fails the commit with FL_ERR_CONFLICT, nothing of it referenced (Java's
 * RowDelta.validateDataFilesExist); the caller plans again. */
fl_err_t fl_ice_appender_commit_with(struct fl_ice_appender *ap,
                                     const struct fl_ice_data_file *extra, int nextra, int64_t base,
                                     const char *const *refs, int nrefs,
                                     const struct fl_ice_kv *summary, int nsummary,
                                     int64_t *snapshot_id, struct fl_error *err);
/* fl_ice_appender_commit_with, plus check: called on every attempt
 * with tbl refreshed to the base the attempt builds on, after the
 * row-delta validation and before the attempt's snapshot is built. An
 * error from it refuses the commit (nothing of it stays referenced;
 * with FL_ERR_CONFLICT the appender's data files are deleted too). check
 * may rewrite the values of summary's entries (the caller owns them and
 * keeps them alive): the attempt reads summary after check, so a value
 * can be merged with the fresh base (a pipeline's per-partition offsets
 * merged with other workers'). Unlike the others it commits a snapshot
 * even without rows or extra files (the offsets move), and it refreshes
 * tbl after writing the data files, so that the first attempt already
 * checks against the catalog's current metadata. */
typedef fl_err_t (*fl_ice_commit_check_fn)(void *ctx, struct fl_ice_table *tbl,
                                           struct fl_error *err);
fl_err_t fl_ice_appender_commit_checked(struct fl_ice_appender *ap,
                                        const struct fl_ice_data_file *extra, int nextra,
                                        int64_t base, const char *const *refs, int nrefs,
                                        fl_ice_commit_check_fn check, void *check_ctx,
                                        const struct fl_ice_kv *summary, int nsummary,
                                        int64_t *snapshot_id, struct fl_error *err);
/* Writes the staged rows as data files (one per partition) WITHOUT
 * committing them: *out gets the files (the caller finis each and frees
 * the array; the files are orphans until a commit names them). The
 * appender then starts over. */
fl_err_t fl_ice_appender_write(struct fl_ice_appender *ap, struct fl_ice_data_file **out, int *nout,
                               struct fl_error *err);
void fl_ice_appender_free(struct fl_ice_appender *ap);

/* Applies change to a copy of the current metadata (attempt counts the
 * retries) and commits the result as the next version, reloading and
 * retrying on a conflict. change must be safe to run more than once. */
typedef fl_err_t (*fl_ice_meta_change_fn)(void *ctx, struct fl_ice_meta *next, int attempt,
                                          struct fl_error *err);
fl_err_t fl_ice_table_commit_meta(struct fl_ice_table *tbl, fl_ice_meta_change_fn change, void *ctx,
                                  struct fl_error *err);

/* One snapshot that removes the live files `remove` picks (their
 * manifests are rewritten: those entries DELETED, the rest EXISTING) and
 * adds files: operation "replace" for a compaction that keeps the same
 * rows, "overwrite" otherwise (NULL derives it from what is added). */
fl_err_t fl_ice_table_replace(struct fl_ice_table *tbl, fl_ice_file_pred_fn remove,
                              void *remove_ctx, const struct fl_ice_data_file *files, int n,
                              const char *operation, const struct fl_ice_kv *summary, int nsummary,
                              int64_t *snapshot_id, struct fl_error *err);

/* A rewrite (compaction): which live files it removes, the data sequence
 * number its added data files carry (FL_ICE_NULL_LONG: the commit's own,
 * inherited), and validate, called on each attempt with tbl refreshed to
 * the base the attempt builds on, before anything is written: an error
 * from it ends the commit (nothing of the attempt stays) and is returned. */
typedef fl_err_t (*fl_ice_rewrite_validate_fn)(void *ctx, struct fl_ice_table *tbl,
                                               struct fl_error *err);
struct fl_ice_rewrite {
    fl_ice_file_pred_fn remove;
    void *remove_ctx;
    int64_t data_sequence_number;
    fl_ice_rewrite_validate_fn validate;
    void *validate_ctx;
};
/* One "replace" snapshot that removes what rw->remove picks and adds
 * files (data files of the default spec), as fl_ice_table_replace, with
 * rw's sequence number and validation. */
fl_err_t fl_ice_table_rewrite(struct fl_ice_table *tbl, const struct fl_ice_rewrite *rw,
                              const struct fl_ice_data_file *files, int n,
                              const struct fl_ice_kv *summary, int nsummary, int64_t *snapshot_id,
                              struct fl_error *err);

/* Commits already written files (data and/or delete files, each with
 * its content type) as one snapshot: "append" when all are data files,
 * else "overwrite" (row-level deletes). */
fl_err_t fl_ice_table_commit_files(struct fl_ice_table *tbl, const struct fl_ice_data_file *files,
                                   int n, const struct fl_ice_kv *summary, int nsummary,
                                   int64_t *snapshot_id, struct fl_error *err);

/* ---- reading ---- */

/* Decides whether a manifest of the list is read (false skips it). */
typedef bool (*fl_ice_manifest_filter_fn)(void *ctx, const struct fl_ice_manifest_file *mf);

/* Calls fn for every manifest entry of snapshot_id (live and deleted
 * ones; entry->status tells), with inherited sequence numbers; keep (may
 * be NULL) chooses the manifests to read. */
fl_err_t fl_ice_table_files(struct fl_ice_table *tbl, int64_t snapshot_id,
                            fl_ice_manifest_filter_fn keep, fl_ice_entry_fn fn, void *ctx,
                            struct fl_error *err);

struct fl_ice_scan;

/* A scan of snapshot_id (FL_ICE_NO_SNAPSHOT = current) producing the
 * table's current schema (columns added later read as null, renamed
 * columns by id). */
fl_err_t fl_ice_scan_open(struct fl_ice_table *tbl, int64_t snapshot_id, struct fl_ice_scan **out,
                          struct fl_error *err);
/* The same, reading only what may match all preds (borrowed for the
 * scan's life): manifests, files, row groups and pages that cannot
 * match are skipped. Rows are NOT filtered: the caller still tests them. */
struct fl_ice_pred;
fl_err_t fl_ice_scan_open_where(struct fl_ice_table *tbl, int64_t snapshot_id,
                                const struct fl_ice_pred *preds, int npreds,
                                struct fl_ice_scan **out, struct fl_error *err);

/* Time travel: the same as fl_ice_scan_open_where, producing the
 * schema snapshot_id was written with (fl_ice_meta_snapshot_schema)
 * instead of the current one. */
fl_err_t fl_ice_scan_open_as_of(struct fl_ice_table *tbl, int64_t snapshot_id,
                                const struct fl_ice_pred *preds, int npreds,
                                struct fl_ice_scan **out, struct fl_error *err);
/* The schema of the batches scan produces (owned by the table's metadata). */
const struct fl_schema *fl_ice_scan_schema(const struct fl_ice_scan *scan);

/* The same, planning only the manifest entries keep accepts (data and
 * delete files alike): a scan of some files of a snapshot. */
fl_err_t fl_ice_scan_open_files(struct fl_ice_table *tbl, int64_t snapshot_id,
                                fl_ice_file_pred_fn keep, void *keep_ctx, struct fl_ice_scan **out,
                                struct fl_error *err);

/* The same, planning only the files (data and delete files alike)
 * added after sequence number after_seq (>= 0; format 2 and later):
 * the rows a reader that holds the snapshot of after_seq lacks. Delete
 * files added before it never apply to the newer data files, so none is
 * read. FL_ERR_CONFLICT when a manifest written after after_seq removes
 * data files (a compaction, a delete, an overwrite): the older rows changed,
 * and the caller reads the snapshot whole. Equality and position deletes
 * added after after_seq are applied to the new data files only: rows of
 * older files they delete are not reported (a reader that needs them
 * reads whole). */
fl_err_t fl_ice_scan_open_since(struct fl_ice_table *tbl, int64_t snapshot_id, int64_t after_seq,
                                struct fl_ice_scan **out, struct fl_error *err);

/* Reads only the columns with these field ids; the others of the output
 * batch stay null (their Parquet columns are never decoded). Before the
 * first fl_ice_scan_next. */
fl_err_t fl_ice_scan_project_ids(struct fl_ice_scan *scan, const int32_t *ids, int n,
                                 struct fl_error *err);

/* Row lineage (format 3, format/spec.md "Row Lineage"): after this
 * (before the first batch), fl_ice_scan_lineage gives each row's _row_id
 * (its data file's first_row_id + its position; -1 when the file has no
 * first_row_id) and _last_updated_sequence_number (the file's data
 * sequence number). A data file that stores those columns (one a
 * compaction rewrote: field ids 2147483540 and 2147483539) gives its
 * stored values; a null stored value inherits as above. */
fl_err_t fl_ice_scan_want_lineage(struct fl_ice_scan *scan, struct fl_error *err);
void fl_ice_scan_lineage(const struct fl_ice_scan *scan, size_t row, int64_t *row_id, int64_t *seq);

struct fl_ice_scan_stats {
    int64_t manifests_planned, manifests_skipped;
    int64_t files_planned, files_skipped, files_read;
    int64_t row_groups_read, row_groups_skipped, pages_skipped;
};
/* What the scan read and skipped so far. */
void fl_ice_scan_stats(const struct fl_ice_scan *scan, struct fl_ice_scan_stats *out);

/* Next batch (borrowed until the next call), FL_ERR_EOF at the end. */
fl_err_t fl_ice_scan_next(struct fl_ice_scan *scan, struct fl_batch **out, struct fl_error *err);
/* Where the rows of the last batch come from: returns the data file's
 * path and sets *pos to each row's position in it (valid until the next
 * call). Row-level deletes are written from these. */
const char *fl_ice_scan_position(const struct fl_ice_scan *scan, const int64_t **pos);
/* What fl_ice_scan_each calls per batch: the batch (borrowed), the data
 * file its rows come from and each row's position in it (as
 * fl_ice_scan_position gives them). Anything but FL_OK stops the scan and
 * is returned. */
typedef fl_err_t (*fl_ice_scan_batch_fn)(void *ctx, const struct fl_batch *b, const char *path,
                                         const int64_t *pos, struct fl_error *err);
/* Runs the open scan to its end, calling fn for each batch: the one loop
 * over fl_ice_scan_next and fl_ice_scan_position. FL_OK at the end, else
 * the scan's error or fn's. */
fl_err_t fl_ice_scan_each(struct fl_ice_scan *scan, fl_ice_scan_batch_fn fn, void *ctx,
                          struct fl_error *err);
/* Planned files: data files to read and delete files applied. */
void fl_ice_scan_counts(const struct fl_ice_scan *scan, int *data_files, int *delete_files);
void fl_ice_scan_free(struct fl_ice_scan *scan);

/* ---- row-level deletes ---- */

/* Decides whether row `row` of batch (in the current schema) is deleted. */
typedef bool (*fl_ice_row_pred_fn)(void *ctx, const struct fl_batch *batch, size_t row);

/* Deletes the rows of the current snapshot for which pred is true by
 * writing position delete files (one per affected data file, in its
 * partition) and committing them: the "delete"/"overwrite" the Iceberg
 * v2 merge-on-read way. On a format 3 table: one deletion vector per
 * affected data file instead, merged with its live one, which the same
 * commit removes (delete.c). *deleted gets the row count; no snapshot is
 * made (and *snapshot_id is -1) when nothing matched. */
fl_err_t fl_ice_table_delete_where(struct fl_ice_table *tbl, fl_ice_row_pred_fn pred, void *ctx,
                                   int64_t *deleted, int64_t *snapshot_id, struct fl_error *err);

/* Writes position delete files for the n rows (paths[i], pos[i]) of the
 * current snapshot's data files (one file per data file, in its
 * partition; format 3: deletion vectors, as fl_ice_table_delete_where,
 * whose commit removes the vectors they merged) WITHOUT committing them: *out gets the files for a
 * later commit (the caller finis each with fl_ice_data_file_fini and frees the array with fl_free).
 */
fl_err_t fl_ice_table_write_position_deletes(struct fl_ice_table *tbl, const char *const *paths,
                                             const int64_t *pos, size_t n,
                                             struct fl_ice_data_file **out, int *nout,
                                             struct fl_error *err);

#endif
