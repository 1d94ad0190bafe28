/*
 * pointer.h - pointer records (seed 000): a record's value
 * {"file_name": "...", "file_path": "uploads/sessions/sessions_1.json"}
 * names a raw JSON file in the warehouse store; the pipeline fetches it
 * (bounded) and decodes one JSON object or an array of objects into rows.
 */
#ifndef FL_PIPELINE_POINTER_H
#define FL_PIPELINE_POINTER_H

#include "core/err.h"
#include "store/store.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Default cap on a pointed-to file. */
#define FL_PIPE_POINTER_MAX_BYTES ((size_t)16 << 20)

/* Reads the pointer in value, fetches the file from st (at most
 * max_bytes) and returns its objects as a JSON array in *rows (the
 * caller json_decref()s it). When the pointer, the file or its content is
 * not usable, returns an error and writes why to reason (the record goes
 * to the dead-letter topic); nothing is logged. */
fl_err_t fl_pipe_pointer_load(struct fl_store *st, const uint8_t *value, size_t len,
                              size_t max_bytes, json_t **rows, char *reason, size_t reasonsz);

#endif
