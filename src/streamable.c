/* SPDX-License-Identifier: MIT */
/* POST on the MCP endpoint: checks, batches, and the answer stream. */
#include "mcpgw/streamable.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mcpgw/log.h"
#include "mcpgw/session.h"
#include "mcpgw/sse.h"
#include "mcpgw/stream.h"

#define BATCH_MAX      100
#define BATCH_VERSION  "2025-03-26" /* the only version with batches */
#define RESUME_VERSION "2025-11-25" /* the first with priming events */

/* One call of an exchange, answered by the child or the gateway. */
struct call {
    struct rt_entry *entry; /* borrowed from the router while in flight */
    struct gw_buf reply;    /* owned: JSON mode keeps replies until all
                               are in */
    bool done;
};

/* One POST that carries at least one request. */
struct exchange {
    struct streamable *sm;    /* borrowed */
    struct backend *backend;  /* borrowed: the session's, else NULL */
    struct pool *pool;        /* borrowed: the shared children, else NULL */
    struct session *session;  /* borrowed while attached, else NULL */
    struct session_sink sink; /* server messages of the session */
    struct stream *stream;    /* borrowed from the session: the answer,
                                 when the client may resume it */
    struct stream_attach att; /* the POST's connection on stream */
    struct http_req *req;     /* borrowed until released, then NULL */
    bool json_mode, batch, started;
    unsigned ncalls, nanswered, nnotready;
    struct call calls[];
};

static void on_reply(void *owner, unsigned slot, enum rt_fail why,
                     const char *msg, size_t len);
static void on_notify(void *owner, unsigned slot, const char *msg, size_t len);
static int on_server_message(void *owner, unsigned slot, const char *method,
                             const char *msg, size_t len);

static const struct rt_caller_ops exchange_ops = {on_reply, on_notify,
                                                  on_server_message};

/* --- the answer --------------------------------------------------------- */

/* What every SSE answer carries, so proxies pass events at once. */
static void stream_headers(struct http_req *r, const struct session *s)
{
    http_add_header(r, "Cache-Control", "no-cache, no-transform");
    http_add_header(r, "X-Accel-Buffering", "no");
    if (s)
        http_add_header(r, "Mcp-Session-Id", s->id);
}

static void start_stream(struct exchange *ex)
{
    if (ex->started || ex->req == NULL)
        return;
    ex->started = true;
    stream_headers(ex->req, NULL);
    http_stream_start(ex->req, 200, "text/event-stream");
    /* The cursor comes first, so a connection lost at once can resume. */
    if (ex->stream)
        stream_prime(ex->stream, ex->sm->cfg->sse_retry);
}

static void send_event(struct exchange *ex, const char *msg, size_t len)
{
    struct gw_buf ev = {0};

    start_stream(ex);
    if (ex->stream) {
        stream_send(ex->stream, msg, len);
        return;
    }
    if (ex->req && sse_event(&ev, "message", NULL, msg, len) == 0)
        http_stream_write(ex->req, ev.data, ev.len);
    buf_free(&ev);
}

/* The last event is out: end whichever connection carries the stream. */
static void end_stream(struct exchange *ex)
{
    if (ex->stream) {
        stream_finish(ex->stream);
        ex->stream = NULL;
    } else if (ex->req) {
        http_stream_end(ex->req);
    }
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

static void detach(struct exchange *ex)
{
    if (ex->session)
        session_detach(ex->session, &ex->sink);
    ex->session = NULL;
}

static void exchange_free(struct exchange *ex)
{
    for (unsigned i = 0; i < ex->ncalls; i++)
        buf_free(&ex->calls[i].reply);
    free(ex);
}

static void on_reply(void *owner, unsigned slot, enum rt_fail why,
                     const char *msg, size_t len)
{
    struct exchange *ex = owner;

    if (ex->nanswered + 1 == ex->ncalls)
        detach(ex); /* its stream is about to end */
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
        if (ex->nanswered < ex->ncalls)
            return;
        end_stream(ex);
        /* Nobody holds a connection any more: the ring keeps the rest. */
        if (ex->req == NULL)
            exchange_free(ex);
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

/* A shared child's own message, made during this exchange's call. */
static int on_server_message(void *owner, unsigned slot, const char *method,
                             const char *msg, size_t len)
{
    struct exchange *ex = owner;

    if (ex->json_mode)
        return -EPIPE; /* no place for it in a JSON body */
    /* Without a session the client's capabilities are unknown, and the
     * request goes out: a client that cannot answer says so itself. */
    if (ex->session && (rpc_cap_needed(method) & ~ex->session->caps))
        return -ENOTSUP;
    send_event(ex, msg, len);
    return 0;
}

/*
 * The POST's connection is done. A client that may resume its stream
 * has not cancelled anything by losing it (the spec says as much), so
 * its calls go on and their events wait in the stream's ring; for the
 * others, a lost connection is the end of the calls.
 */
static void release(void *data, bool aborted)
{
    struct exchange *ex = data;

    ex->req = NULL;
    if (ex->stream) {
        stream_detach(ex->stream);
        if (ex->nanswered < ex->ncalls) {
            log_debug("mcp", "stream %u lost its connection; its calls go on",
                      ex->stream->number);
            return;
        }
    }
    detach(ex);
    for (unsigned i = 0; i < ex->ncalls; i++)
        if (ex->calls[i].entry && ex->pool)
            pool_cancel(ex->pool, ex->calls[i].entry, "client disconnected");
        else if (ex->calls[i].entry)
            backend_cancel(ex->backend, ex->calls[i].entry,
                           "client disconnected");
    exchange_free(ex);
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

/* A substring test, as the SDK does: "* / *" is not enough for it. */
static bool accepts(const char *accept, const char *type)
{
    return accept && strstr(accept, type);
}

static bool accepts_both(const char *accept)
{
    return accepts(accept, "application/json") &&
           accepts(accept, "text/event-stream");
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
static bool check_post_headers(struct http_req *r)
{
    const char *version = http_header(r, "MCP-Protocol-Version");

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

/* Client notifications on a shared child go no further: the child was
 * initialized by the gateway, and a cancellation names an id that only
 * its sender can tell apart from other clients' ids. A response answers
 * a request of a child's, under the gateway's id for it. */
static void absorb(struct pool *pool, const struct parsed *p)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->msgs[i].kind == RPC_RESPONSE)
            pool_answer(pool, p->doc, &p->msgs[i]);
        else if (p->msgs[i].kind == RPC_NOTIFICATION)
            log_debug("mcp", "absorbed %s", p->msgs[i].method);
}

/* --- calls ---------------------------------------------------------- */

/* Starts one call; a refusal becomes that call's in-band error. */
static int start_call(struct exchange *ex, const struct parsed *p,
                      const struct rpc_msg *m, unsigned slot)
{
    struct call *c = &ex->calls[slot];
    unsigned status;
    int rc = ex->pool ? pool_call(ex->pool, p->doc, m, &exchange_ops, ex, slot,
                                  &c->reply, &c->entry)
                      : backend_call(ex->backend, p->doc, m, &exchange_ops, ex,
                                     slot, &c->reply, &c->entry);

    if (rc == 0 || rc == BACKEND_ANSWERED)
        return rc;
    buf_reset(&c->reply);
    rpc_error_append(&c->reply, p->doc + m->id.off, m->id.len,
                     RPC_CONNECTION_CLOSED, backend_refusal(rc, &status));
    return rc;
}

/* A server message of the session, on this POST's stream. */
static int sink_deliver(struct session_sink *sink, const char *msg, size_t len)
{
    struct exchange *ex =
        (struct exchange *)((char *)sink - offsetof(struct exchange, sink));

    send_event(ex, msg, len);
    return 0;
}

/*
 * The session ended: its calls are failed next, which ends the POST's
 * own connection if it is still there; the session forgets its streams.
 */
static void sink_close(struct session_sink *sink)
{
    struct exchange *ex =
        (struct exchange *)((char *)sink - offsetof(struct exchange, sink));

    ex->session = NULL;
    if (ex->stream)
        stream_detach(ex->stream);
    ex->stream = NULL;
}

/*
 * Whether the client speaks a version with resumable streams: the one
 * its initialize asked for, as the SDK decides, else the header's.
 */
static bool may_resume(const struct streamable *sm, struct http_req *r,
                       const struct session *s)
{
    const char *version = http_header(r, "MCP-Protocol-Version");

    if (s == NULL || sm->cfg->json_response)
        return false;
    if (s->version[0])
        version = s->version;
    return version && strcmp(version, RESUME_VERSION) >= 0;
}

static struct exchange *exchange_new(struct streamable *sm, struct http_req *r,
                                     struct session *session, unsigned n)
{
    struct exchange *ex = calloc(1, sizeof(*ex) + n * sizeof(struct call));

    if (ex == NULL)
        return NULL;
    ex->sm = sm;
    ex->req = r;
    ex->ncalls = n;
    ex->json_mode = sm->cfg->json_response;
    ex->backend = session && !session->shared ? &session->backend : NULL;
    ex->pool = ex->backend ? NULL : sm->pool;
    /* Only an SSE answer can carry the server's own messages. */
    if (session && !ex->json_mode) {
        ex->session = session;
        ex->sink =
            (struct session_sink){.deliver = sink_deliver, .close = sink_close};
        session_attach(session, &ex->sink);
    }
    if (may_resume(sm, r, session) &&
        (ex->stream = session_stream_new(session)) != NULL) {
        ex->att.req = r;
        stream_attach(ex->stream, &ex->att);
    }
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
        detach(ex);
        if (ex->json_mode)
            send_json(ex);
        else
            end_stream(ex);
        return;
    }
    if (ex->json_mode || waiting_only)
        http_suspend(ex->req);
    else
        start_stream(ex);
}

static void run_calls(struct streamable *sm, struct http_req *r,
                      struct session *session, const struct parsed *p)
{
    struct exchange *ex = exchange_new(sm, r, session, (unsigned)p->nrequests);
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
        backend_refusal(rc, &status);
        http_respond(r, status, "application/json", ex->calls[0].reply.data,
                     ex->calls[0].reply.len);
        if (ex->stream) {
            stream_detach(ex->stream); /* nothing was sent on it */
            ex->stream->finished = true;
        }
        ex->stream = NULL;
        release(ex, false);
        return;
    }
    http_set_owner(r, ex, release);
    answer_now(ex);
}

/* --- sessions (--stateful) -------------------------------------------- */

static bool is_initialize(const struct parsed *p)
{
    return !p->batch && p->msgs[0].kind == RPC_REQUEST &&
           strcmp(p->msgs[0].method, "initialize") == 0;
}

/*
 * 405, as the SDK answers. GET (a resume, and under --stateful the
 * session's stream) and DELETE need a session, so they are listed even
 * where this request had none.
 */
static void not_allowed(struct http_req *r)
{
    http_add_header(r, "Allow", "GET, POST, DELETE");
    http_respond_error(r, 405, RPC_CONNECTION_CLOSED, "Method not allowed.");
}

/* The session named by the request's header: 400 without, 404 unknown. */
static struct session *named_session(struct streamable *sm, struct http_req *r)
{
    const char *id = http_header(r, "Mcp-Session-Id");
    struct session *s;

    if (id == NULL) {
        http_respond_error(r, 400, RPC_CONNECTION_CLOSED,
                           "Bad Request: Mcp-Session-Id header is required");
        return NULL;
    }
    s = session_find(sm->sessions, id);
    if (s == NULL)
        /* 404, never 400: clients start a new session only on 404. */
        http_respond_error(r, 404, RPC_SESSION_NOT_FOUND, "Session not found");
    return s;
}

static struct session *open_session(struct streamable *sm, struct http_req *r,
                                    const struct parsed *p)
{
    int err;
    struct session *s = session_new(sm->sessions, &err);
    struct gw_buf body = {0};

    if (s != NULL)
        return s;
    rpc_error_append(&body, p->doc + p->msgs[0].id.off, p->msgs[0].id.len,
                     RPC_CONNECTION_CLOSED,
                     err == -EBUSY ? "Too many sessions"
                                   : "Internal error: cannot start a session");
    http_respond(r, err == -EBUSY ? 503 : 500, "application/json", body.data,
                 body.len);
    buf_free(&body);
    return NULL;
}

/* What a session's initialize asked for: the version its streams
 * follow, the capabilities the server may use. */
static void note_version(struct session *s, const struct parsed *p)
{
    struct json_span v;
    const struct rpc_msg *m = &p->msgs[0];

    s->caps = rpc_declared_caps(p->doc, m);
    if (m->params.type != JSON_OBJECT ||
        json_member(p->doc, m->params, "protocolVersion", &v) != 1 ||
        json_string_decode(p->doc, v, s->version, sizeof(s->version)) < 0)
        s->version[0] = '\0';
}

/*
 * Without --stateful a session is optional: a full table, or an id this
 * gateway never gave (another replica's, or one from before a restart),
 * leaves the request without one, as it would be with no session at all;
 * only an id that ended here gets 404, as the spec asks.
 */
static int shared_session(struct streamable *sm, struct http_req *r,
                          const struct parsed *p, struct session **s)
{
    const char *id = http_header(r, "Mcp-Session-Id");
    int err;

    *s = NULL;
    if (id == NULL && is_initialize(p)) {
        if ((*s = session_new(sm->sessions, &err)) == NULL)
            log_debug("mcp", "initialize without a session: %s",
                      err == -EBUSY ? "--max-sessions reached"
                                    : strerror(-err));
        return 0;
    }
    if (id == NULL || (*s = session_find(sm->sessions, id)) != NULL)
        return 0;
    if (!session_ended_recently(sm->sessions, id))
        return 0;
    http_respond_error(r, 404, RPC_SESSION_NOT_FOUND, "Session not found");
    return -1;
}

/*
 * Which session a POST belongs to, in *s (NULL for none). Returns 0, or
 * -1 when the request has been answered.
 */
static int post_session(struct streamable *sm, struct http_req *r,
                        const struct parsed *p, struct session **s)
{
    if (!sm->cfg->stateful) {
        if (shared_session(sm, r, p, s) < 0)
            return -1;
    } else if (http_header(r, "Mcp-Session-Id") == NULL && is_initialize(p)) {
        if ((*s = open_session(sm, r, p)) == NULL)
            return -1;
    } else if ((*s = named_session(sm, r)) == NULL) {
        return -1;
    }
    if (*s && is_initialize(p) && http_header(r, "Mcp-Session-Id")) {
        http_respond_error(r, 400, RPC_INVALID_REQUEST,
                           "Invalid Request: Server already initialized");
        return -1;
    }
    if (*s)
        http_add_header(r, "Mcp-Session-Id", (*s)->id);
    if (*s && is_initialize(p))
        note_version(*s, p);
    return 0;
}

/* A session's notifications and responses go to its child. */
static void forward_rest(struct session *s, const struct parsed *p)
{
    for (size_t i = 0; i < p->n; i++) {
        if (p->msgs[i].kind == RPC_REQUEST)
            continue;
        int rc = backend_forward(&s->backend, p->doc, &p->msgs[i]);
        if (rc < 0)
            log_info("mcp", "%.8s: could not pass %s on: %s", s->id,
                     p->msgs[i].kind == RPC_RESPONSE ? "a response"
                                                     : p->msgs[i].method,
                     strerror(-rc));
    }
}

/*
 * A GET on a session: its stream of server messages outside any call
 * (a SINK_GET), or a resumed stream of a POST (a SINK_RESUME).
 */
struct get_conn {
    struct session_sink sink; /* first: the sink is the connection */
    struct stream_attach att; /* the stream it carries */
    struct session *session;  /* borrowed; NULL once it ended */
    struct http_req *req;     /* borrowed until released */
};

static int get_deliver(struct session_sink *sink, const char *msg, size_t len)
{
    struct get_conn *g = (struct get_conn *)sink;

    if (g->att.st == NULL)
        return -EPIPE;
    /* Kept in the ring even if the write fails: a resume replays it. */
    return stream_send(g->att.st, msg, len) < 0 ? -EPIPE : 0;
}

static void get_close(struct session_sink *sink)
{
    struct get_conn *g = (struct get_conn *)sink;

    g->session = NULL;
    if (g->att.st)
        stream_detach(g->att.st);
    http_stream_end(g->req);
}

static void get_release(void *data, bool aborted)
{
    struct get_conn *g = data;

    if (g->att.st)
        stream_detach(g->att.st);
    if (g->session)
        session_detach(g->session, &g->sink);
    free(g);
}

static struct get_conn *get_conn_new(struct http_req *r, struct session *s,
                                     enum session_sink_kind kind)
{
    struct get_conn *g = calloc(1, sizeof(*g));

    if (g == NULL) {
        http_respond_error(r, 500, RPC_INTERNAL_ERROR,
                           "Internal error: out of memory");
        return NULL;
    }
    *g = (struct get_conn){
        .sink = {.deliver = get_deliver, .close = get_close, .kind = kind},
        .att = {.req = r},
        .session = s,
        .req = r,
    };
    http_set_owner(r, g, get_release);
    stream_headers(r, s);
    http_stream_start(r, 200, "text/event-stream");
    return g;
}

/* Attaches g to st and to the session (a GET sink flushes held ones). */
static void get_conn_attach(struct get_conn *g, struct stream *st)
{
    stream_attach(st, &g->att);
    session_attach(g->session, &g->sink);
}

/* Answers a Last-Event-ID that cannot be resumed; true when it did. */
static bool refuse_cursor(struct http_req *r, struct session *s,
                          const char *cursor, struct stream **st,
                          uint64_t *after)
{
    unsigned number;

    if (stream_parse_id(cursor, &number, after) < 0 ||
        (*st = session_stream_find(s, number)) == NULL) {
        http_respond_error(r, 400, RPC_CONNECTION_CLOSED,
                           "Bad Request: Invalid event ID format");
        return true;
    }
    if ((*st)->att || (number == 0 && session_has_get(s))) {
        http_respond_error(r, 409, RPC_CONNECTION_CLOSED,
                           "Conflict: Stream already has an active "
                           "connection");
        return true;
    }
    if (stream_replay_check(*st, *after) < 0) {
        http_respond_error(r, 400, RPC_CONNECTION_CLOSED,
                           "Bad Request: Event ID is no longer available");
        return true;
    }
    return false;
}

/* GET with Last-Event-ID: the events after it, then the stream goes on. */
static void resume_get(struct http_req *r, struct session *s,
                       const char *cursor)
{
    struct stream *st;
    uint64_t after;
    struct get_conn *g;

    if (refuse_cursor(r, s, cursor, &st, &after))
        return;
    g = get_conn_new(r, s, st->number == 0 ? SINK_GET : SINK_RESUME);
    if (g == NULL)
        return;
    log_debug("mcp", "%.8s: stream %u resumed after %s", s->id, st->number,
              cursor);
    stream_replay(st, after, r);
    if (st->finished) {
        /* Nothing more will come: not a sink, so no session to leave. */
        g->session = NULL;
        http_stream_end(r);
    } else {
        get_conn_attach(g, st);
    }
}

static void open_get(struct streamable *sm, struct http_req *r)
{
    struct session *s;
    struct stream *st;
    struct get_conn *g;
    const char *cursor = http_header(r, "Last-Event-ID");

    if (!accepts(http_header(r, "Accept"), "text/event-stream")) {
        http_respond_error(r, 406, RPC_CONNECTION_CLOSED,
                           "Not Acceptable: Client must accept "
                           "text/event-stream");
        return;
    }
    if (!sm->cfg->stateful && cursor == NULL) {
        not_allowed(r); /* a shared child has nothing for one session */
        return;
    }
    if ((s = named_session(sm, r)) == NULL)
        return;
    if (cursor) {
        resume_get(r, s, cursor);
        return;
    }
    if (session_has_get(s)) {
        http_respond_error(r, 409, RPC_CONNECTION_CLOSED,
                           "Conflict: Only one SSE stream is allowed per "
                           "session");
        return;
    }
    if ((st = session_get_stream(s)) == NULL) {
        http_respond_error(r, 500, RPC_INTERNAL_ERROR,
                           "Internal error: out of memory");
        return;
    }
    if ((g = get_conn_new(r, s, SINK_GET)) == NULL)
        return;
    stream_attach(st, &g->att);
    /* Something must go now: the client waits for the headers. */
    if (may_resume(sm, r, s)) {
        stream_prime(st, sm->cfg->sse_retry);
    } else {
        static const char open_comment[] = ": stream open\n\n";
        http_stream_write(r, open_comment, sizeof(open_comment) - 1);
    }
    session_attach(s, &g->sink);
}

static void end_session(struct streamable *sm, struct http_req *r)
{
    struct session *s;

    if (!sm->cfg->stateful && http_header(r, "Mcp-Session-Id") == NULL) {
        not_allowed(r); /* no session to end */
        return;
    }
    if ((s = named_session(sm, r)) == NULL)
        return;
    session_end(s, "DELETE");
    http_respond(r, 200, NULL, "", 0);
}

/* --- the endpoint ------------------------------------------------------ */

static void post(struct streamable *sm, struct http_req *r)
{
    struct parsed p = {0};
    struct session *s = NULL;

    if (!check_post_headers(r))
        return;
    if (parse_body(r, &p, sm->cfg->max_json_depth) < 0)
        goto out;
    if (p.batch)
        http_note_rpc(r, "batch");
    else
        http_note_rpc(r, p.msgs[0].kind == RPC_RESPONSE ? "response"
                                                        : p.msgs[0].method);
    if (post_session(sm, r, &p, &s) < 0)
        goto out;
    if (s && !s->shared)
        forward_rest(s, &p);
    else
        absorb(sm->pool, &p);
    if (p.nrequests == 0)
        http_respond(r, 202, NULL, "", 0);
    else
        run_calls(sm, r, s, &p);
out:
    if (p.msgs != &p.one)
        free(p.msgs);
}

void streamable_handle(struct http_req *r, void *arg)
{
    struct streamable *sm = arg;
    const char *method = http_method(r);

    if (!gate_admit(sm->gate, r))
        return;
    if (strcmp(method, "POST") == 0) {
        post(sm, r);
    } else if (strcmp(method, "GET") == 0) {
        open_get(sm, r);
    } else if (strcmp(method, "DELETE") == 0) {
        end_session(sm, r);
    } else {
        not_allowed(r);
    }
}
