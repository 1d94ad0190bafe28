/*
 * errors.h - the one table of error codes every HTTP route answers with
 * (docs/internals/ingest.md, "Errors"). A code is HTTP status x 100 + a
 * detail and means one thing on every route; the table gives its status,
 * its meaning and, for the Iceberg REST catalog's codes, the exception
 * type of the spec's ErrorModel. fl_ingest_resp_error (ingest.h) is the
 * one helper that writes an error reply from a code.
 *
 * Two body shapes, chosen by the code: the REST proxy's
 * {"error_code":N,"message":"..."} for floe's own routes, and the Iceberg
 * REST spec's {"error":{"message":"...","type":"...","code":STATUS}}
 * (apache/iceberg open-api/rest-catalog-open-api.yaml) for the codes
 * with a type, served under /v1/. The Iceberg codes use the details
 * 90..99 so they never meet floe's own.
 */
#ifndef FL_INGEST_ERRORS_H
#define FL_INGEST_ERRORS_H

typedef enum {
    FL_INGEST_E_BAD_REQUEST = 40001,     /* malformed target or request body */
    FL_INGEST_E_BAD_NAME = 40002,        /* bad file or topic name */
    FL_INGEST_E_MISSING_PARAM = 40003,   /* a required query parameter is missing */
    FL_INGEST_E_NOT_A_NUMBER = 40004,    /* a parameter is not a decimal number */
    FL_INGEST_E_EMPTY_BODY = 40005,      /* empty body */
    FL_INGEST_E_NOT_JSON = 40006,        /* uploaded file is not JSON or not UTF-8 */
    FL_INGEST_E_BAD_MULTIPART = 40007,   /* bad or truncated multipart */
    FL_INGEST_E_UNKNOWN_KIND = 40008,    /* no upload kind for the file name */
    FL_INGEST_E_SQL_SYNTAX = 40010,      /* POST /sql: the statement does not compile */
    FL_INGEST_E_SQL_MULTI = 40011,       /* POST /sql: not exactly one statement */
    FL_INGEST_E_SQL_RUN = 40012,         /* POST /sql: the statement failed while running */
    FL_INGEST_E_UNAUTHORIZED = 40101,    /* auth: no API key, or not a known one */
    FL_INGEST_E_READ_ONLY = 40301,       /* POST /sql: an action that is not a read */
    FL_INGEST_E_FORBIDDEN = 40302,       /* auth: the key's role does not allow the route */
    FL_INGEST_E_NOT_FOUND = 40400,       /* no route */
    FL_INGEST_E_TOPIC_NOT_FOUND = 40401, /* unknown topic */
    FL_INGEST_E_PARTITION_NOT_FOUND = 40402,
    FL_INGEST_E_METHOD = 40501,            /* method not allowed on the route */
    FL_INGEST_E_TIMEOUT = 40801,           /* POST /sql: past timeout_ms */
    FL_INGEST_E_TOO_LARGE = 41301,         /* body over body_bytes */
    FL_INGEST_E_TOO_MANY = 41302,          /* more than `records` records */
    FL_INGEST_E_URI_TOO_LONG = 41401,      /* request path over its cap */
    FL_INGEST_E_MEDIA_TYPE = 41501,        /* Content-Type */
    FL_INGEST_E_INVALID_RECORDS = 42201,   /* POST /topics body: bad records */
    FL_INGEST_E_HEADERS_TOO_LARGE = 43101, /* request line + headers over header_bytes */
    FL_INGEST_E_INTERNAL = 50001,          /* anything else from the log, store or SQL */
    FL_INGEST_E_UNAVAILABLE = 50301,       /* the log refused: retry after Retry-After */
    /* the Iceberg REST catalog (/v1/), in the spec's ErrorModel */
    FL_INGEST_E_ICE_BAD_REQUEST = 40090,  /* BadRequestException */
    FL_INGEST_E_ICE_AUTH = 40190,         /* NotAuthorizedException */
    FL_INGEST_E_ICE_FORBIDDEN = 40390,    /* ForbiddenException: the key's role */
    FL_INGEST_E_ICE_NO_NAMESPACE = 40490, /* NoSuchNamespaceException */
    FL_INGEST_E_ICE_NO_TABLE = 40491,     /* NoSuchTableException */
    FL_INGEST_E_ICE_NO_ROUTE = 40492,     /* NoSuchRouteException: no such route under /v1/ */
    FL_INGEST_E_ICE_METHOD = 40590,       /* BadRequestException, 405 */
    FL_INGEST_E_ICE_EXISTS = 40990,       /* AlreadyExistsException */
    FL_INGEST_E_ICE_COMMIT = 40991,       /* CommitFailedException */
    FL_INGEST_E_ICE_NOT_EMPTY = 40992,    /* NamespaceNotEmptyException */
    FL_INGEST_E_ICE_SERVICE = 50090,      /* ServiceFailureException */
} fl_ingest_ecode_t;

struct fl_ingest_errdef {
    fl_ingest_ecode_t code;
    int status;
    const char *type;    /* the Iceberg ErrorModel's type; NULL: floe's own shape */
    const char *meaning; /* one line, as in docs/internals/ingest.md */
};

/* The definition of code; a code not in the table (a bug) is answered as
 * FL_INGEST_E_INTERNAL's. */
const struct fl_ingest_errdef *fl_ingest_err_def(fl_ingest_ecode_t code);

/* The whole table, for the docs test and the fuzz targets; *n gets its size. */
const struct fl_ingest_errdef *fl_ingest_err_table(int *n);

#endif
