/* SPDX-License-Identifier: MIT */
/* The 2024-11-05 HTTP+SSE transport: GET /sse, POST /message. */
#include "mcpgw/legacy_sse.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mcpgw/jsonrpc.h"
#include "mcpgw/log.h"
#include "mcpgw/sse.h"

#define MAX_CALLS_PER_CLIENT 1024

/* One open SSE stream: a client of this transport. */
struct legacy_client {
    struct legacy_sse *ls;       /* borrowed */
    char id[SESSION_ID_LEN + 1]; /* the sessionId of its endpoint */
    struct http_req *stream;     /* borrowed until released */
    struct backend *backend;     /* borrowed: the session's, or NULL */
    struct pool *pool;           /* borrowed: the shared children, or NULL */
    unsigned caps;               /* RPC_CAP_* its initialize declared */
    struct session *session;     /* borrowed while it lives, or NULL */
    struct session_sink sink;    /* the session's server messages */
    struct rt_entry **calls;     /* owned array; NULL: a free slot */
    unsigned ncalls;
    struct legacy_client *prev, *next;
};

static void send_message(struct legacy_client *c, const char *msg, size_t len)
{
    struct gw_buf ev = {0};

    if (sse_event(&ev, "message", NULL, msg, len) == 0)
        http_stream_write(c->stream, ev.data, ev.len);
    buf_free(&ev);
}

static void on_reply(void *owner, unsigned slot, enum rt_fail why,
                     const char *msg, size_t len)
{
    struct legacy_client *c = owner;

    c->calls[slot] = NULL;
    send_message(c, msg, len);
}

static void on_notify(void *owner, unsigned slot, const char *msg, size_t len)
{
    send_message(owner, msg, len);
}

/* A shared child's own message, made during one of this client's calls:
 * the stream carries it, unless the client said it cannot answer it. */
static int on_server_message(void *owner, unsigned slot, const char *method,
                             const char *msg, size_t len)
{
    struct legacy_client *c = owner;
    unsigned need = rpc_cap_needed(method);

    if (need && !(c->caps & need))
        return -ENOTSUP;
    send_message(c, msg, len);
    return 0;
}

static const struct rt_caller_ops client_ops = {on_reply, on_notify,
                                                on_server_message};

/* --- the session's messages (--stateful) ---------------------------- */

static struct legacy_client *of_sink(struct session_sink *k)
{
    return (struct legacy_client *)((char *)k -
                                    offsetof(struct legacy_client, sink));
}

static int sink_deliver(struct session_sink *k, const char *msg, size_t len)
{
    send_message(of_sink(k), msg, len);
    return 0;
}

/* The session ended (its child died): so does the stream. */
static void sink_close(struct session_sink *k)
{
    struct legacy_client *c = of_sink(k);

    c->session = NULL;
    http_stream_end(c->stream);
}

/* --- the stream ----------------------------------------------------- */

static void release_client(void *data, bool aborted)
{
    struct legacy_client *c = data;
    struct legacy_sse *ls = c->ls;

    for (unsigned i = 0; i < c->ncalls; i++)
        if (c->calls[i] && c->pool)
            pool_cancel(c->pool, c->calls[i], "client disconnected");
        else if (c->calls[i])
            backend_cancel(c->backend, c->calls[i], "client disconnected");
    if (c->session) {
        session_detach(c->session, &c->sink);
        session_end(c->session, "its SSE stream closed");
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        ls->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    ls->nclients--;
    free(c->calls);
    free(c);
}

/* Only the path of --baseUrl is used, as the SDK does: the endpoint is
 * relative, so it works behind any proxy that keeps the path. */
static void endpoint(const struct legacy_sse *ls, const char *id,
                     struct gw_buf *out)
{
    const char *base = ls->cfg->base_url, *scheme = strstr(base, "://");
    const char *path = scheme ? strchr(scheme + 3, '/') : base;
    size_t n = path ? strlen(path) : 0;

    while (n > 0 && path[n - 1] == '/')
        n--;
    buf_printf(out, "%.*s%s?sessionId=%s", (int)n, path ? path : "",
               ls->cfg->message_path, id);
}

static struct legacy_client *client_new(struct legacy_sse *ls,
                                        struct http_req *r, int *err)
{
    struct legacy_client *c = calloc(1, sizeof(*c));

    *err = -ENOMEM;
    if (c == NULL)
        return NULL;
    c->ls = ls;
    c->stream = r;
    if (ls->sessions) {
        c->session = session_new(ls->sessions, err);
        if (c->session == NULL) {
            free(c);
            return NULL;
        }
        memcpy(c->id, c->session->id, sizeof(c->id));
        c->backend = &c->session->backend;
        c->sink = (struct session_sink){
            .deliver = sink_deliver, .close = sink_close, .kind = SINK_GET};
    } else {
        *err = session_new_id(c->id, ls->cfg->replica_id);
        if (*err < 0) {
            free(c);
            return NULL;
        }
        c->pool = ls->pool;
    }
    c->next = ls->clients;
    if (ls->clients)
        ls->clients->prev = c;
    ls->clients = c;
    ls->nclients++;
    *err = 0;
    return c;
}

void legacy_sse_stream(struct http_req *r, void *arg)
{
    struct legacy_sse *ls = arg;
    struct legacy_client *c;
    struct gw_buf ev = {0}, url = {0};
    int err;

    if (!gate_admit(ls->gate, r))
        return;
    if (strcmp(http_method(r), "GET") != 0) {
        http_add_header(r, "Allow", "GET");
        http_respond_error(r, 405, RPC_CONNECTION_CLOSED,
                           "Method not allowed.");
        return;
    }
    c = client_new(ls, r, &err);
    if (c == NULL) {
        http_respond_error(r, 503, RPC_CONNECTION_CLOSED,
                           err == -EBUSY ? "Too many sessions"
                                         : "Internal error");
        return;
    }
    http_set_owner(r, c, release_client);
    http_add_header(r, "Cache-Control", "no-cache, no-transform");
    http_add_header(r, "X-Accel-Buffering", "no");
    http_stream_start(r, 200, "text/event-stream");
    endpoint(ls, c->id, &url);
    if (sse_event(&ev, "endpoint", NULL, url.data, url.len) == 0)
        http_stream_write(r, ev.data, ev.len);
    buf_free(&ev);
    buf_free(&url);
    if (c->session)
        session_attach(c->session, &c->sink);
}

/* --- the posts ------------------------------------------------------ */

static struct legacy_client *find_client(struct legacy_sse *ls, const char *id)
{
    for (struct legacy_client *c = ls->clients; c; c = c->next)
        if (strcmp(c->id, id) == 0)
            return c;
    return NULL;
}

static int free_slot(struct legacy_client *c)
{
    for (unsigned i = 0; i < c->ncalls; i++)
        if (c->calls[i] == NULL)
            return (int)i;
    if (c->ncalls == MAX_CALLS_PER_CLIENT)
        return -EBUSY;
    unsigned old = c->ncalls, n = old ? 2 * old : 8;
    struct rt_entry **p = realloc(c->calls, n * sizeof(*p));
    if (p == NULL)
        return -ENOMEM;
    memset(p + old, 0, (n - old) * sizeof(*p));
    c->calls = p;
    c->ncalls = n;
    return (int)old;
}

static void call(struct legacy_client *c, struct http_req *r, const char *doc,
                 const struct rpc_msg *m)
{
    struct gw_buf now = {0};
    int slot = free_slot(c), rc = slot;

    if (strcmp(m->method, "initialize") == 0)
        c->caps = rpc_declared_caps(doc, m);
    if (slot >= 0 && c->pool)
        rc = pool_call(c->pool, doc, m, &client_ops, c, (unsigned)slot, &now,
                       &c->calls[slot]);
    else if (slot >= 0)
        rc = backend_call(c->backend, doc, m, &client_ops, c, (unsigned)slot,
                          &now, &c->calls[slot]);
    if (rc == BACKEND_ANSWERED)
        send_message(c, now.data, now.len);
    buf_free(&now);
    if (rc < 0) {
        unsigned status;
        const char *why = backend_refusal(rc, &status);
        http_respond_error(r, status, RPC_CONNECTION_CLOSED, why);
        return;
    }
    http_respond(r, 202, "text/plain", "Accepted", 8);
}

static void pass_on(struct legacy_client *c, struct http_req *r,
                    const char *doc, const struct rpc_msg *m)
{
    /* On shared children only answers to their requests go further
     * (see streamable.c). */
    if (c->session)
        backend_forward(c->backend, doc, m);
    else if (m->kind == RPC_RESPONSE)
        pool_answer(c->pool, doc, m);
    http_respond(r, 202, "text/plain", "Accepted", 8);
}

static bool parse(struct legacy_sse *ls, struct http_req *r,
                  struct json_span *root, struct rpc_msg *m)
{
    const struct gw_buf *body = http_body(r);
    const char *doc = body->data ? body->data : "";

    if (json_validate(doc, body->len, ls->cfg->max_json_depth, root) < 0) {
        http_respond_error(r, 400, RPC_PARSE_ERROR,
                           "Parse error: Invalid JSON");
        return false;
    }
    if (rpc_classify(doc, *root, m) < 0) {
        http_respond_error(r, 400, RPC_PARSE_ERROR,
                           "Parse error: Invalid JSON-RPC message");
        return false;
    }
    return true;
}

void legacy_sse_message(struct http_req *r, void *arg)
{
    struct legacy_sse *ls = arg;
    const char *id = http_query(r, "sessionId");
    const char *type = http_header(r, "Content-Type");
    struct legacy_client *c;
    struct json_span root;
    struct rpc_msg m;

    if (!gate_admit(ls->gate, r))
        return;
    if (strcmp(http_method(r), "POST") != 0) {
        http_add_header(r, "Allow", "POST");
        http_respond_error(r, 405, RPC_CONNECTION_CLOSED,
                           "Method not allowed.");
        return;
    }
    if (id == NULL) {
        http_respond_error(r, 400, RPC_CONNECTION_CLOSED,
                           "Missing sessionId parameter");
        return;
    }
    if ((c = find_client(ls, id)) == NULL) {
        http_respond_error(r, 404, RPC_SESSION_NOT_FOUND, "Session not found");
        return;
    }
    if (type == NULL || strncasecmp(type, "application/json", 16) != 0) {
        http_respond_error(r, 415, RPC_CONNECTION_CLOSED,
                           "Unsupported Media Type: Content-Type must be "
                           "application/json");
        return;
    }
    if (!parse(ls, r, &root, &m))
        return;
    http_note_rpc(r, m.kind == RPC_RESPONSE ? "response" : m.method);
    if (m.kind == RPC_REQUEST)
        call(c, r, http_body(r)->data, &m);
    else
        pass_on(c, r, http_body(r)->data, &m);
}
