/*
 * addr.c - listen addresses (addr.h): "ADDR:PORT", ":PORT" or
 * "[ADDR6]:PORT", parsed with inet_pton, never resolved.
 */
#include "core/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

fl_err_t fl_addr_parse(const char *listen, struct sockaddr_storage *ss, struct fl_error *err) {
    char host[256];
    const char *colon;
    const char *h = listen;
    size_t hlen;
    memset(ss, 0, sizeof(*ss));
    if (listen[0] == '[') {
        const char *rb = strchr(listen, ']');
        if (!rb || rb[1] != ':') goto bad;
        h = listen + 1;
        hlen = (size_t)(rb - h);
        colon = rb + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon) goto bad;
        hlen = (size_t)(colon - listen);
    }
    if (hlen >= sizeof(host)) goto bad;
    memcpy(host, h, hlen);
    host[hlen] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || colon[1] == 0 || port < 0 || port > 65535) goto bad;
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (hlen == 0 || inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        if (hlen == 0) a4->sin_addr.s_addr = htonl(INADDR_ANY);
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        return FL_OK;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        return FL_OK;
    }
bad:
    return fl_errf(err, FL_ERR_INVALID, "listen address \"%s\" is not ADDR:PORT or [ADDR6]:PORT",
                   listen);
}

bool fl_addr_is_loopback(const char *listen) {
    struct sockaddr_storage ss;
    struct fl_error e = {0};
    if (!listen || fl_addr_parse(listen, &ss, &e)) return false;
    if (ss.ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
    if (ss.ss_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)&ss)->sin6_addr);
    return false;
}
