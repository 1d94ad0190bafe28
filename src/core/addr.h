/*
 * addr.h - listen addresses as floe's configuration writes them:
 * "ADDR:PORT", ":PORT" (every IPv4 address) or "[ADDR6]:PORT", numeric
 * only (no name lookups). One parser for the HTTP and the Kafka servers
 * and for `floe config check`.
 */
#ifndef FL_CORE_ADDR_H
#define FL_CORE_ADDR_H

#include "core/err.h"

#include <stdbool.h>
#include <sys/socket.h>

/* Parses listen into *ss (zeroed first). FL_ERR_INVALID with a message
 * naming the address when it is not one of the forms above or its port
 * is not 0..65535. */
fl_err_t fl_addr_parse(const char *listen, struct sockaddr_storage *ss, struct fl_error *err);

/* Whether listen parses to a loopback address (127.0.0.0/8 or ::1). */
bool fl_addr_is_loopback(const char *listen);

#endif
