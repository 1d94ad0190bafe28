/*
 * up_maint.c - the maintenance part of the up plan (up_plan.h): which
 * tables floe up maintains and with what policy. `floe up` hands the
 * list to the runner (pipeline/maintain.c) and `floe config show`
 * prints it, so the two cannot disagree about a default.
 *
 * How it works: the tables are every pipeline's target (the built-in
 * ones too), every declared table and every CDC source's mirror, each
 * once. A table's policy is
 * merged key by key: its own block (under its tables[] entry, under a
 * pipeline that writes it or under a CDC source's tables[] entry; two blocks for one table are
 * refused with FILE:LINE), then the top-level `maintenance:` block, then floe's defaults
 * (maintain.h's FL_MAINT_DEFAULT_*). A value the YAML sets is marked so, because the runner lets a
 * table's own history.expire.* or write.target-file-size-bytes property win over a default, never
 * over the YAML.
 */
#include "cli/up_plan.h"
#include "core/mem.h"

#include <string.h>

/* The index of ns.name in plan->maint, or a new entry. */
static int table_slot(struct fl_up_plan *plan, const char *ns, const char *name) {
    for (int i = 0; i < plan->nmaint; i++)
        if (!strcmp(plan->maint[i].ns, ns) && !strcmp(plan->maint[i].name, name)) return i;
    plan->maint = fl_reallocarray(plan->maint, (size_t)plan->nmaint + 1, sizeof(*plan->maint));
    plan->maint[plan->nmaint] = (struct fl_maint_table){.ns = ns, .name = name};
    return plan->nmaint++;
}

/* The value of one key: the table's block, else the top level's, else def. */
#define PICK(field, def) (own->field >= 0 ? own->field : top->field >= 0 ? top->field : (def))

static void merge(struct fl_maint_policy *pol, const struct fl_config_maint *own,
                  const struct fl_config_maint *top) {
    pol->enabled = PICK(enabled, 1) != 0;
    pol->interval_ms = PICK(interval_ms, FL_MAINT_DEFAULT_INTERVAL_MS);
    pol->max_snapshot_age_ms = PICK(max_snapshot_age_ms, FL_MAINT_DEFAULT_MAX_SNAPSHOT_AGE_MS);
    pol->min_snapshots = PICK(min_snapshots, FL_MAINT_DEFAULT_MIN_SNAPSHOTS);
    pol->max_ref_age_ms = PICK(max_ref_age_ms, FL_MAINT_DEFAULT_MAX_REF_AGE_MS);
    pol->compact = PICK(compact_enabled, 1) != 0;
    pol->target_file_size = PICK(target_file_size, FL_MAINT_DEFAULT_TARGET_FILE_SIZE);
    pol->min_input_files = PICK(min_input_files, FL_MAINT_DEFAULT_MIN_INPUT_FILES);
    pol->compact_every_ms = PICK(compact_every_ms, FL_MAINT_DEFAULT_COMPACT_EVERY_MS);
    pol->clean = PICK(clean_enabled, 1) != 0;
    pol->clean_older_than_ms = PICK(clean_older_than_ms, FL_MAINT_DEFAULT_CLEAN_OLDER_THAN_MS);
    pol->clean_every_ms = PICK(clean_every_ms, FL_MAINT_DEFAULT_CLEAN_EVERY_MS);
    pol->set = 0;
    if (PICK(max_snapshot_age_ms, -1) >= 0) pol->set |= FL_MAINT_SET_MAX_SNAPSHOT_AGE;
    if (PICK(min_snapshots, -1) >= 0) pol->set |= FL_MAINT_SET_MIN_SNAPSHOTS;
    if (PICK(max_ref_age_ms, -1) >= 0) pol->set |= FL_MAINT_SET_MAX_REF_AGE;
    if (PICK(target_file_size, -1) >= 0) pol->set |= FL_MAINT_SET_TARGET_FILE_SIZE;
}

/* Records block as table i's own; a second block for one table is refused. */
static fl_err_t own_block(const struct fl_config_maint **own, int i,
                          const struct fl_config_maint *b, struct fl_error *err) {
    if (!b->given) return FL_OK;
    if (own[i])
        return fl_errf(err, FL_ERR_INVALID,
                       "%s: maintenance: this table already has a maintenance block at %s",
                       b->where, own[i]->where);
    own[i] = b;
    return FL_OK;
}

fl_err_t fl_up_plan_maint(struct fl_up_plan *plan, struct fl_error *err) {
    const struct fl_config *cfg = &plan->cfg;
    for (int i = 0; i < plan->npipes; i++)
        table_slot(plan, plan->pipes[i].ns, plan->pipes[i].table);
    for (int i = 0; i < cfg->ntables; i++) table_slot(plan, cfg->tables[i].ns, cfg->tables[i].name);
    for (int i = 0; i < cfg->nsources; i++) /* the CDC sources' mirror tables */
        for (int k = 0; k < cfg->sources[i].ntables; k++)
            table_slot(plan, cfg->sources[i].mirror_ns[k], cfg->sources[i].mirror_name[k]);
    const struct fl_config_maint **own = fl_calloc((size_t)plan->nmaint + 1, sizeof(*own));
    fl_err_t rc = FL_OK;
    for (int i = 0; !rc && !plan->builtin && i < plan->npipes; i++)
        rc = own_block(own, table_slot(plan, plan->pipes[i].ns, plan->pipes[i].table),
                       &cfg->pipelines[i].maint, err);
    for (int i = 0; !rc && i < cfg->ntables; i++)
        rc = own_block(own, table_slot(plan, cfg->tables[i].ns, cfg->tables[i].name),
                       &cfg->tables[i].maint, err);
    for (int i = 0; !rc && i < cfg->nsources; i++) /* a mirror's own block */
        for (int k = 0; !rc && k < cfg->sources[i].ntables; k++)
            rc = own_block(
                own, table_slot(plan, cfg->sources[i].mirror_ns[k], cfg->sources[i].mirror_name[k]),
                &cfg->sources[i].maint[k], err);
    static const struct fl_config_maint none = FL_CONFIG_MAINT_UNSET;
    for (int i = 0; !rc && i < plan->nmaint; i++)
        merge(&plan->maint[i].pol, own[i] ? own[i] : &none, &cfg->maint);
    fl_free(own);
    return rc;
}
