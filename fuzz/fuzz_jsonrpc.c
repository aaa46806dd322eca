/* SPDX-License-Identifier: MIT */
/*
 * What the gateway does with every POST body and every line from the
 * child: json_validate, then rpc_classify (each element of a batch too).
 * A classified message with its id spliced to 12345 (and its progress
 * token to "tok") must still be the same kind of message; an error
 * response built around any text and any id must be valid JSON-RPC.
 */
#include "mcpgw/jsonrpc.h"

#include <errno.h>

#include "fuzz_util.h"

#define MAX_DEPTH 64
#define MAX_BATCH 64

static bool span_in(struct json_span in, struct json_span s)
{
    return s.type == JSON_NONE || (s.off >= in.off && s.len <= in.len &&
                                   s.off - in.off <= in.len - s.len);
}

static bool span_is(const char *doc, struct json_span s, const char *text)
{
    return s.len == strlen(text) && memcmp(doc + s.off, text, s.len) == 0;
}

/* Validates and classifies out's contents as one message. */
static int reclassify(const struct gw_buf *out, struct rpc_msg *m)
{
    struct json_span root;

    CHECK(out->data != NULL);
    CHECK(json_validate(out->data, out->len, MAX_DEPTH, &root) == 0);
    CHECK(root.type == JSON_OBJECT && root.off == 0 && root.len == out->len);
    return rpc_classify(out->data, root, m);
}

static void check_error_append(const char *id, size_t idlen, int code,
                               const char *message)
{
    struct gw_buf out = {0};
    struct rpc_msg m;
    struct json_span c, msg;

    CHECK(rpc_error_append(&out, id, idlen, code, message) == 0);
    CHECK(reclassify(&out, &m) == 0);
    CHECK(m.kind == RPC_RESPONSE && m.error.type == JSON_OBJECT);
    if (id)
        CHECK(m.id.len == idlen && memcmp(out.data + m.id.off, id, idlen) == 0);
    else
        CHECK(m.id.type == JSON_NULL);
    CHECK(json_member(out.data, m.error, "code", &c) == 1);
    char num[16];
    snprintf(num, sizeof num, "%d", code);
    CHECK(span_is(out.data, c, num));
    CHECK(json_member(out.data, m.error, "message", &msg) == 1);

    size_t n = strlen(message);
    char *back = xmalloc(msg.len);
    int k = json_string_decode(out.data, msg, back, msg.len);
    CHECK(k >= 0);
    if (utf8_valid((const unsigned char *)message, n))
        CHECK((size_t)k == n && memcmp(back, message, n) == 0);
    free(back);
    buf_free(&out);
}

/* The checks on one message of a document. */
static void check_message(const char *doc, struct json_span v)
{
    struct rpc_msg m, m2;
    struct gw_buf out = {0};

    if (rpc_classify(doc, v, &m) != 0) {
        CHECK(m.kind == RPC_INVALID);
        return;
    }
    CHECK(m.kind == RPC_REQUEST || m.kind == RPC_NOTIFICATION ||
          m.kind == RPC_RESPONSE);
    CHECK(m.root.off == v.off && m.root.len == v.len);
    CHECK(span_in(v, m.id) && span_in(v, m.params) && span_in(v, m.error) &&
          span_in(v, m.progress_token));
    CHECK(strlen(m.method) <= RPC_METHOD_MAX);
    if (m.kind == RPC_RESPONSE) {
        CHECK(m.method[0] == '\0');
        CHECK(m.id.type == JSON_STRING || m.id.type == JSON_NUMBER ||
              (m.id.type == JSON_NULL && m.error.type == JSON_OBJECT));
    } else {
        CHECK(m.params.type == JSON_NONE || m.params.type == JSON_OBJECT ||
              m.params.type == JSON_ARRAY);
    }
    if (m.kind == RPC_NOTIFICATION)
        CHECK(m.id.type == JSON_NONE);
    else if (m.kind == RPC_REQUEST)
        CHECK(m.id.type == JSON_STRING || m.id.type == JSON_NUMBER);
    CHECK(m.progress_token.type == JSON_NONE ||
          m.progress_token.type == JSON_STRING ||
          m.progress_token.type == JSON_NUMBER);

    /* No edits: the message comes out byte for byte. */
    CHECK(rpc_splice(&out, doc, v, NULL, 0) == 0);
    CHECK(out.len == v.len && memcmp(out.data, doc + v.off, v.len) == 0);
    buf_reset(&out);

    /* The gateway's rewrite: a new id, and a new progress token. */
    struct rpc_edit edits[2] = {
        {m.progress_token, "\"tok\"", 5},
        {m.id, "12345", 5},
    };
    CHECK(rpc_splice(&out, doc, v, edits, 2) == 0);
    size_t want = v.len;
    if (m.id.type != JSON_NONE)
        want = want - m.id.len + 5;
    if (m.progress_token.type != JSON_NONE)
        want = want - m.progress_token.len + 5;
    CHECK(out.len == want);
    CHECK(reclassify(&out, &m2) == 0);
    CHECK(m2.kind == m.kind && strcmp(m2.method, m.method) == 0);
    if (m.id.type != JSON_NONE)
        CHECK(m2.id.type == JSON_NUMBER && span_is(out.data, m2.id, "12345"));
    else
        CHECK(m2.id.type == JSON_NONE);
    if (m.progress_token.type != JSON_NONE)
        CHECK(m2.progress_token.type == JSON_STRING &&
              span_is(out.data, m2.progress_token, "\"tok\""));
    else
        CHECK(m2.progress_token.type == JSON_NONE);
    CHECK((m2.params.type == JSON_NONE) == (m.params.type == JSON_NONE));
    CHECK((m2.error.type == JSON_NONE) == (m.error.type == JSON_NONE));
    buf_free(&out);

    /* An error answer to it, carrying its id, is a valid response. */
    if (m.id.type != JSON_NONE)
        check_error_append(doc + m.id.off, m.id.len, RPC_INVALID_PARAMS,
                           "bad params");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int codes[] = {
        RPC_PARSE_ERROR,      RPC_INVALID_REQUEST,
        RPC_METHOD_NOT_FOUND, RPC_INVALID_PARAMS,
        RPC_INTERNAL_ERROR,   RPC_CONNECTION_CLOSED,
        RPC_REQUEST_TIMEOUT,  0,
        -2147483647 - 1,
    };
    char *doc = xmalloc(size);
    struct json_span root;

    memcpy(doc, data, size);
    if (json_validate(doc, size, MAX_DEPTH, &root) == 0) {
        check_message(doc, root);
        if (root.type == JSON_ARRAY) {
            struct json_span e;
            size_t cursor = 0, n = 0;
            while (n++ < MAX_BATCH && json_array_next(doc, root, &cursor, &e))
                check_message(doc, e);
        }
    } else {
        CHECK(root.type == JSON_NONE);
    }

    /* The input as an error message, with no id and with a string id. */
    char *message = xstrndup(data, size);
    int code = codes[size % (sizeof codes / sizeof codes[0])];
    check_error_append(NULL, 0, code, message);
    check_error_append("\"a\\\"b\"", 6, code, message);
    free(message);
    free(doc);
    return 0;
}
