/* SPDX-License-Identifier: MIT */
/* Unit tests for JSON-RPC classification, error building and splicing. */
#include "mcpgw/jsonrpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

/*
 * One classification case. id and token are the exact raw bytes the
 * spans must cover, or NULL when the span must be JSON_NONE.
 */
struct ccase {
    const char *doc;
    enum rpc_kind kind; /* RPC_INVALID means rpc_classify must refuse */
    const char *method;
    const char *id;
    const char *token;
};

#define REQ(doc, method, id, tok)         \
    {                                     \
        doc, RPC_REQUEST, method, id, tok \
    }
#define NOTE(doc, method, tok)                   \
    {                                            \
        doc, RPC_NOTIFICATION, method, NULL, tok \
    }
#define RESP(doc, id)                   \
    {                                   \
        doc, RPC_RESPONSE, "", id, NULL \
    }
#define BAD(doc)                         \
    {                                    \
        doc, RPC_INVALID, "", NULL, NULL \
    }

#define J "{\"jsonrpc\":\"2.0\","

static const struct ccase cases[] = {
    /* requests: every id the spec allows, recorded byte for byte */
    REQ(J "\"id\":1,\"method\":\"ping\"}", "ping", "1", NULL),
    REQ(J "\"id\":\"abc\",\"method\":\"ping\"}", "ping", "\"abc\"", NULL),
    REQ(J "\"id\":-7,\"method\":\"ping\"}", "ping", "-7", NULL),
    REQ(J "\"id\":1.5,\"method\":\"ping\"}", "ping", "1.5", NULL),
    REQ(J "\"id\":1e3,\"method\":\"ping\"}", "ping", "1e3", NULL),
    REQ(J "\"id\":0,\"method\":\"ping\"}", "ping", "0", NULL),
    REQ(J "\"id\":9007199254740993,\"method\":\"ping\"}", "ping",
        "9007199254740993", NULL),
    REQ(J "\"id\":\"a\\\"b\",\"method\":\"ping\"}", "ping", "\"a\\\"b\"", NULL),
    REQ(J "\"id\":\"\",\"method\":\"ping\"}", "ping", "\"\"", NULL),
    REQ("{ \"method\" : \"ping\" , \"id\" : 2 , \"jsonrpc\" : \"2.0\" }",
        "ping", "2", NULL),
    REQ(J "\"id\":1,\"method\":\"tools\\/call\"}", "tools/call", "1", NULL),
    REQ(J "\"id\":1,\"method\":\"\\u0074ools/list\"}", "tools/list", "1", NULL),
    REQ("{\"jsonrpc\":\"\\u0032.0\",\"id\":1,\"method\":\"ping\"}", "ping", "1",
        NULL),
    REQ(J "\"id\":1,\"method\":\"x\",\"params\":{}}", "x", "1", NULL),
    REQ(J "\"id\":1,\"method\":\"x\",\"params\":[1,2]}", "x", "1", NULL),
    REQ(J "\"id\":1,\"method\":\"x\",\"params\":[]}", "x", "1", NULL),
    REQ(J "\"id\":1,\"method\":\"x\",\"params\":{\"_meta\":{}}}", "x", "1",
        NULL),
    /* progress tokens */
    REQ(J "\"id\":1,\"method\":\"x\",\"params\":{\"_meta\":"
          "{\"progressToken\":\"tok\"}}}",
        "x", "1", "\"tok\""),
    REQ(J "\"id\":1,\"method\":\"x\",\"params\":{\"_meta\":"
          "{\"progressToken\":7}}}",
        "x", "1", "7"),
    REQ(J "\"id\":1,\"method\":\"x\",\"params\":{\"a\":[{\"_meta\":1}],"
          "\"_meta\":{\"other\":{\"progressToken\":{}},"
          "\"progressToken\":-2.5e1}}}",
        "x", "1", "-2.5e1"),
    REQ(J "\"id\":1,\"method\":\"x\",\"params\":{\"_meta\":"
          "{\"progressToken\":\"t\\\"\\u00e9\"}}}",
        "x", "1", "\"t\\\"\\u00e9\""),
    REQ(J "\"id\":1,\"method\":\"x\",\"params\":{\"progressToken\":5}}", "x",
        "1", NULL),
    REQ(J "\"id\":1,\"method\":\"x\",\"params\":[{\"_meta\":"
          "{\"progressToken\":5}}]}",
        "x", "1", NULL),
    NOTE(J "\"method\":\"notifications/progress\",\"params\":{\"_meta\":"
           "{\"progressToken\":3}}}",
         "notifications/progress", "3"),
    /* notifications */
    NOTE(J "\"method\":\"notifications/initialized\"}",
         "notifications/initialized", NULL),
    NOTE(J "\"method\":\"notifications/progress\",\"params\":"
           "{\"progressToken\":1,\"progress\":5}}",
         "notifications/progress", NULL),
    /* responses */
    RESP(J "\"id\":1,\"result\":{}}", "1"),
    RESP(J "\"id\":\"r\",\"result\":null}", "\"r\""),
    RESP(J "\"id\":9007199254740993,\"result\":{\"x\":1}}", "9007199254740993"),
    RESP(J "\"id\":1,\"error\":{\"code\":-32601,\"message\":\"no\"}}", "1"),
    RESP(J "\"id\":\"e\",\"error\":{\"code\":1,\"message\":\"\","
           "\"data\":[1]}}",
         "\"e\""),
    RESP(J "\"id\":null,\"error\":{\"code\":-32700,\"message\":\"bad\"}}",
         "null"),
    /* ids of the wrong type */
    BAD(J "\"id\":null,\"result\":{}}"),
    BAD(J "\"id\":null,\"method\":\"x\"}"),
    BAD(J "\"id\":{},\"method\":\"x\"}"),
    BAD(J "\"id\":[1],\"method\":\"x\"}"),
    BAD(J "\"id\":true,\"method\":\"x\"}"),
    BAD(J "\"id\":false,\"result\":{}}"),
    BAD(J "\"id\":{\"a\":1},\"result\":{}}"),
    BAD(J "\"id\":[],\"error\":{\"code\":1,\"message\":\"m\"}}"),
    BAD(J "\"id\":true,\"error\":{\"code\":1,\"message\":\"m\"}}"),
    /* the version */
    BAD("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"x\"}"),
    BAD("{\"id\":1,\"method\":\"x\"}"),
    BAD("{\"jsonrpc\":2.0,\"id\":1,\"method\":\"x\"}"),
    BAD("{\"jsonrpc\":\"2.0 \",\"id\":1,\"method\":\"x\"}"),
    BAD("{\"jsonrpc\":null,\"id\":1,\"result\":{}}"),
    /* result and error */
    BAD(J "\"id\":1,\"result\":{},\"error\":{\"code\":1,\"message\":\"m\"}}"),
    BAD(J "\"id\":1}"),
    BAD(J "\"result\":{}}"),
    BAD(J "\"error\":{\"code\":1,\"message\":\"m\"}}"),
    BAD(J "\"id\":1,\"error\":\"oops\"}"),
    BAD(J "\"id\":1,\"error\":{\"message\":\"m\"}}"),
    BAD(J "\"id\":1,\"error\":{\"code\":1}}"),
    BAD(J "\"id\":1,\"error\":{\"code\":\"1\",\"message\":\"m\"}}"),
    BAD(J "\"id\":1,\"error\":{\"code\":1,\"message\":2}}"),
    BAD(J "\"id\":1,\"method\":\"x\",\"result\":{}}"),
    BAD(J "\"id\":1,\"method\":\"x\",\"error\":{\"code\":1,"
          "\"message\":\"m\"}}"),
    /* method and params */
    BAD(J "\"id\":1,\"method\":1}"),
    BAD(J "\"id\":1,\"method\":null}"),
    BAD(J "\"id\":1,\"method\":[\"x\"]}"),
    BAD(J "\"method\":{}}"),
    BAD(J "\"id\":1,\"method\":\"x\",\"params\":\"s\"}"),
    BAD(J "\"id\":1,\"method\":\"x\",\"params\":1}"),
    BAD(J "\"id\":1,\"method\":\"x\",\"params\":null}"),
    BAD(J "\"id\":1,\"method\":\"x\",\"params\":true}"),
    BAD(J "\"method\":\"x\",\"params\":\"s\"}"),
    /* duplicate keys the gateway routes on */
    BAD(J "\"id\":1,\"id\":2,\"method\":\"x\"}"),
    BAD(J "\"id\":1,\"\\u0069d\":2,\"method\":\"x\"}"),
    BAD(J "\"id\":1,\"method\":\"x\",\"method\":\"y\"}"),
    BAD(J "\"id\":1,\"method\":\"x\",\"jsonrpc\":\"2.0\"}"),
    BAD(J "\"id\":1,\"method\":\"x\",\"params\":{},\"params\":{}}"),
    BAD(J "\"id\":1,\"result\":{},\"result\":{}}"),
    BAD(J "\"id\":1,\"error\":{\"code\":1,\"message\":\"m\"},"
          "\"error\":{\"code\":1,\"message\":\"m\"}}"),
    BAD(J "\"method\":\"x\",\"method\":\"x\"}"),
    BAD(J "\"id\":1,\"method\":\"x\",\"params\":{\"_meta\":{},"
          "\"_meta\":{}}}"),
    BAD(J "\"id\":1,\"method\":\"x\",\"params\":{\"_meta\":"
          "{\"progressToken\":1,\"progressToken\":2}}}"),
    BAD(J "\"id\":1,\"method\":\"x\",\"params\":{\"_meta\":"
          "{\"progressToken\":1,\"progress\\u0054oken\":1}}}"),
    /* progress tokens of the wrong type */
    BAD(J "\"id\":1,\"method\":\"x\",\"params\":{\"_meta\":"
          "{\"progressToken\":{}}}}"),
    BAD(J "\"id\":1,\"method\":\"x\",\"params\":{\"_meta\":"
          "{\"progressToken\":{\"a\":1}}}}"),
    BAD(J "\"id\":1,\"method\":\"x\",\"params\":{\"_meta\":"
          "{\"progressToken\":[1]}}}"),
    BAD(J "\"id\":1,\"method\":\"x\",\"params\":{\"_meta\":"
          "{\"progressToken\":null}}}"),
    BAD(J "\"id\":1,\"method\":\"x\",\"params\":{\"_meta\":"
          "{\"progressToken\":true}}}"),
    BAD(J "\"method\":\"x\",\"params\":{\"_meta\":"
          "{\"progressToken\":[]}}}"),
    /* roots that are not objects */
    BAD("[]"),
    BAD("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}]"),
    BAD("\"jsonrpc\""),
    BAD("1"),
    BAD("null"),
    BAD("true"),
    BAD("{}"),
};

/* Checks that s covers exactly want's bytes, or is JSON_NONE for NULL. */
static void span_is(const char *doc, struct json_span s, const char *want,
                    const char *name)
{
    if (want == NULL)
        is_int(s.type, JSON_NONE, name);
    else
        is_mem(doc + s.off, s.len, want, name);
}

static int classify_text(const char *doc, struct rpc_msg *m)
{
    struct json_span root;

    if (json_validate(doc, strlen(doc), 64, &root) != 0)
        return -1000;
    return rpc_classify(doc, root, m);
}

static void check_case(size_t i, const struct ccase *c)
{
    struct rpc_msg m;
    char name[96];
    int rc = classify_text(c->doc, &m);

    snprintf(name, sizeof(name), "case %zu: rc", i);
    is_int(rc, c->kind == RPC_INVALID ? -EINVAL : 0, name);
    snprintf(name, sizeof(name), "case %zu: kind", i);
    is_int(m.kind, c->kind, name);
    if ((rc == 0) != (c->kind != RPC_INVALID))
        printf("#   doc: %s\n", c->doc);
    if (rc != 0 || c->kind == RPC_INVALID)
        return;
    snprintf(name, sizeof(name), "case %zu: method", i);
    is_str(m.method, c->method, name);
    snprintf(name, sizeof(name), "case %zu: id span", i);
    span_is(c->doc, m.id, c->id, name);
    snprintf(name, sizeof(name), "case %zu: token span", i);
    span_is(c->doc, m.progress_token, c->token, name);
    snprintf(name, sizeof(name), "case %zu: root span", i);
    ok(m.root.off == 0 && m.root.len == strlen(c->doc) &&
           m.root.type == JSON_OBJECT,
       name);
}

static void test_table(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_case(i, &cases[i]);
}

static void test_spans(void)
{
    struct rpc_msg m;
    const char *d = J "\"id\":3,\"method\":\"x\",\"params\":{\"a\":[1]}}";

    is_int(classify_text(d, &m), 0, "request with params");
    is_mem(d + m.params.off, m.params.len, "{\"a\":[1]}", "params span");
    is_int(m.params.type, JSON_OBJECT, "params type");
    is_int(m.error.type, JSON_NONE, "request has no error span");

    d = J "\"id\":3,\"error\":{\"code\":-1,\"message\":\"m\"}}";
    is_int(classify_text(d, &m), 0, "error response");
    is_mem(d + m.error.off, m.error.len, "{\"code\":-1,\"message\":\"m\"}",
           "error span");
    is_str(m.method, "", "response method is empty");
    is_int(m.params.type, JSON_NONE, "response has no params");

    d = J "\"id\":3,\"result\":{}}";
    is_int(classify_text(d, &m), 0, "result response");
    is_int(m.error.type, JSON_NONE, "result response has no error span");
    is_int(m.progress_token.type, JSON_NONE, "response has no token");

    /* A message inside a batch array: the spans stay document offsets. */
    struct json_span root, elem;
    size_t cur = 0;
    d = "[ {\"jsonrpc\":\"2.0\",\"id\":\"q\",\"method\":\"m\"} ]";
    json_validate(d, strlen(d), 8, &root);
    json_array_next(d, root, &cur, &elem);
    is_int(rpc_classify(d, elem, &m), 0, "classify an array element");
    is_int(m.root.off, 2, "root span offset inside the array");
    is_mem(d + m.id.off, m.id.len, "\"q\"", "id span inside the array");
}

/* Builds a request whose method name is n bytes of 'm'. */
static char *long_method(size_t n)
{
    const char *head = J "\"id\":1,\"method\":\"";
    size_t hl = strlen(head);
    char *p = malloc(hl + n + 3);

    if (p == NULL)
        return NULL;
    memcpy(p, head, hl);
    memset(p + hl, 'm', n);
    memcpy(p + hl + n, "\"}", 3);
    return p;
}

static void test_method_length(void)
{
    struct rpc_msg m;
    char *p = long_method(RPC_METHOD_MAX - 1);

    is_int(classify_text(p, &m), 0, "method of RPC_METHOD_MAX - 1 bytes");
    is_int(strlen(m.method), RPC_METHOD_MAX - 1, "long method decoded");
    free(p);

    p = long_method(RPC_METHOD_MAX + 1);
    is_int(classify_text(p, &m), -EINVAL, "method over RPC_METHOD_MAX");
    is_int(m.kind, RPC_INVALID, "long method kind invalid");
    free(p);

    p = long_method(4096);
    is_int(classify_text(p, &m), -EINVAL, "method of 4096 bytes refused");
    free(p);
}

/* Validates out and checks it holds the error response fields wanted. */
static void check_error(const struct gw_buf *out, const char *id, int code,
                        const char *message, const char *what)
{
    struct json_span root, v, err;
    struct rpc_msg m;
    char name[96], text[4096];

    snprintf(name, sizeof(name), "%s: valid JSON", what);
    is_int(json_validate(out->data, out->len, 8, &root), 0, name);
    snprintf(name, sizeof(name), "%s: an error response", what);
    ok(rpc_classify(out->data, root, &m) == 0 && m.kind == RPC_RESPONSE, name);
    snprintf(name, sizeof(name), "%s: id", what);
    is_mem(out->data + m.id.off, m.id.len, id ? id : "null", name);
    err = m.error;
    json_member(out->data, err, "code", &v);
    snprintf(text, sizeof(text), "%d", code);
    snprintf(name, sizeof(name), "%s: code", what);
    is_mem(out->data + v.off, v.len, text, name);
    json_member(out->data, err, "message", &v);
    snprintf(name, sizeof(name), "%s: message round-trips", what);
    ok(json_string_decode(out->data, v, text, sizeof(text)) >= 0 &&
           strcmp(text, message) == 0,
       name);
}

static void test_error_append(void)
{
    struct gw_buf out = {0};

    is_int(
        rpc_error_append(&out, "7", 1, RPC_INVALID_REQUEST, "Invalid Request"),
        0, "error with a raw id");
    is_str(out.data,
           "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,"
           "\"message\":\"Invalid Request\"},\"id\":7}",
           "error text with id 7");
    check_error(&out, "7", RPC_INVALID_REQUEST, "Invalid Request", "id 7");
    buf_free(&out);

    is_int(rpc_error_append(&out, NULL, 0, RPC_PARSE_ERROR, "Parse error"), 0,
           "error with a NULL id");
    is_str(out.data,
           "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32700,"
           "\"message\":\"Parse error\"},\"id\":null}",
           "error text with id null");
    check_error(&out, NULL, RPC_PARSE_ERROR, "Parse error", "id null");
    buf_free(&out);

    /* The id length bounds what is copied. */
    is_int(rpc_error_append(&out, "\"a\\\"b\"garbage", 6, 1, "m"), 0,
           "error with a string id");
    ok(strstr(out.data, "\"id\":\"a\\\"b\"}") != NULL, "string id verbatim");
    ok(strstr(out.data, "garbage") == NULL, "id length respected");
    check_error(&out, "\"a\\\"b\"", 1, "m", "string id");
    buf_free(&out);

    is_int(rpc_error_append(&out, "9007199254740993", 16, RPC_INTERNAL_ERROR,
                            "say \"hi\"\nback\\slash\ttab"),
           0, "error with escapes");
    ok(strstr(out.data,
              "\"message\":\"say \\\"hi\\\"\\nback\\\\slash\\ttab\"") != NULL,
       "message escaped");
    ok(strchr(out.data, '\n') == NULL, "no raw newline in the output");
    check_error(&out, "9007199254740993", RPC_INTERNAL_ERROR,
                "say \"hi\"\nback\\slash\ttab", "escapes");
    buf_free(&out);

    is_int(rpc_error_append(&out, "1", 1, 2, "bad \xff byte \x01"), 0,
           "error with invalid UTF-8 and a control byte");
    check_error(&out, "1", 2, "bad \xef\xbf\xbd byte \x01", "bad UTF-8");
    buf_free(&out);

    is_int(rpc_error_append(&out, "1", 1, 3, "100% %s %n"), 0,
           "error with printf directives in the message");
    check_error(&out, "1", 3, "100% %s %n", "percent signs");
    buf_free(&out);

    /* Appends after what the buffer holds. */
    buf_append_str(&out, "prefix:");
    is_int(rpc_error_append(&out, "2", 1, -1, ""), 0, "append after text");
    is_str(out.data,
           "prefix:{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-1,"
           "\"message\":\"\"},\"id\":2}",
           "prefix kept, empty message");
    buf_free(&out);

    /* A message longer than any first guess at the buffer size. */
    char big[3001];
    memset(big, '"', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    is_int(rpc_error_append(&out, "3", 1, -5, big), 0, "long message");
    check_error(&out, "3", -5, big, "long message");
    buf_free(&out);
}

static void test_splice(void)
{
    const char *d = "  {\"id\":12,\"x\":[1,2],\"t\":\"tok\"}  ";
    struct json_span whole = {2, strlen(d) - 4, JSON_OBJECT};
    struct json_span id = {8, 2, JSON_NUMBER};   /* 12 */
    struct json_span tok = {25, 5, JSON_STRING}; /* "tok" */
    struct json_span none = {0, 0, JSON_NONE};
    struct gw_buf out = {0};

    is_mem(d + id.off, id.len, "12", "fixture: id span");
    is_mem(d + tok.off, tok.len, "\"tok\"", "fixture: token span");

    is_int(rpc_splice(&out, d, whole, NULL, 0), 0, "splice zero edits");
    is_str(out.data, "{\"id\":12,\"x\":[1,2],\"t\":\"tok\"}", "copy of whole");
    buf_free(&out);

    struct rpc_edit one = {id, "\"caller\"", 8};
    is_int(rpc_splice(&out, d, whole, &one, 1), 0, "splice one edit");
    is_str(out.data, "{\"id\":\"caller\",\"x\":[1,2],\"t\":\"tok\"}",
           "one edit applied");
    buf_free(&out);

    struct rpc_edit two[2] = {{id, "5", 1}, {tok, "5", 1}};
    is_int(rpc_splice(&out, d, whole, two, 2), 0, "splice two edits");
    is_str(out.data, "{\"id\":5,\"x\":[1,2],\"t\":5}", "two edits applied");
    buf_free(&out);

    struct rpc_edit rev[2] = {{tok, "\"T\"", 3}, {id, "77", 2}};
    is_int(rpc_splice(&out, d, whole, rev, 2), 0, "edits out of order");
    is_str(out.data, "{\"id\":77,\"x\":[1,2],\"t\":\"T\"}",
           "out-of-order edits applied");
    buf_free(&out);

    struct rpc_edit skip[2] = {{none, "ZZZ", 3}, {tok, "0", 1}};
    is_int(rpc_splice(&out, d, whole, skip, 2), 0, "a JSON_NONE edit");
    is_str(out.data, "{\"id\":12,\"x\":[1,2],\"t\":0}", "JSON_NONE skipped");
    buf_free(&out);

    struct rpc_edit skip2[2] = {{tok, "0", 1}, {none, "ZZZ", 3}};
    is_int(rpc_splice(&out, d, whole, skip2, 2), 0, "JSON_NONE edit last");
    is_str(out.data, "{\"id\":12,\"x\":[1,2],\"t\":0}",
           "trailing JSON_NONE skipped");
    buf_free(&out);

    struct rpc_edit nones[2] = {{none, "A", 1}, {none, "B", 1}};
    is_int(rpc_splice(&out, d, whole, nones, 2), 0, "two JSON_NONE edits");
    is_str(out.data, "{\"id\":12,\"x\":[1,2],\"t\":\"tok\"}",
           "all-NONE edits copy whole");
    buf_free(&out);

    /* Edits at both ends of whole, and an edit that deletes. */
    struct json_span first = {2, 1, JSON_OBJECT};
    struct json_span last = {whole.off + whole.len - 1, 1, JSON_OBJECT};
    struct rpc_edit ends[2] = {{last, "]", 1}, {first, "[", 1}};
    is_int(rpc_splice(&out, d, whole, ends, 2), 0, "edits at both ends");
    is_str(out.data, "[\"id\":12,\"x\":[1,2],\"t\":\"tok\"]", "ends replaced");
    buf_free(&out);

    struct rpc_edit del = {{10, 11, JSON_ARRAY}, "", 0};
    is_mem(d + del.at.off, del.at.len, ",\"x\":[1,2],", "fixture: deletion");
    is_int(rpc_splice(&out, d, whole, &del, 1), 0, "an empty replacement");
    is_str(out.data, "{\"id\":12\"t\":\"tok\"}", "bytes deleted");
    buf_free(&out);

    buf_append_str(&out, "head|");
    is_int(rpc_splice(&out, d, whole, &one, 1), 0, "splice after text");
    is_str(out.data, "head|{\"id\":\"caller\",\"x\":[1,2],\"t\":\"tok\"}",
           "splice appends");
    buf_free(&out);
}

static void test_versions(void)
{
    static const char *const want[] = {
        "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", "2024-10-07",
    };
    size_t n = 0;
    char name[64];

    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        snprintf(name, sizeof(name), "%s supported", want[i]);
        ok(rpc_version_supported(want[i]), name);
    }
    while (rpc_versions[n])
        n++;
    is_int(n, sizeof(want) / sizeof(want[0]), "rpc_versions length");
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "rpc_versions[%zu] supported", i);
        ok(rpc_version_supported(rpc_versions[i]), name);
    }
    for (size_t i = 1; i < n; i++) {
        snprintf(name, sizeof(name), "rpc_versions[%zu] older", i);
        ok(strcmp(rpc_versions[i - 1], rpc_versions[i]) > 0, name);
    }
    ok(!rpc_version_supported("2025-01-01"), "2025-01-01 refused");
    ok(!rpc_version_supported(""), "empty version refused");
    ok(!rpc_version_supported("2025-06-18 "), "trailing space refused");
    ok(!rpc_version_supported("2025-06-1"), "prefix refused");
    ok(!rpc_version_supported("2.0"), "2.0 refused");
}

int main(void)
{
    test_table();
    test_spans();
    test_method_length();
    test_error_append();
    test_splice();
    test_versions();
    return tap_done();
}
