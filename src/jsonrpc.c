/* SPDX-License-Identifier: MIT */
/* Classifies JSON-RPC messages and builds the ones the gateway writes. */
#include "mcpgw/jsonrpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Newest first. The SDK also accepts 2024-10-07 in the version header. */
const char *const rpc_versions[] = {
    "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", "2024-10-07", NULL,
};

/* Looks up a key that must occur at most once; -EINVAL on a duplicate. */
static int unique_member(const char *doc, struct json_span obj, const char *key,
                         struct json_span *val)
{
    return json_member(doc, obj, key, val) > 1 ? -EINVAL : 0;
}

static int is_id_type(enum json_type t)
{
    return t == JSON_STRING || t == JSON_NUMBER;
}

static int read_progress_token(const char *doc, struct rpc_msg *m)
{
    struct json_span meta, token;

    m->progress_token.type = JSON_NONE;
    if (m->params.type != JSON_OBJECT)
        return 0;
    if (unique_member(doc, m->params, "_meta", &meta) < 0)
        return -EINVAL;
    if (meta.type != JSON_OBJECT)
        return 0;
    if (unique_member(doc, meta, "progressToken", &token) < 0)
        return -EINVAL;
    if (token.type == JSON_NONE)
        return 0;
    if (!is_id_type(token.type))
        return -EINVAL;
    m->progress_token = token;
    return 0;
}

static int classify_response(const char *doc, struct rpc_msg *m,
                             struct json_span result)
{
    struct json_span code, message;

    if ((result.type == JSON_NONE) == (m->error.type == JSON_NONE))
        return -EINVAL;
    if (m->id.type == JSON_NONE)
        return -EINVAL;
    if (m->error.type == JSON_NONE)
        return is_id_type(m->id.type) ? 0 : -EINVAL;
    if (m->error.type != JSON_OBJECT)
        return -EINVAL;
    if (m->id.type != JSON_NULL && !is_id_type(m->id.type))
        return -EINVAL;
    json_member(doc, m->error, "code", &code);
    json_member(doc, m->error, "message", &message);
    if (code.type != JSON_NUMBER || message.type != JSON_STRING)
        return -EINVAL;
    return 0;
}

static int classify_call(const char *doc, struct rpc_msg *m,
                         struct json_span method)
{
    if (method.type != JSON_STRING)
        return -EINVAL;
    if (json_string_decode(doc, method, m->method, sizeof(m->method)) < 0)
        return -EINVAL;
    if (m->params.type != JSON_NONE && m->params.type != JSON_OBJECT &&
        m->params.type != JSON_ARRAY)
        return -EINVAL;
    if (m->id.type != JSON_NONE && !is_id_type(m->id.type))
        return -EINVAL;
    m->kind = m->id.type == JSON_NONE ? RPC_NOTIFICATION : RPC_REQUEST;
    return read_progress_token(doc, m);
}

/*
 * Reads the members the gateway routes on in one pass over the message,
 * however large its params or result: each is kept once, and a second
 * copy makes the message invalid.
 */
static int read_members(const char *doc, struct json_span v,
                        struct json_span *const slot[])
{
    static const char *const names[] = {"jsonrpc", "id",     "method",
                                        "params",  "result", "error"};
    struct json_span k, val;
    size_t cursor = 0;

    while (json_object_next(doc, v, &cursor, &k, &val)) {
        for (size_t j = 0; j < 6; j++) {
            if (!json_string_eq(doc, k, names[j]))
                continue;
            if (slot[j]->type != JSON_NONE)
                return -EINVAL;
            *slot[j] = val;
            break;
        }
    }
    return 0;
}

int rpc_classify(const char *doc, struct json_span v, struct rpc_msg *m)
{
    struct json_span version = {0}, method = {0}, result = {0};
    struct json_span *const slot[] = {&version,   &m->id,  &method,
                                      &m->params, &result, &m->error};

    memset(m, 0, sizeof(*m));
    m->root = v;
    if (v.type != JSON_OBJECT || read_members(doc, v, slot) < 0)
        return -EINVAL;
    if (!json_string_eq(doc, version, "2.0"))
        return -EINVAL;

    int rc;
    if (method.type != JSON_NONE) {
        if (result.type != JSON_NONE || m->error.type != JSON_NONE)
            return -EINVAL;
        rc = classify_call(doc, m, method);
    } else {
        m->kind = RPC_RESPONSE;
        rc = classify_response(doc, m, result);
    }
    if (rc < 0)
        m->kind = RPC_INVALID;
    return rc;
}

int rpc_error_append(struct gw_buf *out, const char *id, size_t n, int code,
                     const char *message)
{
    size_t mlen = strlen(message);
    char *esc = malloc(6 * mlen + 1);
    int rc;

    if (esc == NULL)
        return -ENOMEM;
    size_t elen = json_escape(message, mlen, esc);
    rc = buf_printf(out,
                    "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":%d,"
                    "\"message\":\"%.*s\"},\"id\":",
                    code, (int)elen, esc);
    free(esc);
    if (rc == 0)
        rc = id ? buf_append(out, id, n) : buf_append_str(out, "null");
    if (rc == 0)
        rc = buf_append(out, "}", 1);
    return rc;
}

static int edit_cmp(const void *a, const void *b)
{
    const struct rpc_edit *x = a, *y = b;

    return x->at.off < y->at.off ? -1 : x->at.off > y->at.off;
}

int rpc_splice(struct gw_buf *out, const char *doc, struct json_span whole,
               const struct rpc_edit *edits, size_t nedits)
{
    struct rpc_edit sorted[2];
    size_t n = 0, pos = whole.off, end = whole.off + whole.len;

    for (size_t i = 0; i < nedits && n < 2; i++)
        if (edits[i].at.type != JSON_NONE)
            sorted[n++] = edits[i];
    qsort(sorted, n, sizeof(sorted[0]), edit_cmp);

    if (buf_reserve(out, whole.len + 64) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (buf_append(out, doc + pos, sorted[i].at.off - pos) < 0 ||
            buf_append(out, sorted[i].text, sorted[i].len) < 0)
            return -ENOMEM;
        pos = sorted[i].at.off + sorted[i].at.len;
    }
    return buf_append(out, doc + pos, end - pos);
}

int rpc_version_supported(const char *version)
{
    for (size_t i = 0; rpc_versions[i]; i++)
        if (strcmp(version, rpc_versions[i]) == 0)
            return 1;
    return 0;
}

unsigned rpc_declared_caps(const char *doc, const struct rpc_msg *m)
{
    struct json_span caps, v;
    unsigned out = 0;

    if (m->params.type != JSON_OBJECT ||
        json_member(doc, m->params, "capabilities", &caps) != 1 ||
        caps.type != JSON_OBJECT)
        return 0;
    if (json_member(doc, caps, "sampling", &v) == 1 && v.type == JSON_OBJECT)
        out |= RPC_CAP_SAMPLING;
    if (json_member(doc, caps, "elicitation", &v) == 1 && v.type == JSON_OBJECT)
        out |= RPC_CAP_ELICITATION;
    if (json_member(doc, caps, "roots", &v) == 1 && v.type == JSON_OBJECT)
        out |= RPC_CAP_ROOTS;
    return out;
}

unsigned rpc_cap_needed(const char *method)
{
    if (strcmp(method, "sampling/createMessage") == 0)
        return RPC_CAP_SAMPLING;
    if (strcmp(method, "elicitation/create") == 0)
        return RPC_CAP_ELICITATION;
    if (strcmp(method, "roots/list") == 0)
        return RPC_CAP_ROOTS;
    return 0;
}
