/*
 * fuzz_nested_target.h - for the data file fuzz targets: a table field
 * made from a file's nested field as schema evolution would leave it
 * (every other struct member dropped, the rest reversed, some renumbered
 * so that they match no file member), to shape nested values after.
 */
#ifndef FL_FUZZ_NESTED_TARGET_H
#define FL_FUZZ_NESTED_TARGET_H

#include "core/mem.h"
#include "core/schema.h"

#include <string.h>

/* out: a copy of f evolved as above; names and scalars are borrowed. */
static void fuzz_evolve(const struct fl_field *f, struct fl_field *out, int depth) {
    *out = *f;
    out->children = NULL;
    out->nchildren = 0;
    if (!f->nchildren || depth > 8) return;
    out->children = fl_calloc((size_t)f->nchildren, sizeof(struct fl_field));
    for (int i = 0; i < f->nchildren; i++) {
        int src = f->type == FL_TYPE_STRUCT ? f->nchildren - 1 - i : i;
        if (f->type == FL_TYPE_STRUCT && (i & 1)) continue;
        struct fl_field *c = &out->children[out->nchildren++];
        fuzz_evolve(&f->children[src], c, depth + 1);
        if (f->type == FL_TYPE_STRUCT && (i & 2)) c->id += 1000;
    }
}

static void fuzz_evolved_free(struct fl_field *f) {
    for (int i = 0; i < f->nchildren; i++) fuzz_evolved_free(&f->children[i]);
    fl_free(f->children);
}

#endif
