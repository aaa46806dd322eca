/* SPDX-License-Identifier: MIT */
/* POST on the MCP endpoint: checks, batches, and the answer stream. */
#include "mcpgw/streamable.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mcpgw/log.h"
#include "mcpgw/sse.h"

#define BATCH_MAX     100
#define BATCH_VERSION "2025-03-26" /* the only version with batches */

/* One call of an exchange, answered by the child or the gateway. */
struct call {
    struct rt_entry *entry; /* borrowed from the router while in flight */
    struct gw_buf reply;    /* owned: JSON mode keeps replies until all
                               are in */
    bool done;
};

/* One POST that carries at least one request. */
struct exchange {
    struct streamable *sm; /* borrowed */
    struct http_req *req;  /* borrowed until released */
    bool json_mode, batch, started;
    unsigned ncalls, nanswered, nnotready;
    struct call calls[];
};

static void on_reply(void *owner, unsigned slot, enum rt_fail why,
                     const char *msg, size_t len);
static void on_notify(void *owner, unsigned slot, const char *msg, size_t len);

static const struct rt_caller_ops exchange_ops = {on_reply, on_notify};

/* --- the answer --------------------------------------------------------- */

static void start_stream(struct exchange *ex)
{
    if (ex->started)
        return;
    ex->started = true;
    http_add_header(ex->req, "Cache-Control", "no-cache, no-transform");
    http_add_header(ex->req, "X-Accel-Buffering", "no");
    http_stream_start(ex->req, 200, "text/event-stream");
}

static void send_event(struct exchange *ex, const char *msg, size_t len)
{
    struct gw_buf ev = {0};

    start_stream(ex);
    if (sse_event(&ev, "message", NULL, msg, len) == 0)
        http_stream_write(ex->req, ev.data, ev.len);
    buf_free(&ev);
}

/* JSON mode: one object, or an array in request order for a batch. */
static void send_json(struct exchange *ex)
{
    struct gw_buf out = {0};

    if (ex->batch)
        buf_append(&out, "[", 1);
    for (unsigned i = 0; i < ex->ncalls; i++) {
        if (i > 0)
            buf_append(&out, ",", 1);
        buf_append(&out, ex->calls[i].reply.data, ex->calls[i].reply.len);
    }
    if (ex->batch)
        buf_append(&out, "]", 1);
    http_respond(ex->req, 200, "application/json", out.data ? out.data : "",
                 out.len);
    buf_free(&out);
}

static void all_not_ready(struct exchange *ex, const char *msg, size_t len)
{
    /* Nothing was sent yet, so the status can still say it: 503. */
    http_respond(ex->req, 503, "application/json", msg, len);
}

static void on_reply(void *owner, unsigned slot, enum rt_fail why,
                     const char *msg, size_t len)
{
    struct exchange *ex = owner;
    struct call *c = &ex->calls[slot];

    c->entry = NULL;
    c->done = true;
    ex->nanswered++;
    if (why == RT_FAIL_NOTREADY)
        ex->nnotready++;
    if (!ex->json_mode) {
        if (!ex->started && ex->nnotready == ex->ncalls) {
            all_not_ready(ex, msg, len);
            return;
        }
        send_event(ex, msg, len);
        if (ex->nanswered == ex->ncalls)
            http_stream_end(ex->req);
        return;
    }
    buf_append(&c->reply, msg, len);
    if (ex->nanswered < ex->ncalls)
        return;
    if (!ex->batch && ex->nnotready == 1)
        all_not_ready(ex, msg, len);
    else
        send_json(ex);
}

static void on_notify(void *owner, unsigned slot, const char *msg, size_t len)
{
    struct exchange *ex = owner;

    /* A JSON body has no place for notifications (the SDK drops them
     * too); SSE carries them before the reply. */
    if (!ex->json_mode)
        send_event(ex, msg, len);
}

static void release(void *data, bool aborted)
{
    struct exchange *ex = data;

    for (unsigned i = 0; i < ex->ncalls; i++) {
        if (ex->calls[i].entry)
            backend_cancel(ex->sm->backend, ex->calls[i].entry,
                           "client disconnected");
        buf_free(&ex->calls[i].reply);
    }
    free(ex);
}

/* --- checks --------------------------------------------------------- */

static bool media_type_is(const char *value, const char *type)
{
    size_t n = strlen(type);

    if (value == NULL)
        return false;
    while (*value == ' ' || *value == '\t')
        value++;
    if (strncasecmp(value, type, n) != 0)
        return false;
    value += n;
    while (*value == ' ' || *value == '\t')
        value++;
    return *value == '\0' || *value == ';';
}

static bool accepts_both(const char *accept)
{
    return accept && strstr(accept, "application/json") &&
           strstr(accept, "text/event-stream");
}

static void bad_version(struct http_req *r, const char *version)
{
    char msg[256];

    snprintf(msg, sizeof(msg),
             "Bad Request: Unsupported protocol version: %.32s (supported "
             "versions: 2025-11-25, 2025-06-18, 2025-03-26, 2024-11-05, "
             "2024-10-07)",
             version);
    http_respond_error(r, 400, RPC_CONNECTION_CLOSED, msg);
}

/* The transport checks, in the SDK's order. True when r may go on. */
static bool check_headers(struct streamable *sm, struct http_req *r)
{
    const char *version = http_header(r, "MCP-Protocol-Version");

    if (!gate_admit(sm->gate, r))
        return false;
    if (strcmp(http_method(r), "POST") != 0) {
        http_add_header(r, "Allow", "POST");
        http_respond_error(r, 405, RPC_CONNECTION_CLOSED,
                           "Method not allowed.");
        return false;
    }
    if (!accepts_both(http_header(r, "Accept"))) {
        http_respond_error(r, 406, RPC_CONNECTION_CLOSED,
                           "Not Acceptable: Client must accept both "
                           "application/json and text/event-stream");
        return false;
    }
    if (!media_type_is(http_header(r, "Content-Type"), "application/json")) {
        http_respond_error(r, 415, RPC_CONNECTION_CLOSED,
                           "Unsupported Media Type: Content-Type must be "
                           "application/json");
        return false;
    }
    if (version && !rpc_version_supported(version)) {
        bad_version(r, version);
        return false;
    }
    return true;
}

/* --- the body ------------------------------------------------------- */

struct parsed {
    const char *doc;
    struct json_span root;
    bool batch;
    size_t n; /* messages */
    size_t nrequests;
    struct rpc_msg *msgs; /* &one, or owned for a batch */
    struct rpc_msg one;
};

static int invalid(struct http_req *r, int code, const char *message)
{
    http_respond_error(r, 400, code, message);
    return -EINVAL;
}

static int check_batch(struct http_req *r, struct parsed *p)
{
    const char *version = http_header(r, "MCP-Protocol-Version");
    size_t n = json_array_len(p->doc, p->root);
    char msg[128];

    if (version && strcmp(version, BATCH_VERSION) != 0) {
        snprintf(msg, sizeof(msg),
                 "Invalid Request: batches are not allowed in protocol "
                 "version %s",
                 version);
        return invalid(r, RPC_INVALID_REQUEST, msg);
    }
    if (n == 0)
        return invalid(r, RPC_INVALID_REQUEST, "Invalid Request: empty batch");
    if (n > BATCH_MAX)
        return invalid(r, RPC_INVALID_REQUEST,
                       "Invalid Request: Batch must not exceed 100 messages");
    p->msgs = calloc(n, sizeof(*p->msgs));
    if (p->msgs == NULL) {
        http_respond_error(r, 500, RPC_INTERNAL_ERROR,
                           "Internal error: out of memory");
        return -ENOMEM;
    }
    return 0;
}

static int classify_all(struct http_req *r, struct parsed *p)
{
    struct json_span v = p->root;
    size_t cursor = 0;

    p->n = 0;
    while (p->batch ? json_array_next(p->doc, p->root, &cursor, &v)
                    : p->n == 0) {
        struct rpc_msg *m = &p->msgs[p->n++];
        if (rpc_classify(p->doc, v, m) < 0)
            return invalid(r, RPC_PARSE_ERROR,
                           "Parse error: Invalid JSON-RPC message");
        if (m->kind == RPC_REQUEST)
            p->nrequests++;
        if (p->batch && strcmp(m->method, "initialize") == 0 &&
            json_array_len(p->doc, p->root) > 1)
            return invalid(r, RPC_INVALID_REQUEST,
                           "Invalid Request: Only one initialization "
                           "request is allowed");
    }
    return 0;
}

static int parse_body(struct http_req *r, struct parsed *p, unsigned max_depth)
{
    const struct gw_buf *body = http_body(r);

    p->doc = body->data ? body->data : "";
    p->msgs = &p->one;
    char msg[80];
    int rc = json_validate(p->doc, body->len, max_depth, &p->root);

    if (rc == -JSON_EDEPTH) {
        snprintf(msg, sizeof(msg),
                 "Parse error: JSON nested deeper than %u levels", max_depth);
        return invalid(r, RPC_PARSE_ERROR, msg);
    }
    if (rc < 0)
        return invalid(r, RPC_PARSE_ERROR, "Parse error: Invalid JSON");
    p->batch = p->root.type == JSON_ARRAY;
    if (p->batch && check_batch(r, p) < 0)
        return -EINVAL;
    return classify_all(r, p);
}

/* Client notifications and responses on a shared child go no further:
 * the child was initialized by the gateway, and a cancellation names an
 * id that only its sender can tell apart from other clients' ids. */
static void absorb(const struct parsed *p)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->msgs[i].kind != RPC_REQUEST)
            log_debug("mcp", "absorbed %s",
                      p->msgs[i].kind == RPC_RESPONSE ? "a response"
                                                      : p->msgs[i].method);
}

/* --- calls ---------------------------------------------------------- */

static const char *refusal(int rc, unsigned *status)
{
    *status = 503;
    switch (rc) {
    case -EBUSY:
        return "Too many requests in flight";
    case -ENOBUFS:
        return "MCP server is not reading its input";
    case -ESHUTDOWN:
        return "Gateway is shutting down";
    default:
        *status = 500;
        return "Internal error: out of memory";
    }
}

/* Starts one call; a refusal becomes that call's in-band error. */
static int start_call(struct exchange *ex, const struct parsed *p,
                      const struct rpc_msg *m, unsigned slot)
{
    struct call *c = &ex->calls[slot];
    unsigned status;
    int rc = backend_call(ex->sm->backend, p->doc, m, &exchange_ops, ex, slot,
                          &c->reply, &c->entry);

    if (rc == 0 || rc == BACKEND_ANSWERED)
        return rc;
    buf_reset(&c->reply);
    rpc_error_append(&c->reply, p->doc + m->id.off, m->id.len,
                     RPC_CONNECTION_CLOSED, refusal(rc, &status));
    return rc;
}

static struct exchange *exchange_new(struct streamable *sm, struct http_req *r,
                                     unsigned n)
{
    struct exchange *ex = calloc(1, sizeof(*ex) + n * sizeof(struct call));

    if (ex == NULL)
        return NULL;
    ex->sm = sm;
    ex->req = r;
    ex->ncalls = n;
    ex->json_mode = sm->cfg->json_response;
    return ex;
}

/* Sends what is known now; the rest comes through on_reply. */
static void answer_now(struct exchange *ex)
{
    bool waiting_only = true;

    for (unsigned i = 0; i < ex->ncalls; i++) {
        struct call *c = &ex->calls[i];
        if (c->entry && c->entry->state == RT_SENT)
            waiting_only = false;
        if (!c->done)
            continue;
        waiting_only = false;
        if (!ex->json_mode)
            send_event(ex, c->reply.data, c->reply.len);
    }
    if (ex->nanswered == ex->ncalls) {
        if (ex->json_mode)
            send_json(ex);
        else
            http_stream_end(ex->req);
        return;
    }
    if (ex->json_mode || waiting_only)
        http_suspend(ex->req);
    else
        start_stream(ex);
}

static void run_calls(struct streamable *sm, struct http_req *r,
                      const struct parsed *p)
{
    struct exchange *ex = exchange_new(sm, r, (unsigned)p->nrequests);
    unsigned slot = 0, status;
    int rc = 0;

    if (ex == NULL) {
        http_respond_error(r, 500, RPC_INTERNAL_ERROR,
                           "Internal error: out of memory");
        return;
    }
    for (size_t i = 0; i < p->n; i++) {
        if (p->msgs[i].kind != RPC_REQUEST)
            continue;
        rc = start_call(ex, p, &p->msgs[i], slot);
        if (rc != 0) {
            ex->calls[slot].done = true;
            ex->nanswered++;
        }
        slot++;
    }
    if (!p->batch && rc < 0) {
        /* A lone request that could not start: say so in the status. */
        refusal(rc, &status);
        http_respond(r, status, "application/json", ex->calls[0].reply.data,
                     ex->calls[0].reply.len);
        release(ex, false);
        return;
    }
    http_set_owner(r, ex, release);
    answer_now(ex);
}

void streamable_handle(struct http_req *r, void *arg)
{
    struct streamable *sm = arg;
    struct parsed p = {0};

    if (!check_headers(sm, r))
        return;
    if (parse_body(r, &p, sm->cfg->max_json_depth) == 0) {
        if (p.batch)
            http_note_rpc(r, "batch");
        else
            http_note_rpc(r, p.msgs[0].kind == RPC_RESPONSE ? "response"
                                                            : p.msgs[0].method);
        absorb(&p);
        if (p.nrequests == 0)
            http_respond(r, 202, NULL, "", 0);
        else
            run_calls(sm, r, &p);
    }
    if (p.msgs != &p.one)
        free(p.msgs);
}
