/*
 * proto.c - protobuf wire decoding for the ORC file tail (see proto.h).
 */
#include "format/orc/proto.h"

void fl_orc_pb_init(struct fl_orc_pb *pb, const uint8_t *data, size_t len) {
    static const uint8_t none[1];
    if (!data) data = none, len = 0; /* an empty message */
    pb->p = data;
    pb->end = data + len;
}

bool fl_orc_varint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (*p >= end) return false;
        uint8_t b = *(*p)++;
        if (shift == 63 && (b & 0x7e)) return false;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

bool fl_orc_pb_next(struct fl_orc_pb *pb, struct fl_orc_pb_field *f, fl_err_t *rc) {
    *rc = FL_OK;
    if (pb->p >= pb->end) return false;
    uint64_t key;
    if (!fl_orc_varint(&pb->p, pb->end, &key) || (key >> 3) == 0 || (key >> 3) > UINT32_MAX) {
        *rc = FL_ERR_CORRUPT;
        return false;
    }
    f->num = (uint32_t)(key >> 3);
    f->wire = (int)(key & 7);
    f->data = NULL;
    f->len = 0;
    f->u64 = 0;
    switch (f->wire) {
    case 0:
        if (!fl_orc_varint(&pb->p, pb->end, &f->u64)) *rc = FL_ERR_CORRUPT;
        break;
    case 1:
    case 5: {
        size_t n = f->wire == 1 ? 8 : 4;
        if ((size_t)(pb->end - pb->p) < n) {
            *rc = FL_ERR_CORRUPT;
            break;
        }
        for (size_t i = 0; i < n; i++) f->u64 |= (uint64_t)pb->p[i] << (8 * i);
        pb->p += n;
        break;
    }
    case 2: {
        uint64_t n;
        if (!fl_orc_varint(&pb->p, pb->end, &n) || n > (uint64_t)(pb->end - pb->p)) {
            *rc = FL_ERR_CORRUPT;
            break;
        }
        f->data = pb->p;
        f->len = (size_t)n;
        pb->p += n;
        break;
    }
    default:
        *rc = FL_ERR_CORRUPT; /* groups (3, 4) are not in orc_proto */
    }
    return *rc == FL_OK;
}

fl_err_t fl_orc_pb_uints(const struct fl_orc_pb_field *f, void (*fn)(void *ctx, uint64_t v),
                         void *ctx) {
    if (f->wire == 0) {
        fn(ctx, f->u64);
        return FL_OK;
    }
    if (f->wire != 2) return FL_ERR_CORRUPT;
    const uint8_t *p = f->data, *end = f->data + f->len;
    while (p < end) {
        uint64_t v;
        if (!fl_orc_varint(&p, end, &v)) return FL_ERR_CORRUPT;
        fn(ctx, v);
    }
    return FL_OK;
}
