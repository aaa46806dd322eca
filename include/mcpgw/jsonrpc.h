/* SPDX-License-Identifier: MIT */
/*
 * JSON-RPC 2.0 as MCP uses it: classify a message, check it, and build
 * the messages the gateway writes itself (errors, its own requests).
 * Messages that pass through are spliced, never re-serialised.
 */
#ifndef MCPGW_JSONRPC_H
#define MCPGW_JSONRPC_H

#include <stddef.h>

#include "mcpgw/buf.h"
#include "mcpgw/json.h"

/* Error codes: JSON-RPC's own, and the MCP SDK's implementation range. */
#define RPC_PARSE_ERROR       (-32700)
#define RPC_INVALID_REQUEST   (-32600)
#define RPC_METHOD_NOT_FOUND  (-32601)
#define RPC_INVALID_PARAMS    (-32602)
#define RPC_INTERNAL_ERROR    (-32603)
#define RPC_CONNECTION_CLOSED (-32000) /* also the SDK's transport errors */
#define RPC_REQUEST_TIMEOUT   (-32001)
#define RPC_SESSION_NOT_FOUND (-32001) /* the SDK's code for a 404 */

enum rpc_kind {
    RPC_INVALID = 0,
    RPC_REQUEST,      /* method and id */
    RPC_NOTIFICATION, /* method, no id */
    RPC_RESPONSE,     /* id and exactly one of result or error */
};

#define RPC_METHOD_MAX 128

/* One classified message; every span points into the caller's document. */
struct rpc_msg {
    enum rpc_kind kind;
    struct json_span root; /* the message object */
    struct json_span id;   /* JSON_NONE for a notification */
    struct json_span params;
    struct json_span error; /* responses: the error object, or JSON_NONE */
    struct json_span progress_token; /* params._meta.progressToken */
    char method[RPC_METHOD_MAX + 1]; /* decoded; "" for responses */
};

/*
 * Classifies the value at v (from a document that passed json_validate).
 * Returns 0 and fills m, or -EINVAL when v is not a JSON-RPC 2.0 message
 * as MCP allows it: jsonrpc must be "2.0"; ids are strings or numbers
 * (null only on an error response); params is an object or array; a
 * progress token is a string or a number; a method name longer than
 * RPC_METHOD_MAX is refused; and a key the gateway routes on (jsonrpc,
 * id, method, params, result, error, _meta, progressToken) may not occur
 * twice, since the next parser could pick the other copy.
 */
int rpc_classify(const char *doc, struct json_span v, struct rpc_msg *m);

/*
 * Appends {"jsonrpc":"2.0","error":{"code":C,"message":M},"id":ID} to out.
 * id is raw JSON text (n bytes), or NULL for null. message is escaped.
 * Returns 0 or -ENOMEM.
 */
int rpc_error_append(struct gw_buf *out, const char *id, size_t n, int code,
                     const char *message);

/* One replacement: the bytes of span `at` become text[0..len). */
struct rpc_edit {
    struct json_span at;
    const char *text;
    size_t len;
};

/*
 * Appends doc's bytes over span `whole` to out with up to two edits
 * applied (spans inside whole, not overlapping; JSON_NONE spans are
 * skipped). Returns 0 or -ENOMEM.
 */
int rpc_splice(struct gw_buf *out, const char *doc, struct json_span whole,
               const struct rpc_edit *edits, size_t nedits);

/* True when version is one this gateway speaks on the 2025 endpoint. */
int rpc_version_supported(const char *version);

/* The supported versions, newest first, for error messages. */
extern const char *const rpc_versions[];

/* Client capabilities that requests of a server need. */
#define RPC_CAP_SAMPLING    1u
#define RPC_CAP_ELICITATION 2u
#define RPC_CAP_ROOTS       4u

/* The RPC_CAP_* an initialize request m (inside doc) declares. */
unsigned rpc_declared_caps(const char *doc, const struct rpc_msg *m);

/* The RPC_CAP_* a server request's method needs, or 0 for none. */
unsigned rpc_cap_needed(const char *method);

#endif
