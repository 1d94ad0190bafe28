/*
 * nested.c - the nested-column plan (Parquet groups -> Iceberg struct,
 * list, map) and the level assembly into JSON text; see nested.h.
 *
 * How it works: the plan is a tree of nodes built once per file from the
 * schema elements in preorder. Each node knows the definition level at
 * which it is present and, for lists and maps, the level at which it has
 * entries and their repetition level. Assembly walks the tree for each
 * row: a node is null (or an empty list) when the first leaf under it
 * says so, and then every leaf under it holds exactly one entry for that;
 * a list takes entries while its first leaf's next repetition level is
 * the list's own.
 */
#include "format/parquet/nested.h"

#include "batch/batch_json.h"
#include "core/mem.h"
#include "format/parquet/variant.h"

#include <stdio.h>
#include <string.h>

#define NESTED_MAX_DEPTH 64

/* ---- the plan ---- */

struct bctx {
    const struct fl_pq_file_meta *m;
    struct fl_pq_nested *n;
    int leaf0, nfile_leaves, next_leaf;
    int cap_nodes, cap_kids;
    const struct fl_field **leaf_field; /* per plan leaf, into the field tree */
    bool use_ids;
    int32_t *next_id;
    fl_pq_leaf_type_fn type_fn;
    char *why;
    size_t whysz;
    int depth;
};

static bool is_group(const struct fl_pq_schema_elem *el) {
    return el->has_num_children && (el->num_children > 0 || !el->has_type);
}

/* Index of the element after e's subtree. */
static int subtree_end(const struct fl_pq_file_meta *m, int e, int depth) {
    int i = e + 1;
    const struct fl_pq_schema_elem *el = &m->schema[e];
    if (!is_group(el) || depth > NESTED_MAX_DEPTH) return i;
    for (int k = 0; k < el->num_children && i < m->nschema; k++) i = subtree_end(m, i, depth + 1);
    return i;
}

static int add_node(struct bctx *b, int kind) {
    struct fl_pq_nested *n = b->n;
    if (n->nnodes == b->cap_nodes) {
        b->cap_nodes = b->cap_nodes ? 2 * b->cap_nodes : 8;
        n->nodes = fl_reallocarray(n->nodes, (size_t)b->cap_nodes, sizeof(*n->nodes));
    }
    struct fl_pq_nnode *nd = &n->nodes[n->nnodes];
    memset(nd, 0, sizeof(*nd));
    nd->kind = kind;
    return n->nnodes++;
}

static void set_kids(struct bctx *b, int node, const int *kids, int nk) {
    struct fl_pq_nested *n = b->n;
    if (n->nkids + nk > b->cap_kids) {
        while (n->nkids + nk > b->cap_kids) b->cap_kids = b->cap_kids ? 2 * b->cap_kids : 8;
        n->kids = fl_reallocarray(n->kids, (size_t)b->cap_kids, sizeof(int));
    }
    memcpy(n->kids + n->nkids, kids, (size_t)nk * sizeof(int));
    struct fl_pq_nnode *nd = &n->nodes[node];
    nd->kid0 = n->nkids;
    nd->nkids = nk;
    nd->first = n->nodes[kids[0]].first;
    nd->last = n->nodes[kids[nk - 1]].last;
    n->nkids += nk;
}

static int32_t elem_id(struct bctx *b, const struct fl_pq_schema_elem *el) {
    if (b->use_ids && el->has_field_id) return el->field_id;
    return (*b->next_id)++;
}

/* "<name>: <what>" into why. */
static fl_err_t unsup(struct bctx *b, const char *what, const char *name) {
    snprintf(b->why, b->whysz, "\"%s\": %s", name, what);
    return FL_ERR_UNSUPPORTED;
}

static fl_err_t corrupt(struct bctx *b, const char *what, const char *name) {
    snprintf(b->why, b->whysz, "\"%s\": %s", name, what);
    return FL_ERR_CORRUPT;
}

static fl_err_t build(struct bctx *b, int e, int16_t pd, int16_t pr, bool as_elem,
                      struct fl_field *f, int *out);
static fl_err_t build_node(struct bctx *b, int e, int16_t pd, int16_t pr, bool as_elem,
                           struct fl_field *f, int *out);

/* f becomes a list of one child built from element e. */
static fl_err_t build_list(struct bctx *b, int node, int e, int16_t d, int16_t r, bool as_elem,
                           int32_t id, struct fl_field *f) {
    f->type = FL_TYPE_LIST;
    f->children = fl_calloc(1, sizeof(*f->children));
    f->nchildren = 1;
    struct fl_field *c = &f->children[0];
    c->name = fl_strdup("element");
    c->id = id;
    int kid;
    fl_err_t rc = build(b, e, d, r, as_elem, c, &kid);
    if (rc) return rc;
    c->required = !b->n->nodes[kid].nullable;
    set_kids(b, node, &kid, 1);
    return FL_OK;
}

static fl_err_t build_map(struct bctx *b, int node, int e, int16_t d, int16_t r,
                          struct fl_field *f) {
    const struct fl_pq_file_meta *m = b->m;
    const struct fl_pq_schema_elem *el = &m->schema[e];
    if (el->num_children != 1 || e + 1 >= m->nschema)
        return corrupt(b, "MAP group must have one child", el->name);
    const struct fl_pq_schema_elem *kv = &m->schema[e + 1];
    if (!is_group(kv) || !kv->has_repetition || kv->repetition != FL_PQ_REPEATED)
        return corrupt(b, "MAP group must hold a repeated group", el->name);
    if (kv->num_children != 2)
        return unsup(b, "a MAP without exactly a key and a value is not supported", el->name);
    int ke = e + 2, ve = subtree_end(m, ke, 0);
    if (ve >= m->nschema) return corrupt(b, "MAP group is truncated", el->name);
    f->type = FL_TYPE_MAP;
    f->children = fl_calloc(2, sizeof(*f->children));
    f->nchildren = 2;
    f->children[0].name = fl_strdup("key");
    f->children[0].id = elem_id(b, &m->schema[ke]);
    f->children[1].name = fl_strdup("value");
    f->children[1].id = elem_id(b, &m->schema[ve]);
    int kids[2];
    fl_err_t rc = build(b, ke, d, r, false, &f->children[0], &kids[0]);
    if (!rc) rc = build(b, ve, d, r, false, &f->children[1], &kids[1]);
    if (rc) return rc;
    f->children[0].required = true;
    f->children[1].required = !b->n->nodes[kids[1]].nullable;
    b->n->nodes[node].str_keys =
        b->n->nodes[kids[0]].kind == FL_PQ_NK_PRIM && f->children[0].type == FL_TYPE_STRING;
    set_kids(b, node, kids, 2);
    return FL_OK;
}

static fl_err_t build_struct(struct bctx *b, int node, int e, int16_t d, int16_t r,
                             struct fl_field *f) {
    const struct fl_pq_file_meta *m = b->m;
    const struct fl_pq_schema_elem *el = &m->schema[e];
    int nc = el->num_children;
    if (nc <= 0) return unsup(b, "empty groups are not supported", el->name);
    f->type = FL_TYPE_STRUCT;
    f->children = fl_calloc((size_t)nc, sizeof(*f->children));
    f->nchildren = nc;
    int *kids = fl_calloc((size_t)nc, sizeof(int));
    fl_err_t rc = FL_OK;
    int ce = e + 1;
    for (int k = 0; k < nc && !rc; k++) {
        if (ce >= m->nschema) {
            rc = corrupt(b, "group is truncated", el->name);
            break;
        }
        struct fl_field *c = &f->children[k];
        c->name = fl_strdup(m->schema[ce].name);
        c->id = elem_id(b, &m->schema[ce]);
        rc = build(b, ce, d, r, false, c, &kids[k]);
        if (!rc) c->required = !b->n->nodes[kids[k]].nullable;
        ce = subtree_end(m, ce, 0);
    }
    if (!rc) set_kids(b, node, kids, nc);
    fl_free(kids);
    return rc;
}

/* Builds element e whose parent is present at def level pd, repetition
 * pr. as_elem: e is a repeated node standing for its own element. */
static fl_err_t build(struct bctx *b, int e, int16_t pd, int16_t pr, bool as_elem,
                      struct fl_field *f, int *out) {
    const struct fl_pq_file_meta *m = b->m;
    const struct fl_pq_schema_elem *el = &m->schema[e];
    int first_node = b->n->nnodes;
    fl_err_t rc0 = build_node(b, e, pd, pr, as_elem, f, out);
    if (first_node < b->n->nnodes) { /* the node made for f: its id */
        struct fl_pq_nnode *nd = &b->n->nodes[first_node];
        nd->id = f->id;
        nd->file_id = b->use_ids && el->has_field_id && el->field_id == f->id;
    }
    return rc0;
}

static fl_err_t build_node(struct bctx *b, int e, int16_t pd, int16_t pr, bool as_elem,
                           struct fl_field *f, int *out) {
    const struct fl_pq_file_meta *m = b->m;
    const struct fl_pq_schema_elem *el = &m->schema[e];
    if (b->depth >= NESTED_MAX_DEPTH) return unsup(b, "nested too deeply", el->name);
    int rt = el->has_repetition ? el->repetition : FL_PQ_REQUIRED;
    if (as_elem) rt = FL_PQ_REQUIRED;
    fl_err_t rc;
    b->depth++;
    if (rt == FL_PQ_REPEATED) {
        /* a repeated field outside a LIST: a required list of required
         * elements */
        int node = add_node(b, FL_PQ_NK_LIST);
        b->n->nodes[node].name = el->name;
        b->n->nodes[node].def = pd;
        b->n->nodes[node].elem_def = (int16_t)(pd + 1);
        b->n->nodes[node].rep = (int16_t)(pr + 1);
        rc = build_list(b, node, e, (int16_t)(pd + 1), (int16_t)(pr + 1), true, (*b->next_id)++, f);
        *out = node;
        b->depth--;
        return rc;
    }
    bool opt = rt == FL_PQ_OPTIONAL;
    int16_t d = (int16_t)(pd + opt);
    if (!is_group(el)) {
        int node = add_node(b, FL_PQ_NK_PRIM);
        struct fl_pq_nnode *nd = &b->n->nodes[node];
        nd->nullable = opt;
        nd->def = d;
        nd->name = el->name;
        *out = node;
        b->depth--;
        int l = b->next_leaf;
        if (l >= b->nfile_leaves || m->leaves[b->leaf0 + l].elem != e)
            return corrupt(b, "leaf out of order", el->name);
        int conv = 0;
        rc = b->type_fn(el, f, &conv, b->why, b->whysz);
        if (rc) return rc;
        nd->leaf = nd->first = nd->last = l;
        b->n->conv[l] = conv;
        b->leaf_field[l] = f;
        b->next_leaf++;
        return FL_OK;
    }
    const struct fl_pq_logical *lt = &el->logical;
    int ct = el->has_converted ? el->converted : -1;
    bool is_list = lt->kind == FL_PQ_LT_LIST || (lt->kind == FL_PQ_LT_NONE && ct == FL_PQ_CT_LIST);
    bool is_map =
        lt->kind == FL_PQ_LT_MAP ||
        (lt->kind == FL_PQ_LT_NONE && (ct == FL_PQ_CT_MAP || ct == FL_PQ_CT_MAP_KEY_VALUE));
    int node = add_node(b, is_list ? FL_PQ_NK_LIST : is_map ? FL_PQ_NK_MAP : FL_PQ_NK_STRUCT);
    struct fl_pq_nnode *nd = &b->n->nodes[node];
    nd->nullable = opt;
    nd->def = d;
    nd->name = el->name;
    *out = node;
    if (is_list) {
        nd->elem_def = (int16_t)(d + 1);
        nd->rep = (int16_t)(pr + 1);
        const struct fl_pq_schema_elem *re = e + 1 < m->nschema ? &m->schema[e + 1] : NULL;
        if (el->num_children != 1 || !re)
            rc = corrupt(b, "LIST group must have one child", el->name);
        else if (!re->has_repetition || re->repetition != FL_PQ_REPEATED)
            rc = corrupt(b, "LIST group must hold a repeated field", el->name);
        else {
            /* LogicalTypes.md backward compatibility: when is the repeated
             * field the element itself (2-level) rather than its child? */
            char tuple[512];
            snprintf(tuple, sizeof(tuple), "%s_tuple", el->name);
            bool two = !is_group(re) || re->num_children != 1 || strcmp(re->name, "array") == 0 ||
                       strcmp(re->name, tuple) == 0;
            int ee = two ? e + 1 : e + 2;
            if (ee >= m->nschema)
                rc = corrupt(b, "LIST group is truncated", el->name);
            else
                rc = build_list(b, node, ee, (int16_t)(d + 1), (int16_t)(pr + 1), two,
                                elem_id(b, &m->schema[ee]), f);
        }
    } else if (is_map) {
        nd->elem_def = (int16_t)(d + 1);
        nd->rep = (int16_t)(pr + 1);
        rc = build_map(b, node, e, (int16_t)(d + 1), (int16_t)(pr + 1), f);
    } else {
        rc = build_struct(b, node, e, d, pr, f);
    }
    b->depth--;
    return rc;
}

void fl_pq_nested_free(struct fl_pq_nested *n) {
    if (!n) return;
    fl_free(n->nodes);
    fl_free(n->kids);
    fl_free(n->leaves);
    fl_free(n->conv);
    fl_schema_free(n->leaf_schema);
    fl_free(n);
}

fl_err_t fl_pq_nested_build(const struct fl_pq_file_meta *m, int top_elem, int leaf0, int nleaves,
                            bool use_ids, int32_t *next_id, fl_pq_leaf_type_fn type_fn,
                            struct fl_pq_nested **out, struct fl_field *field, char *why,
                            size_t whysz) {
    struct fl_pq_nested *n = fl_calloc(1, sizeof(*n));
    struct bctx b = {.m = m,
                     .n = n,
                     .leaf0 = leaf0,
                     .nfile_leaves = nleaves,
                     .use_ids = use_ids,
                     .next_id = next_id,
                     .type_fn = type_fn,
                     .why = why,
                     .whysz = whysz};
    n->nleaves = nleaves;
    n->leaves = fl_calloc((size_t)nleaves + 1, sizeof(int));
    n->conv = fl_calloc((size_t)nleaves + 1, sizeof(int));
    b.leaf_field = fl_calloc((size_t)nleaves + 1, sizeof(*b.leaf_field));
    for (int l = 0; l < nleaves; l++) n->leaves[l] = leaf0 + l;
    int root;
    fl_err_t rc = build(&b, top_elem, 0, 0, false, field, &root);
    if (!rc && b.next_leaf != nleaves)
        rc = corrupt(&b, "group does not hold its leaves", m->schema[top_elem].name);
    if (!rc) {
        n->leaf_schema = fl_calloc(1, sizeof(*n->leaf_schema));
        n->leaf_schema->fields = fl_calloc((size_t)nleaves + 1, sizeof(struct fl_field));
        n->leaf_schema->nfields = nleaves;
        for (int l = 0; l < nleaves; l++) {
            struct fl_field *lf = &n->leaf_schema->fields[l];
            *lf = *b.leaf_field[l];
            lf->name = fl_strdup(lf->name ? lf->name : "leaf");
            lf->doc = NULL;
            lf->children = NULL;
            lf->nchildren = 0;
            lf->required = false;
        }
    }
    fl_free(b.leaf_field);
    if (rc) {
        fl_pq_nested_free(n);
        return rc;
    }
    *out = n;
    return FL_OK;
}

/* ---- assembly ---- */

static fl_err_t peek(struct fl_pq_assembler *a, int l, struct fl_error *err) {
    struct fl_pq_nleaf *L = &a->leaves[l];
    while (L->i >= L->n && !L->eof) {
        fl_err_t rc = a->refill(a->ctx, l, err);
        if (rc) return rc;
    }
    return FL_OK;
}

static inline int def_at(const struct fl_pq_nleaf *L) { return L->defs ? L->defs[L->i] : 0; }
static inline int rep_at(const struct fl_pq_nleaf *L) { return L->reps ? L->reps[L->i] : 0; }

static inline void consume(struct fl_pq_nleaf *L) {
    if (def_at(L) == L->max_def) L->vi++;
    L->i++;
}

static fl_err_t bad(struct fl_pq_assembler *a, struct fl_error *err, const char *why) {
    return fl_errf(err, FL_ERR_CORRUPT, "column \"%s\": %s", a->name, why);
}

/* The next entry of leaf l, which must exist. */
static fl_err_t need(struct fl_pq_assembler *a, int l, struct fl_error *err) {
    fl_err_t rc = peek(a, l, err);
    if (rc) return rc;
    if (a->leaves[l].i >= a->leaves[l].n) return bad(a, err, "a leaf ends before its rows");
    return FL_OK;
}

/* One entry of every leaf under nd: a null or an empty list above them. */
static fl_err_t consume_all(struct fl_pq_assembler *a, const struct fl_pq_nnode *nd, int d,
                            struct fl_error *err) {
    for (int l = nd->first; l <= nd->last; l++) {
        fl_err_t rc = need(a, l, err);
        if (rc) return rc;
        if (l != nd->first && def_at(&a->leaves[l]) != d)
            return bad(a, err, "leaves disagree on a null or empty value");
        consume(&a->leaves[l]);
    }
    return FL_OK;
}

static fl_err_t emit(struct fl_pq_assembler *a, int k, const struct fl_field *t, struct fl_buf *out,
                     struct fl_error *err);

/* Child i of target t when t is of the given type (else no target). */
static const struct fl_field *tchild(const struct fl_field *t, fl_type_id_t type, int i) {
    return t && t->type == type && t->nchildren > i ? &t->children[i] : NULL;
}

/* Whether file node nd is the target's member tc: by id, or by name when
 * the file has no ids. */
static bool member_is(const struct fl_pq_nnode *nd, const struct fl_field *tc) {
    return nd->file_id ? nd->id == tc->id : nd->name && strcmp(nd->name, tc->name) == 0;
}

void fl_pq_assembler_fini(struct fl_pq_assembler *a) {
    fl_buf_fini(&a->discard);
    fl_buf_fini(&a->vscratch);
    for (int k = 0; k < a->ndefaults; k++) fl_free(a->defaults[k].json);
    fl_free(a->defaults);
    a->defaults = NULL;
    a->ndefaults = 0;
}

/* Member tc, which the file lacks: its initial-default (as the table's
 * column of its type shows it in JSON), else null. */
static fl_err_t member_default(struct fl_pq_assembler *a, const struct fl_field *tc,
                               struct fl_buf *out, struct fl_error *err) {
    if (!tc->initial_default || !fl_type_is_primitive(tc->type) || tc->opaque_type)
        return fl_buf_append_str(out, "null");
    int k = 0;
    while (k < a->ndefaults && a->defaults[k].field != tc) k++;
    if (k == a->ndefaults) {
        struct fl_schema one = {.fields = (struct fl_field *)tc, .nfields = 1};
        struct fl_batch *b = NULL;
        struct fl_buf text;
        fl_buf_init(&text, FL_BUF_NOMAX);
        fl_err_t rc = fl_batch_new(&one, 1, &b, err);
        if (!rc) rc = fl_col_append_default(&b->cols[0], tc->initial_default, err);
        if (!rc && !fl_col_is_null(&b->cols[0], 0))
            rc = fl_col_value_to_json(&b->cols[0], 0, &text);
        fl_batch_free(b);
        if (rc) {
            fl_buf_fini(&text);
            fl_err_prefix(err, "column \"%s\": initial-default of member %s", a->name, tc->name);
            return rc;
        }
        a->defaults = fl_reallocarray(a->defaults, (size_t)a->ndefaults + 1, sizeof(*a->defaults));
        a->defaults[k].field = tc;
        a->defaults[k].json = NULL;
        if (text.len) {
            fl_buf_append_u8(&text, 0);
            a->defaults[k].json = (char *)text.data; /* taken from text */
        } else {
            fl_buf_fini(&text);
        }
        a->ndefaults++;
    }
    return fl_buf_append_str(out, a->defaults[k].json ? a->defaults[k].json : "null");
}

/* A struct's members: the file's, or the target's in its order and names
 * (a member the file lacks is its initial-default or null; one the
 * target lacks is consumed into the discard buffer). */
static fl_err_t emit_struct(struct fl_pq_assembler *a, const struct fl_pq_nnode *nd,
                            const struct fl_field *t, struct fl_buf *out, struct fl_error *err) {
    const int *kids = a->plan->kids + nd->kid0;
    int n = t ? t->nchildren : nd->nkids;
    fl_err_t rc = fl_buf_append_u8(out, '{');
    for (int j = 0; j < n && !rc; j++) {
        int kid = -1;
        const struct fl_field *tc = t ? &t->children[j] : NULL;
        if (!t)
            kid = kids[j];
        else
            for (int m = 0; m < nd->nkids && kid < 0; m++)
                if (member_is(&a->plan->nodes[kids[m]], tc)) kid = kids[m];
        const char *name = tc ? tc->name : a->plan->nodes[kid].name;
        if (j) fl_buf_append_u8(out, ',');
        rc = fl_json_put_string(out, (const uint8_t *)(name ? name : ""), name ? strlen(name) : 0);
        if (!rc) rc = fl_buf_append_u8(out, ':');
        if (!rc) rc = kid < 0 ? member_default(a, tc, out, err) : emit(a, kid, tc, out, err);
    }
    if (!rc) rc = fl_buf_append_u8(out, '}');
    for (int m = 0; t && m < nd->nkids && !rc; m++) {
        bool wanted = false;
        for (int j = 0; j < t->nchildren && !wanted; j++)
            wanted = member_is(&a->plan->nodes[kids[m]], &t->children[j]);
        if (!wanted) rc = emit(a, kids[m], NULL, &a->discard, err);
    }
    return rc;
}

/* The entries of a list or map whose first entry is next. */
static fl_err_t emit_entries(struct fl_pq_assembler *a, const struct fl_pq_nnode *nd,
                             const struct fl_field *t, struct fl_buf *out, struct fl_error *err) {
    const int *kids = a->plan->kids + nd->kid0;
    bool obj = nd->kind == FL_PQ_NK_MAP && nd->str_keys;
    struct fl_pq_nleaf *L0 = &a->leaves[nd->first];
    fl_err_t rc = fl_buf_append_u8(out, obj ? '{' : '[');
    for (bool first = true; !rc; first = false) {
        if (!first) fl_buf_append_u8(out, ',');
        if (nd->kind == FL_PQ_NK_LIST) {
            rc = emit(a, kids[0], tchild(t, FL_TYPE_LIST, 0), out, err);
        } else {
            const struct fl_pq_nnode *key = &a->plan->nodes[kids[0]];
            if ((rc = need(a, key->first, err))) break;
            if (key->kind == FL_PQ_NK_PRIM && def_at(&a->leaves[key->leaf]) < key->def)
                return bad(a, err, "a map key is null");
            if (!obj) rc = fl_buf_append_str(out, "{\"key\":");
            if (!rc) rc = emit(a, kids[0], tchild(t, FL_TYPE_MAP, 0), out, err);
            if (!rc) rc = fl_buf_append_str(out, obj ? ":" : ",\"value\":");
            if (!rc) rc = emit(a, kids[1], tchild(t, FL_TYPE_MAP, 1), out, err);
            if (!rc && !obj) rc = fl_buf_append_u8(out, '}');
        }
        if (rc) break;
        if ((rc = peek(a, nd->first, err))) break;
        if (L0->i >= L0->n || rep_at(L0) < nd->rep) break;
        if (rep_at(L0) > nd->rep) return bad(a, err, "repetition level deeper than the schema");
    }
    if (!rc) rc = fl_buf_append_u8(out, obj ? '}' : ']');
    return rc;
}

/* A shredded variant's typed_value (a primitive leaf, present) as the
 * Variant primitive it stands for (VariantShredding.md), encoded into
 * a->vscratch and rendered as an unshredded one is. */
static fl_err_t emit_typed(struct fl_pq_assembler *a, const struct fl_pq_nleaf *L,
                           const struct fl_field *f, struct fl_buf *out, struct fl_error *err) {
    static const uint8_t no_meta[3] = {0x01, 0, 0}; /* version 1, empty dictionary */
    const struct fl_col *c = L->vals;
    const uint8_t *v = c->width ? c->values + L->vi * c->width : NULL;
    struct fl_buf *b = &a->vscratch;
    int t = -1;
    fl_buf_reset(b);
    switch (f->nanos ? -1 : (int)f->type) {
    case FL_TYPE_BOOLEAN:
        t = v[0] ? 1 : 2;
        break;
    case FL_TYPE_INT:
        t = 5;
        break;
    case FL_TYPE_LONG:
        t = 6;
        break;
    case FL_TYPE_FLOAT:
        t = 14;
        break;
    case FL_TYPE_DOUBLE:
        t = 7;
        break;
    case FL_TYPE_DATE:
        t = 11;
        break;
    case FL_TYPE_TIME:
        t = 17;
        break;
    case FL_TYPE_TIMESTAMP:
        t = 13;
        break;
    case FL_TYPE_TIMESTAMPTZ:
        t = 12;
        break;
    case FL_TYPE_DECIMAL:
        t = 10;
        break;
    case FL_TYPE_UUID:
        t = 20;
        break;
    case FL_TYPE_STRING:
        t = 16;
        break;
    case FL_TYPE_BINARY:
        t = 15;
        break;
    default:
        break;
    }
    if (t < 0 || f->opaque_type)
        return fl_errf(err, FL_ERR_UNSUPPORTED,
                       "column \"%s\": a variant shredded as %s is not supported; select the "
                       "other columns",
                       a->name, f->nanos ? "nanosecond timestamps" : "this type");
    fl_err_t rc = fl_buf_append_u8(b, (uint8_t)(t << 2));
    if (!rc && t == 10) rc = fl_buf_append_u8(b, (uint8_t)f->scale);
    if (!rc && (t == 15 || t == 16)) {
        size_t n;
        const uint8_t *p = fl_col_bytes(c, L->vi, &n);
        if (n > UINT32_MAX) return bad(a, err, "a shredded variant string too long");
        rc = fl_buf_append_le32(b, (uint32_t)n);
        if (!rc && n) rc = fl_buf_append(b, p, n);
    } else if (!rc && t > 2) {
        rc = fl_buf_append(b, v, c->width); /* little-endian as batches hold them; uuid in order */
    }
    if (!rc) rc = fl_variant_to_json(no_meta, sizeof(no_meta), b->data, b->len, out, err);
    return rc;
}

/* A variant (its target is the table's variant field): the group's
 * metadata and value leaves decoded into JSON text (variant.h); when it
 * is shredded (VariantShredding.md) into a primitive typed_value, that
 * value where it is present. A variant shredded into an object or array
 * (a typed_value group) is refused, never read as its residual value. */
static fl_err_t emit_variant(struct fl_pq_assembler *a, const struct fl_pq_nnode *nd,
                             struct fl_buf *out, struct fl_error *err) {
    const int *kids = a->plan->kids + nd->kid0;
    const struct fl_pq_nnode *part[3] = {NULL, NULL, NULL}; /* metadata, value, typed_value */
    if (nd->kind != FL_PQ_NK_STRUCT) return bad(a, err, "a variant that is not a group");
    for (int m = 0; m < nd->nkids; m++) {
        const struct fl_pq_nnode *kn = &a->plan->nodes[kids[m]];
        const char *name = kn->name ? kn->name : "";
        int which = strcmp(name, "metadata") == 0      ? 0
                    : strcmp(name, "value") == 0       ? 1
                    : strcmp(name, "typed_value") == 0 ? 2
                                                       : -1;
        if (which == 2 && kn->kind != FL_PQ_NK_PRIM)
            return fl_errf(err, FL_ERR_UNSUPPORTED,
                           "column \"%s\": a variant shredded into an object or array "
                           "(a typed_value group) is not supported; select the other columns",
                           a->name);
        if (which < 0 || part[which] || kn->kind != FL_PQ_NK_PRIM ||
            (which < 2 && a->plan->leaf_schema->fields[kn->leaf].type != FL_TYPE_BINARY))
            return bad(a, err, "a variant group must hold binary metadata and value");
        part[which] = kn;
    }
    if (!part[0] || (!part[1] && !part[2]))
        return bad(a, err, "a variant group must hold metadata and value");
    const uint8_t *p[2] = {NULL, NULL};
    size_t len[2] = {0, 0};
    bool typed = false;
    fl_err_t rc = FL_OK;
    for (int w = 0; w < 3 && !rc; w++) {
        if (!part[w]) continue;
        if ((rc = need(a, part[w]->leaf, err))) return rc;
        struct fl_pq_nleaf *L = &a->leaves[part[w]->leaf];
        bool present = def_at(L) == L->max_def;
        if (present && (!L->vals || L->vi >= L->vals->len))
            return bad(a, err, "page ran out of values");
        if (w == 0 && !present) return bad(a, err, "a variant without its metadata");
        if (w < 2 && present) p[w] = fl_col_bytes(L->vals, L->vi, &len[w]);
        if (w == 2 && present) {
            if (p[1]) return bad(a, err, "a shredded variant with both value and typed_value");
            typed = true;
            rc = emit_typed(a, L, &a->plan->leaf_schema->fields[part[w]->leaf], out, err);
        }
        consume(L);
    }
    if (!rc && !typed)
        rc = p[1] ? fl_variant_to_json(p[0], len[0], p[1], len[1], out, err)
                  : fl_buf_append_str(out, "null"); /* neither: a variant null */
    if (rc) fl_err_prefix(err, "column \"%s\"", a->name);
    return rc;
}

static bool is_variant(const struct fl_field *t) {
    return t && t->opaque_type && strcmp(t->opaque_type, "variant") == 0;
}

static fl_err_t emit(struct fl_pq_assembler *a, int k, const struct fl_field *t, struct fl_buf *out,
                     struct fl_error *err) {
    const struct fl_pq_nnode *nd = &a->plan->nodes[k];
    fl_err_t rc = need(a, nd->first, err);
    if (rc) return rc;
    struct fl_pq_nleaf *L0 = &a->leaves[nd->first];
    int d = def_at(L0);
    if (d < nd->def) {
        if (!nd->nullable) return bad(a, err, "null in a required field");
        if ((rc = consume_all(a, nd, d, err))) return rc;
        return fl_buf_append_str(out, "null");
    }
    if (is_variant(t)) return emit_variant(a, nd, out, err);
    switch (nd->kind) {
    case FL_PQ_NK_PRIM:
        if (d != L0->max_def) return bad(a, err, "definition level beyond its field");
        if (!L0->vals || L0->vi >= L0->vals->len) return bad(a, err, "page ran out of values");
        rc = fl_col_value_to_json(L0->vals, L0->vi, out);
        consume(L0);
        return rc;
    case FL_PQ_NK_STRUCT:
        return emit_struct(a, nd, t && t->type == FL_TYPE_STRUCT ? t : NULL, out, err);
    default:
        if (d < nd->elem_def) {
            if ((rc = consume_all(a, nd, d, err))) return rc;
            return fl_buf_append_str(out, nd->kind == FL_PQ_NK_MAP && nd->str_keys ? "{}" : "[]");
        }
        return emit_entries(a, nd, t, out, err);
    }
}

/* Every leaf must now stand at the start of a row (or at its end). */
static fl_err_t row_boundary(struct fl_pq_assembler *a, struct fl_error *err) {
    for (int l = 0; l < a->plan->nleaves; l++) {
        fl_err_t rc = peek(a, l, err);
        if (rc) return rc;
        const struct fl_pq_nleaf *L = &a->leaves[l];
        if (L->i < L->n && rep_at(L) != 0) return bad(a, err, "leaves disagree on row boundaries");
    }
    return FL_OK;
}

fl_err_t fl_pq_assemble_row(struct fl_pq_assembler *a, struct fl_col *col, struct fl_buf *scratch,
                            struct fl_error *err) {
    const struct fl_pq_nnode *root = &a->plan->nodes[0];
    fl_err_t rc = need(a, root->first, err);
    if (rc) return rc;
    if (rep_at(&a->leaves[root->first]) != 0)
        return bad(a, err, "a row starts with a repetition level above 0");
    int d = def_at(&a->leaves[root->first]);
    if (d < root->def) {
        if (!root->nullable) return bad(a, err, "null in a required column");
        if ((rc = consume_all(a, root, d, err))) return rc;
        rc = fl_col_append_null(col);
    } else {
        fl_buf_reset(scratch);
        fl_buf_reset(&a->discard);
        rc = emit(a, 0, a->target, scratch, err);
        if (rc) return rc;
        rc = fl_col_append_bytes(col, scratch->data, scratch->len);
    }
    if (rc) return fl_errf(err, rc, "column \"%s\": batch append failed", a->name);
    return row_boundary(a, err);
}

fl_err_t fl_pq_skip_row(struct fl_pq_assembler *a, struct fl_error *err) {
    for (int l = 0; l < a->plan->nleaves; l++) {
        struct fl_pq_nleaf *L = &a->leaves[l];
        fl_err_t rc = need(a, l, err);
        if (rc) return rc;
        consume(L);
        for (;;) {
            if ((rc = peek(a, l, err))) return rc;
            if (L->i >= L->n || rep_at(L) == 0) break;
            consume(L);
        }
    }
    return FL_OK;
}
