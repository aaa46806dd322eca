/* SPDX-License-Identifier: MIT */
/* A shared MCP server child: handshake, readiness, restarts, calls. */
#include "mcpgw/backend.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcpgw/log.h"

#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS   30000
#define STABLE_AFTER_MS  30000  /* ready this long: the next crash is news */
#define INIT_TIMEOUT_MS  300000 /* npx may download the server first */
#define SWEEP_MS         250
#define CHILD_MAX_DEPTH  512

extern char **environ;

static void start_child(struct backend *b);

/* The gateway's secrets stay out of the child (see DESIGN.md). */
static bool is_secret_env(const char *kv)
{
    return strncmp(kv, "MCPGW_", 6) == 0 ||
           strncmp(kv, "ACCESS_TOKEN=", 13) == 0;
}

static char **child_environment(void)
{
    size_t n = 0, k = 0;

    while (environ[n])
        n++;
    char **env = calloc(n + 1, sizeof(*env));
    if (env == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!is_secret_env(environ[i]))
            env[k++] = environ[i];
    return env;
}

static void log_payload(const char *dir, const char *p, size_t len)
{
    char esc[4 * 512 + 4];

    log_debug("backend", "%s %s", dir, log_escape(p, len, 512, esc));
}

/* Writes one message and its newline; msg gains the newline. */
static int send_msg(struct backend *b, struct gw_buf *msg)
{
    if (log_enabled(LOG_DEBUG))
        log_payload("to child:", msg->data, msg->len);
    if (buf_append(msg, "\n", 1) < 0)
        return -ENOMEM;
    return child_write(&b->child, msg->data, msg->len);
}

static void send_text(struct backend *b, const char *text)
{
    struct gw_buf msg = {0};

    if (buf_append_str(&msg, text) == 0)
        send_msg(b, &msg);
    buf_free(&msg);
}

static void send_cancelled(struct backend *b, uint64_t id, const char *reason)
{
    struct gw_buf msg = {0};

    buf_printf(&msg,
               "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
               "\"params\":{\"requestId\":%" PRIu64 ",\"reason\":\"%s\"}}",
               id, reason);
    send_msg(b, &msg);
    buf_free(&msg);
    b->stats.cancelled++;
}

/* --- the gateway's own handshake ------------------------------------ */

static void send_initialize(struct backend *b)
{
    struct gw_buf msg = {0};

    b->init_id = router_next_id(&b->router);
    /* Sampling and elicitation go to the client whose call holds the
     * child (see on_server_request). Never roots: a server such as
     * server-filesystem replaces its directories with a client's roots,
     * and the gateway has none to give. */
    buf_printf(&msg,
               "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64 ",\"method\":"
               "\"initialize\",\"params\":{\"protocolVersion\":\"%s\","
               "\"capabilities\":{\"sampling\":{},\"elicitation\":{"
               "\"form\":{}}},\"clientInfo\":{\"name\":\"mcpgw\","
               "\"version\":\"%s\"}}}",
               b->init_id, b->cfg->protocol_version, MCPGW_VERSION);
    if (send_msg(b, &msg) < 0)
        log_warn("backend", "cannot write initialize to the child");
    buf_free(&msg);
}

/*
 * A shared child's notifications about subscriptions and list changes
 * have no stream to go to, so the capabilities that promise them are
 * not passed on to clients.
 */
static void strip_unroutable(cJSON *result)
{
    cJSON *caps = cJSON_GetObjectItemCaseSensitive(result, "capabilities");
    const char *kinds[] = {"tools", "prompts", "resources"};

    for (size_t i = 0; caps && i < 3; i++) {
        cJSON *k = cJSON_GetObjectItemCaseSensitive(caps, kinds[i]);
        cJSON_DeleteItemFromObjectCaseSensitive(k, "listChanged");
        cJSON_DeleteItemFromObjectCaseSensitive(k, "subscribe");
    }
}

/* The client's version if we speak it, else our newest (lifecycle). */
static const char *negotiate(const char *requested)
{
    if (requested && rpc_version_supported(requested))
        return requested;
    return rpc_versions[0];
}

static int initialize_result(struct backend *b, const char *version,
                             struct gw_buf *out)
{
    cJSON *r = cJSON_Duplicate(b->init_result, 1);
    char *text;
    int rc;

    if (r == NULL)
        return -ENOMEM;
    cJSON_DeleteItemFromObjectCaseSensitive(r, "protocolVersion");
    cJSON_AddStringToObject(r, "protocolVersion", version);
    text = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    if (text == NULL)
        return -ENOMEM;
    rc = buf_append_str(out, text);
    cJSON_free(text);
    return rc;
}

/* Answers a client's initialize from the kept InitializeResult. */
static void answer_initialize(struct backend *b, struct rt_entry *e)
{
    struct gw_buf result = {0};
    const char *version = e->request.data ? e->request.data : rpc_versions[0];

    if (initialize_result(b, version, &result) < 0) {
        router_fail(&b->router, e, RT_FAIL_EXITED, RPC_INTERNAL_ERROR,
                    "Internal error: out of memory");
    } else {
        router_answer(&b->router, e, result.data, result.len);
    }
    buf_free(&result);
}

/* Writes the calls that waited for readiness, oldest first. */
static void flush_waiting(struct backend *b)
{
    struct rt_entry *e = b->router.oldest, *next;

    for (; e; e = next) {
        next = e->next;
        if (e->state == RT_LOCAL) {
            answer_initialize(b, e);
        } else if (e->state == RT_WAITING) {
            e->state = RT_SENT;
            int rc = send_msg(b, &e->request);
            buf_free(&e->request);
            if (rc < 0)
                router_fail(&b->router, e, RT_FAIL_EXITED, RPC_INTERNAL_ERROR,
                            "Internal error: the MCP server is not reading "
                            "its input");
        }
    }
}

static void on_init_response(struct backend *b, const char *doc,
                             const struct rpc_msg *m)
{
    struct json_span result;
    cJSON *r = NULL;

    if (json_member(doc, m->root, "result", &result) == 1 &&
        result.type == JSON_OBJECT)
        r = cJSON_ParseWithLength(doc + result.off, result.len);
    if (r == NULL) {
        char esc[4 * 512 + 4];
        log_error("backend", "the MCP server refused initialize: %s",
                  log_escape(doc + m->root.off, m->root.len, 512, esc));
        child_stop(&b->child);
        return;
    }
    strip_unroutable(r);
    cJSON_Delete(b->init_result);
    b->init_result = r;
    send_text(b, "{\"jsonrpc\":\"2.0\","
                 "\"method\":\"notifications/initialized\"}");
    b->state = BACKEND_READY;
    b->ready_at = uv_now(b->loop);
    uv_timer_stop(&b->restart_timer);

    cJSON *info = cJSON_GetObjectItemCaseSensitive(r, "serverInfo");
    cJSON *name = cJSON_GetObjectItemCaseSensitive(info, "name");
    log_info("backend", "pid=%d ready server=%s", (int)b->child.pid,
             cJSON_IsString(name) ? name->valuestring : "?");
    flush_waiting(b);
}

/* --- messages from the child ---------------------------------------- */

/*
 * A request of the shared child's own: it goes to the client whose call
 * holds the child alone, under an id of the gateway's. Returns NULL when
 * it went, else why it could not (the child gets that as an error).
 */
static const char *ask_holder(struct backend *b, const char *doc,
                              const struct rpc_msg *m)
{
    struct rt_entry *h = router_sole_holder(&b->router);
    struct gw_buf out = {0};
    struct ask *a;
    int rc;

    /* XXX: with several holders on one child nothing tells which one
     * asked, so the request is refused; only --pool N avoids it. */
    if (h == NULL)
        return b->router.nholders > 1
                   ? "several calls are in flight on this shared MCP server "
                     "and none can be told to have asked (mcpgw --pool N "
                     "gives each its own server)"
                   : "no call is in flight on this shared MCP server to "
                     "ask for";
    if (h->ops->on_server_message == NULL)
        return "the call's client cannot take server requests";
    a = ask_add(&b->asks, doc + m->id.off, m->id.len, h, &rc);
    if (a == NULL)
        return rc == -ENOSPC ? "too many server requests wait for an answer"
                             : "internal error";
    struct rpc_edit edit = {m->id, a->id, ASK_ID_LEN};
    rc = rpc_splice(&out, doc, m->root, &edit, 1);
    if (rc == 0)
        rc = h->ops->on_server_message(h->owner, h->slot, m->method, out.data,
                                       out.len);
    buf_free(&out);
    if (rc < 0) {
        ask_remove(&b->asks, a);
        return rc == -ENOTSUP ? "the call's client did not declare that "
                                "capability"
                              : "the call's answer is a JSON body, with no "
                                "stream for server requests";
    }
    b->stats.asked++;
    return NULL;
}

static void on_server_request(struct backend *b, const char *doc,
                              const struct rpc_msg *m)
{
    const char *why = ask_holder(b, doc, m);
    struct gw_buf out = {0};
    char msg[256];

    if (why == NULL)
        return;
    b->stats.unrouted++;
    if (strcmp(m->method, "ping") == 0) {
        buf_append_str(&out, "{\"jsonrpc\":\"2.0\",\"id\":");
        buf_append(&out, doc + m->id.off, m->id.len);
        buf_append_str(&out, ",\"result\":{}}");
    } else {
        snprintf(msg, sizeof(msg), "Method not found: %s", why);
        rpc_error_append(&out, doc + m->id.off, m->id.len, RPC_METHOD_NOT_FOUND,
                         msg);
        log_info("backend", "pid=%d refused server request %s: %s",
                 (int)b->child.pid, m->method, why);
    }
    send_msg(b, &out);
    buf_free(&out);
}

/* The child gave up a request of its own: so does the client it asked. */
static bool on_server_cancelled(struct backend *b, const char *doc,
                                const struct rpc_msg *m)
{
    struct json_span rid;
    struct gw_buf out = {0};
    struct ask *a = NULL;

    if (m->params.type == JSON_OBJECT &&
        json_member(doc, m->params, "requestId", &rid) == 1)
        a = ask_find_child(&b->asks, doc + rid.off, rid.len);
    if (a == NULL)
        return false;
    struct rt_entry *h = a->holder;
    struct rpc_edit edit = {rid, a->id, ASK_ID_LEN};
    if (rpc_splice(&out, doc, m->root, &edit, 1) == 0)
        h->ops->on_server_message(h->owner, h->slot, m->method, out.data,
                                  out.len);
    buf_free(&out);
    ask_remove(&b->asks, a);
    return true;
}

/*
 * A notification of the shared child's that names no call. Logging is
 * about the work in progress, so it goes to the call holding the child
 * alone; list changes and resource updates are about no call, and are
 * not passed on (their capabilities are not offered to clients).
 */
static bool on_server_notification(struct backend *b, const char *doc,
                                   const struct rpc_msg *m)
{
    struct rt_entry *h;

    if (strcmp(m->method, "notifications/cancelled") == 0)
        return on_server_cancelled(b, doc, m);
    if (strcmp(m->method, "notifications/message") != 0)
        return false;
    /* XXX: stdio links no message to a call, so a log line the server
     * sends on its own while one call holds it is taken to be that call's. */
    h = router_sole_holder(&b->router);
    if (h == NULL || h->ops->on_server_message == NULL ||
        h->ops->on_server_message(h->owner, h->slot, m->method,
                                  doc + m->root.off, m->root.len) < 0)
        return false;
    b->stats.asked++;
    return true;
}

/* A holder ended with requests made for it unanswered: the child must
 * not wait for them for ever. */
static void holder_gone(void *arg, struct rt_entry *e)
{
    struct backend *b = arg;
    struct ask *a;
    struct gw_buf out = {0};

    while ((a = ask_of_holder(&b->asks, e)) != NULL) {
        buf_reset(&out);
        rpc_error_append(&out, a->child_id, a->child_id_len,
                         RPC_CONNECTION_CLOSED,
                         "Connection closed: the call this request was made "
                         "for has ended");
        if (b->child.state == CHILD_RUNNING)
            send_msg(b, &out);
        ask_remove(&b->asks, a);
    }
    buf_free(&out);
}

static void log_noise(struct backend *b, const char *what, const char *p,
                      size_t len)
{
    char esc[4 * 256 + 4];

    b->stats.noise++;
    log_warn("backend", "pid=%d skipped %s on stdout: %s", (int)b->child.pid,
             what, log_escape(p, len, 256, esc));
}

static void on_frame(void *ctx, const char *p, size_t len)
{
    struct backend *b = ctx;
    struct json_span root;
    struct rpc_msg m;
    uint64_t id;

    if (log_enabled(LOG_DEBUG))
        log_payload("from child:", p, len);
    if (json_validate(p, len, CHILD_MAX_DEPTH, &root) < 0) {
        log_noise(b, "a non-JSON line", p, len);
        return;
    }
    if (rpc_classify(p, root, &m) < 0) {
        log_noise(b, "a non-JSON-RPC message", p, len);
        return;
    }

    if (m.kind == RPC_RESPONSE && b->state == BACKEND_STARTING &&
        json_uint64(p, m.id, &id) && id == b->init_id) {
        on_init_response(b, p, &m);
        return;
    }
    if (router_route(&b->router, p, &m))
        return;
    if (b->mode == BACKEND_SESSION && m.kind != RPC_RESPONSE) {
        b->events->on_message(b->owner, p, &m);
        return;
    }
    if (m.kind == RPC_REQUEST) {
        on_server_request(b, p, &m);
        return;
    }
    if (m.kind == RPC_NOTIFICATION && on_server_notification(b, p, &m))
        return;

    b->stats.unrouted++;
    log_debug("backend", "dropped %s from the child: no caller",
              m.kind == RPC_RESPONSE ? "a late response" : m.method);
}

/* Finds "id":N at the very start or end of a discarded line. */
static bool oversize_id(const char *head, size_t hlen, const char *tail,
                        size_t tlen, uint64_t *id)
{
    const char *k = "\"id\":";
    char tmp[FRAME_KEEP + 1];
    const char *s;

    /* End: ..."id":123} — what JSON.stringify writes for SDK replies. */
    size_t t = tlen;
    while (t > 0 && (tail[t - 1] == ' ' || tail[t - 1] == '\r'))
        t--;
    if (t > 0 && tail[t - 1] == '}') {
        size_t d = t - 1;
        while (d > 0 && tail[d - 1] >= '0' && tail[d - 1] <= '9')
            d--;
        if (d < t - 1 && d >= 5 && memcmp(tail + d - 5, k, 5) == 0) {
            *id = strtoull(tail + d, NULL, 10);
            return true;
        }
    }
    /* Start: {"jsonrpc":"2.0","id":123,... */
    memcpy(tmp, head, hlen);
    tmp[hlen] = '\0';
    s = strstr(tmp, k);
    if (s && s - tmp <= 20 && s[5] >= '0' && s[5] <= '9') {
        *id = strtoull(s + 5, NULL, 10);
        return true;
    }
    return false;
}

static void on_oversize(void *ctx, size_t total, const char *head,
                        size_t head_len, const char *tail, size_t tail_len)
{
    struct backend *b = ctx;
    struct rt_entry *e = NULL;
    uint64_t id;
    char msg[128];

    b->stats.oversize++;
    if (oversize_id(head, head_len, tail, tail_len, &id))
        e = router_find(&b->router, id);
    log_warn("backend", "pid=%d discarded a %zu-byte line (limit %zu)%s",
             (int)b->child.pid, total, b->cfg->max_frame,
             e ? "; its caller gets an error" : "");
    if (e == NULL || e->state != RT_SENT)
        return;
    snprintf(msg, sizeof(msg),
             "Internal error: the reply exceeded the %zu-byte frame limit",
             b->cfg->max_frame);
    router_fail(&b->router, e, RT_FAIL_OVERSIZE, RPC_INTERNAL_ERROR, msg);
}

/* --- the child's life ------------------------------------------------ */

static void fail_state(struct backend *b, enum rt_state state, enum rt_fail why,
                       int code, const char *message)
{
    struct rt_entry *e = b->router.oldest, *next;

    for (; e; e = next) {
        next = e->next;
        if (e->state == state)
            router_fail(&b->router, e, why, code, message);
    }
}

static void close_timers_done(uv_handle_t *h)
{
    struct backend *b = h->data;

    if (--b->open_timers > 0)
        return;
    ask_clear(&b->asks);
    router_free(&b->router);
    cJSON_Delete(b->init_result);
    b->init_result = NULL;
    free(b->env);
    b->env = NULL;
    b->state = BACKEND_STOPPED;
    if (b->on_stopped)
        b->on_stopped(b->stopped_arg);
}

static void finish_stop(struct backend *b)
{
    uv_close((uv_handle_t *)&b->restart_timer, close_timers_done);
    uv_close((uv_handle_t *)&b->sweep_timer, close_timers_done);
}

static void on_restart_timer(uv_timer_t *t)
{
    struct backend *b = t->data;

    if (b->state == BACKEND_BACKOFF) {
        start_child(b);
    } else if (b->state == BACKEND_STARTING) {
        log_error("backend", "pid=%d did not answer initialize in %d s",
                  (int)b->child.pid, INIT_TIMEOUT_MS / 1000);
        child_stop(&b->child);
    }
}

static void schedule_restart(struct backend *b)
{
    uint64_t now = uv_now(b->loop);

    if (b->ready_at && now - b->ready_at >= STABLE_AFTER_MS)
        b->backoff = BACKOFF_FIRST_MS;
    b->state = BACKEND_BACKOFF;
    b->ready_at = 0;
    log_info("backend", "restarting the MCP server in %" PRIu64 " ms",
             b->backoff);
    uv_timer_start(&b->restart_timer, on_restart_timer, b->backoff, 0);
    b->backoff =
        b->backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : b->backoff * 2;
}

static void on_child_exit(void *ctx, int64_t status, int sig)
{
    struct backend *b = ctx;

    b->stats.exits++;
    /* The child that asked is gone: its answers have nowhere to go. */
    ask_clear(&b->asks);
    fail_state(b, RT_SENT, RT_FAIL_EXITED, RPC_CONNECTION_CLOSED,
               "Connection closed: the MCP server exited before answering");
    if (b->state == BACKEND_STOPPING) {
        finish_stop(b);
        return;
    }
    if (b->mode == BACKEND_SESSION) {
        /* A session's child is not replaced: its client must start a new
         * session, which it does on the 404 that follows. */
        b->state = BACKEND_BACKOFF;
        b->events->on_exit(b->owner);
        return;
    }
    schedule_restart(b);
}

static const struct child_ops child_ops = {on_frame, on_oversize,
                                           on_child_exit};

static void start_child(struct backend *b)
{
    struct child_opts o = {
        .cmd = b->cfg->stdio_cmd,
        .env = b->env,
        .max_frame = b->cfg->max_frame,
        .max_queue = b->cfg->max_stdin_queue,
        .kill_grace = b->cfg->kill_grace,
    };

    if (b->started_once)
        b->stats.restarts++;
    b->started_once = true;
    b->state = BACKEND_STARTING;
    if (child_start(&b->child, b->loop, &o, &child_ops, b) < 0) {
        /* on_child_exit follows, once the child's handles are closed. */
        b->state = BACKEND_BACKOFF;
        return;
    }
    if (b->mode == BACKEND_SESSION) {
        /* The client's initialize is the first thing the child reads; its
         * stdin pipe holds calls until it does. */
        b->state = BACKEND_READY;
        return;
    }
    send_initialize(b);
    uv_timer_start(&b->restart_timer, on_restart_timer, INIT_TIMEOUT_MS, 0);
}

/* Ends calls whose time is up: the request timeout, and while the child
 * is not ready, the ready timeout. */
static void on_sweep(uv_timer_t *t)
{
    struct backend *b = t->data;
    uint64_t now = uv_now(b->loop);
    struct rt_entry *e = b->router.oldest, *next;

    for (; e; e = next) {
        next = e->next;
        if (e->deadline <= now) {
            b->stats.timeouts++;
            if (e->state == RT_SENT)
                send_cancelled(b, e->id, "request timed out");
            router_fail(&b->router, e, RT_FAIL_TIMEOUT, RPC_REQUEST_TIMEOUT,
                        "Request timed out");
        } else if (e->state != RT_SENT && e->ready_deadline <= now) {
            router_fail(&b->router, e, RT_FAIL_NOTREADY, RPC_CONNECTION_CLOSED,
                        "MCP server not ready");
        }
    }
}

/* --- public ---------------------------------------------------------- */

static int setup(struct backend *b, uv_loop_t *loop,
                 const struct gw_config *cfg)
{
    memset(b, 0, sizeof(*b));
    b->loop = loop;
    b->cfg = cfg;
    b->backoff = BACKOFF_FIRST_MS;
    b->env = child_environment();
    if (b->env == NULL || router_init(&b->router) < 0)
        return -ENOMEM;
    b->router.on_holder_gone = holder_gone;
    b->router.holder_arg = b;
    uv_timer_init(loop, &b->restart_timer);
    uv_timer_init(loop, &b->sweep_timer);
    b->restart_timer.data = b->sweep_timer.data = b;
    b->open_timers = 2;
    uv_timer_start(&b->sweep_timer, on_sweep, SWEEP_MS, SWEEP_MS);
    return 0;
}

int backend_start(struct backend *b, uv_loop_t *loop,
                  const struct gw_config *cfg)
{
    int rc = setup(b, loop, cfg);

    if (rc == 0)
        start_child(b);
    return rc;
}

int backend_start_session(struct backend *b, uv_loop_t *loop,
                          const struct gw_config *cfg,
                          const struct backend_events *events, void *owner)
{
    int rc = setup(b, loop, cfg);

    if (rc < 0)
        return rc;
    b->mode = BACKEND_SESSION;
    b->events = events;
    b->owner = owner;
    start_child(b);
    return 0;
}

/* The call whose caller id is the text of span id, if one is in flight. */
static struct rt_entry *find_by_caller_id(struct backend *b, const char *doc,
                                          struct json_span id)
{
    for (struct rt_entry *e = b->router.oldest; e; e = e->next)
        if (e->caller_id_len == id.len &&
            memcmp(e->caller_id, doc + id.off, id.len) == 0)
            return e;
    return NULL;
}

/* A client's cancellation names its own id; the child knows ours. */
static int forward_cancel(struct backend *b, const char *doc,
                          const struct rpc_msg *m, struct gw_buf *out)
{
    struct json_span rid;
    struct rt_entry *e = NULL;
    char id[24];

    if (m->params.type == JSON_OBJECT &&
        json_member(doc, m->params, "requestId", &rid) == 1)
        e = find_by_caller_id(b, doc, rid);
    if (e == NULL || e->state != RT_SENT)
        return 0; /* nothing of ours to cancel: the child need not know */
    int n = snprintf(id, sizeof(id), "%" PRIu64, e->id);
    struct rpc_edit edit = {rid, id, (size_t)n};
    int rc = rpc_splice(out, doc, m->root, &edit, 1);
    /* The stream that waits for it is closed with an answer now; a late
     * reply from the child finds no entry and is dropped. */
    router_fail(&b->router, e, RT_OK, RPC_CONNECTION_CLOSED,
                "Request cancelled");
    return rc < 0 ? -ENOMEM : 1;
}

int backend_forward(struct backend *b, const char *doc, const struct rpc_msg *m)
{
    struct gw_buf out = {0};
    int rc;

    if (b->child.state != CHILD_RUNNING)
        return -EPIPE;
    if (child_congested(&b->child))
        return -ENOBUFS;
    if (strcmp(m->method, "notifications/cancelled") == 0)
        rc = forward_cancel(b, doc, m, &out);
    else
        rc = buf_append(&out, doc + m->root.off, m->root.len) < 0 ? -ENOMEM : 1;
    if (rc > 0)
        rc = send_msg(b, &out);
    buf_free(&out);
    return rc < 0 ? rc : 0;
}

static const char *requested_version(const char *doc, const struct rpc_msg *m,
                                     char *out, size_t cap)
{
    struct json_span v;

    if (m->params.type == JSON_OBJECT &&
        json_member(doc, m->params, "protocolVersion", &v) == 1 &&
        json_string_decode(doc, v, out, cap) >= 0)
        return out;
    return NULL;
}

static int call_initialize(struct backend *b, const char *doc,
                           const struct rpc_msg *m,
                           const struct rt_caller_ops *ops, void *owner,
                           unsigned slot, struct gw_buf *now,
                           struct rt_entry **entry)
{
    char req[32];
    const char *version =
        negotiate(requested_version(doc, m, req, sizeof(req)));
    uint64_t t = uv_now(b->loop);

    if (b->state == BACKEND_READY) {
        buf_append_str(now, "{\"jsonrpc\":\"2.0\",\"id\":");
        buf_append(now, doc + m->id.off, m->id.len);
        buf_append_str(now, ",\"result\":");
        if (initialize_result(b, version, now) < 0)
            return -ENOMEM;
        return buf_append(now, "}", 1) < 0 ? -ENOMEM : BACKEND_ANSWERED;
    }
    *entry = router_add(&b->router, doc, m, RT_LOCAL, ops, owner, slot,
                        t + b->cfg->request_timeout);
    if (*entry == NULL)
        return -ENOMEM;
    /* A local entry keeps the negotiated version where a forwarded one
     * keeps its rewritten request. */
    (*entry)->ready_deadline = t + b->cfg->ready_timeout;
    return buf_append_str(&(*entry)->request, version);
}

int backend_call(struct backend *b, const char *doc, const struct rpc_msg *m,
                 const struct rt_caller_ops *ops, void *owner, unsigned slot,
                 struct gw_buf *now, struct rt_entry **entry)
{
    uint64_t t = uv_now(b->loop);
    struct rt_entry *e;
    int rc;

    *entry = NULL;
    if (b->state == BACKEND_STOPPING || b->state == BACKEND_STOPPED)
        return -ESHUTDOWN;
    if (b->router.count >= b->cfg->max_inflight)
        return -EBUSY;
    if (b->state == BACKEND_READY && child_congested(&b->child))
        return -ENOBUFS;
    b->stats.calls++;
    if (b->mode == BACKEND_SHARED && strcmp(m->method, "initialize") == 0)
        return call_initialize(b, doc, m, ops, owner, slot, now, entry);

    /* Between the child's exit and its report the backend still looks
     * ready; a call then waits for the next child like any other. */
    bool ready = b->state == BACKEND_READY && b->child.state == CHILD_RUNNING;
    e = router_add(&b->router, doc, m, ready ? RT_SENT : RT_WAITING, ops, owner,
                   slot, t + b->cfg->request_timeout);
    if (e == NULL)
        return -ENOMEM;
    if (b->mode == BACKEND_SHARED && backend_may_ask(m->method))
        router_hold(&b->router, e);
    e->ready_deadline = t + b->cfg->ready_timeout;
    rc = ready ? send_msg(b, &e->request) : 0;
    if (ready && rc == 0)
        buf_free(&e->request);
    if (rc < 0) {
        router_drop(&b->router, e);
        return rc == -ENOMEM ? -ENOMEM : -ENOBUFS;
    }
    *entry = e;
    return 0;
}

const char *backend_refusal(int rc, unsigned *status)
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

void backend_cancel(struct backend *b, struct rt_entry *e, const char *reason)
{
    if (e->state == RT_SENT && b->child.state == CHILD_RUNNING)
        send_cancelled(b, e->id, reason);
    router_drop(&b->router, e);
}

bool backend_ready(const struct backend *b)
{
    return b->state == BACKEND_READY;
}

size_t backend_pending(const struct backend *b)
{
    return b->router.count;
}

int backend_answer(struct backend *b, const char *doc, const struct rpc_msg *m)
{
    struct ask *a = ask_find(&b->asks, doc + m->id.off, m->id.len);
    struct gw_buf out = {0};

    if (a == NULL)
        return 0;
    struct rpc_edit edit = {m->id, a->child_id, a->child_id_len};
    int rc = rpc_splice(&out, doc, m->root, &edit, 1);
    ask_remove(&b->asks, a);
    if (rc == 0)
        rc = b->child.state == CHILD_RUNNING ? send_msg(b, &out) : -EPIPE;
    buf_free(&out);
    return rc < 0 ? rc : 1;
}

/*
 * These run the server's own code on the client's behalf (a tool, a
 * prompt, a resource, a completion), which is where MCP servers sample,
 * elicit and log. Listing, ping, logging/setLevel and subscriptions
 * answer from what the server has; initialize is the gateway's.
 */
bool backend_may_ask(const char *method)
{
    return strcmp(method, "tools/call") == 0 ||
           strcmp(method, "prompts/get") == 0 ||
           strcmp(method, "resources/read") == 0 ||
           strcmp(method, "completion/complete") == 0;
}

size_t backend_holders(const struct backend *b)
{
    return b->router.nholders;
}

void backend_stop(struct backend *b, void (*done)(void *arg), void *arg)
{
    if (b->state == BACKEND_STOPPING || b->state == BACKEND_STOPPED)
        return;
    bool running = b->child.state != CHILD_IDLE;

    b->on_stopped = done;
    b->stopped_arg = arg;
    b->state = BACKEND_STOPPING;
    for (enum rt_state s = RT_WAITING; s <= RT_LOCAL; s++)
        fail_state(b, s, RT_FAIL_SHUTDOWN, RPC_CONNECTION_CLOSED,
                   "Gateway is shutting down");
    uv_timer_stop(&b->restart_timer);
    uv_timer_stop(&b->sweep_timer);
    if (running)
        child_stop(&b->child);
    else
        finish_stop(b);
}
