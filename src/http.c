/* SPDX-License-Identifier: MIT */
/* libmicrohttpd inside the libuv loop: requests, bodies, streams. */
#include "mcpgw/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "mcpgw/jsonrpc.h"
#include "mcpgw/log.h"
#include "mcpgw/sse.h"
#include "mcpgw/unix_listen.h"

#define STREAM_BLOCK (8 * 1024)
/* Connections past --max-connections still get a 503, up to this many. */
#define CONN_MARGIN 64
/* A body past the limit is read and dropped, up to this much more, so the
 * client gets to read its 413 instead of a reset; beyond it we hang up. */
#define BODY_DISCARD_MAX (8 * 1024 * 1024)
#define MAX_HEADERS      12
/* Most calls are answered within a millisecond: a hang-up watch costs
 * two epoll_ctl calls, so only requests suspended this long get one. */
#define HUP_WATCH_AFTER_MS 20

/* A hang-up watch on a suspended connection's socket. It is heap-owned
 * and closed before the connection is resumed, so libuv never holds a
 * descriptor that libmicrohttpd may close and reuse. */
struct hup_watch {
    uv_poll_t poll;
    struct http_req *req; /* NULL once the request no longer cares */
};

enum conn_phase {
    CONN_IDLE = 0, /* waiting for a request line */
    CONN_HEADERS,  /* request line in, headers coming */
    CONN_BUSY,     /* a request is being handled */
};

/* One TCP connection, for the limits libmicrohttpd does not keep. */
struct http_conn {
    struct MHD_Connection *conn; /* borrowed from libmicrohttpd */
    enum conn_phase phase;
    uint64_t since; /* loop time the phase began */
    struct http_conn *prev, *next;
};

struct header {
    char *name, *value; /* owned */
};

enum req_state {
    REQ_HEADERS = 0, /* waiting for the body */
    REQ_HANDLING,    /* handler ran, no response yet */
    REQ_PENDING,     /* a stream, not handed to libmicrohttpd yet */
    REQ_STREAMING,   /* a stream response is queued */
    REQ_RESPONDED,   /* a complete response is queued */
};

struct http_req {
    struct http_server *srv;        /* borrowed */
    struct MHD_Connection *conn;    /* borrowed from libmicrohttpd */
    const struct http_route *route; /* borrowed; NULL: not found */
    const char *method, *path;      /* borrowed from libmicrohttpd */
    enum req_state state;
    struct gw_buf body; /* owned */
    size_t body_seen;   /* bytes received, kept or not */
    bool too_large;
    bool suspended;
    uint64_t suspended_at;              /* loop time of the last suspend */
    bool aborted;                       /* the client went away */
    struct hup_watch *watch;            /* owned until closed, or NULL */
    struct header headers[MAX_HEADERS]; /* for the next response */
    size_t nheaders;
    struct gw_buf out;       /* owned: stream bytes not yet sent */
    bool stream_done;        /* no more stream bytes will come */
    unsigned stream_status;  /* while pending */
    const char *stream_type; /* while pending; a static string */
    bool on_pending;         /* listed in the server's pending list */
    struct http_req *pnext;  /* the server's pending list */
    bool stream_cut;         /* ended by the buffer bound */
    uint64_t last_write;     /* loop time of the last stream write */
    void *owner;             /* the handler's state */
    void (*release)(void *owner, bool aborted);
    unsigned status;
    size_t bytes_out;
    uint64_t started_ns;
    char rpc[48];
    char reason[96]; /* why an error was answered, for the
                        access line */
    char peer[64];
    struct http_req *prev, *next; /* the server's list of requests */
};

struct http_server {
    uv_loop_t *loop;                 /* borrowed */
    struct MHD_Daemon *daemon;       /* owned */
    struct http_options opts;        /* copied; strings borrowed */
    const struct http_route *routes; /* borrowed */
    size_t nroutes;
    int listen_fd;            /* owned until handed to MHD */
    uv_poll_t epoll_watch;    /* on libmicrohttpd's epoll fd */
    uv_timer_t timer;         /* its timeouts, and runs after resume */
    uv_timer_t tick;          /* 1 s: keep-alives, slow clients */
    uv_timer_t watch_tick;    /* gives long waits a hang-up watch */
    struct http_req *reqs;    /* every request in progress */
    struct http_req *pending; /* pending streams with news */
    struct http_conn *conns;  /* every open connection */
    size_t nconns;
    uint64_t by_class[6];           /* answers by status class, 1xx..5xx */
    uint64_t cut_slow, cut_streams; /* connections and streams cut */
    size_t active;
    bool quiesced;
    bool kicked; /* kick() ran: the daemon must run again at once */
    int open_handles;
    void (*on_stopped)(void *arg);
    void *stopped_arg;
    char bound[80];

    struct unix_listener unix_socket; /* its file, with --listen unix: */
};

static void run_daemon(struct http_server *s);

/* --- driving libmicrohttpd from the loop ------------------------------ */

static void on_timer(uv_timer_t *t)
{
    run_daemon(t->data);
}

static void on_epoll(uv_poll_t *p, int status, int events)
{
    run_daemon(p->data);
}

static void flush_pending(struct http_server *s);

static void run_daemon(struct http_server *s)
{
    MHD_UNSIGNED_LONG_LONG timeout;

    if (s->daemon == NULL)
        return;
    flush_pending(s);
    s->kicked = false;
    MHD_run(s->daemon);
    /* A handler inside MHD_run may have left a stream pending, or resumed
     * another request's stream: its kick must not be lost to the
     * daemon's own, longer timeout. */
    if (s->pending || s->kicked)
        uv_timer_start(&s->timer, on_timer, 0, 0);
    else if (MHD_get_timeout(s->daemon, &timeout) == MHD_YES)
        uv_timer_start(&s->timer, on_timer, timeout, 0);
    else
        uv_timer_stop(&s->timer);
}

/* Runs the daemon on the next loop iteration (after a resume). */
static void kick(struct http_server *s)
{
    s->kicked = true;
    uv_timer_start(&s->timer, on_timer, 0, 0);
}

/* --- hang-up watches -------------------------------------------------- */

static void free_watch(uv_handle_t *h)
{
    free(h->data);
}

static void drop_watch(struct http_req *r)
{
    if (r->watch == NULL)
        return;
    r->watch->req = NULL;
    uv_close((uv_handle_t *)&r->watch->poll, free_watch);
    r->watch = NULL;
}

static void release_owner(struct http_req *r, bool aborted)
{
    void (*release)(void *, bool) = r->release;

    r->release = NULL;
    if (release)
        release(r->owner, aborted);
    r->owner = NULL;
}

static void resume(struct http_req *r)
{
    if (!r->suspended)
        return;
    drop_watch(r);
    r->suspended = false;
    MHD_resume_connection(r->conn);
    kick(r->srv);
}

static void on_hangup(uv_poll_t *p, int status, int events)
{
    struct hup_watch *w = p->data;
    struct http_req *r = w->req;

    if (r == NULL)
        return;
    if (status == 0 && !(events & UV_DISCONNECT)) {
        drop_watch(r);
        return;
    }
    log_debug("http", "%s went away while waiting", r->peer);
    r->aborted = true;
    release_owner(r, true);
    resume(r);
}

static void watch_hangup(struct http_req *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct hup_watch *w;

    if (ci == NULL || r->watch)
        return;
    w = calloc(1, sizeof(*w));
    if (w == NULL)
        return;
    if (uv_poll_init_socket(r->srv->loop, &w->poll, ci->connect_fd) < 0) {
        free(w);
        return;
    }
    w->poll.data = w;
    w->req = r;
    r->watch = w;
    uv_poll_start(&w->poll, UV_DISCONNECT, on_hangup);
}

static void on_watch_tick(uv_timer_t *t)
{
    struct http_server *s = t->data;
    uint64_t now = uv_now(s->loop);
    bool waiting = false;

    for (struct http_req *r = s->reqs; r; r = r->next) {
        if (!r->suspended || r->watch || r->aborted)
            continue;
        if (now - r->suspended_at >= HUP_WATCH_AFTER_MS)
            watch_hangup(r);
        else
            waiting = true;
    }
    if (!waiting)
        uv_timer_stop(t);
}

static void suspend(struct http_req *r)
{
    struct http_server *s = r->srv;

    if (r->suspended)
        return;
    r->suspended = true;
    r->suspended_at = uv_now(s->loop);
    MHD_suspend_connection(r->conn);
    if (!uv_is_active((uv_handle_t *)&s->watch_tick))
        uv_timer_start(&s->watch_tick, on_watch_tick, HUP_WATCH_AFTER_MS,
                       HUP_WATCH_AFTER_MS);
}

/* --- responses -------------------------------------------------------- */

static void add_headers(struct http_req *r, struct MHD_Response *resp)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    r->nheaders = 0;
}

/* A response, or a stream, has been started. */
static bool answered(const struct http_req *r)
{
    return r->state >= REQ_PENDING;
}

static bool streaming(const struct http_req *r)
{
    return r->state == REQ_PENDING || r->state == REQ_STREAMING;
}

static void queue(struct http_req *r, unsigned status,
                  struct MHD_Response *resp)
{
    add_headers(r, resp);
    r->status = status;
    MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    resume(r);
}

void http_respond(struct http_req *r, unsigned status, const char *content_type,
                  const char *body, size_t len)
{
    struct MHD_Response *resp;

    if (answered(r))
        return;
    resp = MHD_create_response_from_buffer(len, (void *)body,
                                           MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return;
    if (content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                content_type);
    if (r->srv->quiesced)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    r->state = REQ_RESPONDED;
    r->bytes_out = len;
    queue(r, status, resp);
}

void http_respond_error(struct http_req *r, unsigned status, int code,
                        const char *message)
{
    struct gw_buf b = {0};

    snprintf(r->reason, sizeof(r->reason), "%s", message);
    rpc_error_append(&b, NULL, 0, code, message);
    http_respond(r, status, "application/json", b.data ? b.data : "", b.len);
    buf_free(&b);
}

static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct http_req *r = cls;
    size_t n = r->out.len < max ? r->out.len : max;

    if (n > 0) {
        memcpy(buf, r->out.data, n);
        buf_consume(&r->out, n);
        r->bytes_out += n;
        return (ssize_t)n;
    }
    /* A cut stream must not look complete to its client; one whose
     * client went away just ends. */
    if (r->stream_cut)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (r->aborted)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (r->stream_done)
        return MHD_CONTENT_READER_END_OF_STREAM;
    suspend(r);
    return 0;
}

/* Queues a pending stream's bytes as one complete response. */
static void respond_whole(struct http_req *r)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        r->out.len, r->out.data ? r->out.data : "", MHD_RESPMEM_MUST_COPY);

    if (resp == NULL)
        return;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->stream_type);
    r->state = REQ_RESPONDED;
    r->bytes_out = r->out.len;
    buf_free(&r->out);
    queue(r, r->stream_status, resp);
}

/* Hands a pending stream to libmicrohttpd as a chunked response. */
static void respond_stream(struct http_req *r)
{
    struct MHD_Response *resp = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, STREAM_BLOCK, read_stream, r, NULL);

    if (resp == NULL)
        return;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->stream_type);
    r->state = REQ_STREAMING;
    queue(r, r->stream_status, resp);
}

/*
 * A stream that ends in the same loop iteration as its data arrived is
 * sent as one response with a length: the common quick call then costs
 * no chunked encoding and no second suspend. A stream with data but no
 * end yet (progress, a keep-alive) becomes a real stream.
 */
static void flush_pending(struct http_server *s)
{
    while (s->pending) {
        struct http_req *r = s->pending;

        s->pending = r->pnext;
        r->on_pending = false;
        if (r->state != REQ_PENDING || r->aborted)
            continue;
        if (r->stream_done && !r->stream_cut)
            respond_whole(r);
        else
            respond_stream(r);
    }
}

static void mark_pending(struct http_req *r)
{
    if (!r->on_pending) {
        r->on_pending = true;
        r->pnext = r->srv->pending;
        r->srv->pending = r;
    }
    kick(r->srv);
}

static void unlink_pending(struct http_req *r)
{
    struct http_req **pp = &r->srv->pending;

    while (r->on_pending && *pp) {
        if (*pp == r) {
            *pp = r->pnext;
            r->on_pending = false;
        } else {
            pp = &(*pp)->pnext;
        }
    }
}

void http_stream_start(struct http_req *r, unsigned status,
                       const char *content_type)
{
    if (answered(r))
        return;
    r->state = REQ_PENDING;
    r->stream_status = status;
    r->stream_type = content_type;
    r->last_write = uv_now(r->srv->loop);
    suspend(r);
}

/*
 * Closes the socket under libmicrohttpd: a client that reads nothing
 * never lets it write again, so it would otherwise wait for its idle
 * timeout. It sees the error, and the request ends as aborted.
 */
static void hang_up(struct http_req *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);

    if (ci)
        shutdown(ci->connect_fd, SHUT_RDWR);
}

/* Wakes whoever sends the stream's bytes: the flush, or the reader. */
static void stream_news(struct http_req *r)
{
    if (r->state == REQ_PENDING)
        mark_pending(r);
    else
        resume(r);
}

int http_stream_write(struct http_req *r, const char *p, size_t n)
{
    if (!streaming(r) || r->stream_cut || r->stream_done)
        return -EPIPE;
    /* The bound is on bytes the client has not taken yet: one message
     * larger than the bound still goes out to a client that reads. */
    if ((r->out.len > 0 && r->out.len + n > r->srv->opts.max_stream_buffer) ||
        buf_append(&r->out, p, n) < 0) {
        log_warn("http",
                 "%s is not reading its stream: cut after %zu "
                 "unsent bytes",
                 r->peer, r->out.len);
        r->stream_cut = true;
        r->srv->cut_streams++;
        buf_free(&r->out);
        hang_up(r);
        stream_news(r);
        return -ENOBUFS;
    }
    r->last_write = uv_now(r->srv->loop);
    stream_news(r);
    return 0;
}

void http_stream_end(struct http_req *r)
{
    if (!streaming(r))
        return;
    r->stream_done = true;
    stream_news(r);
}

bool http_responded(const struct http_req *r)
{
    return answered(r);
}

void http_suspend(struct http_req *r)
{
    suspend(r);
}

static void send_keepalives(struct http_server *s, uint64_t now)
{
    struct gw_buf c = {0};

    if (s->opts.keepalive_ms == 0)
        return;
    sse_comment(&c, "keepalive");
    for (struct http_req *r = s->reqs, *next; r; r = next) {
        next = r->next;
        if (streaming(r) && !r->stream_done &&
            now - r->last_write >= s->opts.keepalive_ms)
            http_stream_write(r, c.data, c.len);
    }
    buf_free(&c);
}

/* Shuts a connection's socket; libmicrohttpd then closes it as usual. */
static bool shut_connection(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

    if (ci == NULL)
        return false;
    shutdown(ci->connect_fd, SHUT_RDWR);
    return true;
}

/*
 * libmicrohttpd's own timeout restarts at every byte, so a client that
 * trickles its request would hold a connection for ever; this one does
 * not. Shutting the socket down makes libmicrohttpd see the end of it
 * and close the connection in its usual way.
 */
static void cut_slow(struct http_server *s, uint64_t now)
{
    for (struct http_conn *hc = s->conns; hc; hc = hc->next) {
        uint64_t limit = hc->phase == CONN_HEADERS ? s->opts.header_timeout_ms
                                                   : s->opts.idle_timeout_ms;
        if (hc->phase == CONN_BUSY || limit == 0 || now - hc->since < limit)
            continue;
        if (!shut_connection(hc->conn))
            continue;
        log_info("http",
                 "closing a connection that sent no complete "
                 "request in %llu ms",
                 (unsigned long long)limit);
        s->cut_slow++;
        hc->phase = CONN_BUSY; /* once is enough */
    }
}

static void on_tick(uv_timer_t *t)
{
    struct http_server *s = t->data;
    uint64_t now = uv_now(s->loop);

    send_keepalives(s, now);
    cut_slow(s, now);
}

/* --- connections ------------------------------------------------------ */

static struct http_conn *conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci ? ci->socket_context : NULL;
}

static void conn_phase(struct http_server *s, struct MHD_Connection *conn,
                       enum conn_phase phase)
{
    struct http_conn *hc = conn_of(conn);

    if (hc) {
        hc->phase = phase;
        hc->since = uv_now(s->loop);
    }
}

static void conn_link(struct http_server *s, struct http_conn *hc)
{
    hc->next = s->conns;
    if (s->conns)
        s->conns->prev = hc;
    s->conns = hc;
    s->nconns++;
}

static void conn_unlink(struct http_server *s, struct http_conn *hc)
{
    if (hc->prev)
        hc->prev->next = hc->next;
    else
        s->conns = hc->next;
    if (hc->next)
        hc->next->prev = hc->prev;
    s->nconns--;
}

static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *s = cls;
    struct http_conn *hc = *socket_context;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        hc = calloc(1, sizeof(*hc));
        if (hc == NULL)
            return;
        hc->conn = conn;
        hc->since = uv_now(s->loop);
        conn_link(s, hc);
        *socket_context = hc;
    } else if (hc) {
        conn_unlink(s, hc);
        free(hc);
        *socket_context = NULL;
    }
}

/* Called once a request line is in: the header clock starts. */
static void *on_request_line(void *cls, const char *uri,
                             struct MHD_Connection *conn)
{
    conn_phase(cls, conn, CONN_HEADERS);
    return NULL;
}

/* --- request accessors ------------------------------------------------ */

const char *http_method(const struct http_req *r)
{
    return r->method;
}

const char *http_path(const struct http_req *r)
{
    return r->path;
}

const char *http_header(const struct http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_query(const struct http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const struct gw_buf *http_body(const struct http_req *r)
{
    return &r->body;
}

const char *http_peer(const struct http_req *r)
{
    return r->peer;
}

void http_note_rpc(struct http_req *r, const char *method)
{
    snprintf(r->rpc, sizeof(r->rpc), "%s", method);
}

void http_add_header(struct http_req *r, const char *name, const char *value)
{
    if (r->nheaders == MAX_HEADERS)
        return;
    r->headers[r->nheaders].name = strdup(name);
    r->headers[r->nheaders].value = strdup(value);
    if (r->headers[r->nheaders].name && r->headers[r->nheaders].value)
        r->nheaders++;
}

void http_set_owner(struct http_req *r, void *data,
                    void (*release)(void *data, bool aborted))
{
    r->owner = data;
    r->release = release;
}

/* --- request life ----------------------------------------------------- */

static void peer_text(struct MHD_Connection *conn, char *out, size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;

    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        port = ntohs(in->sin_port);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        port = ntohs(in6->sin6_port);
    } else if (sa && sa->sa_family == AF_UNIX) {
        snprintf(out, len, "unix");
        return;
    }
    snprintf(out, len, "%s:%u", host, port);
}

static const struct http_route *find_route(struct http_server *s,
                                           const char *url)
{
    for (size_t i = 0; i < s->nroutes; i++)
        if (strcmp(s->routes[i].path, url) == 0)
            return &s->routes[i];
    return NULL;
}

static struct http_req *req_new(struct http_server *s,
                                struct MHD_Connection *conn, const char *url,
                                const char *method)
{
    struct http_req *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    r->srv = s;
    r->conn = conn;
    r->path = url;
    r->method = method;
    r->route = find_route(s, url);
    r->started_ns = uv_hrtime();
    peer_text(conn, r->peer, sizeof(r->peer));
    r->next = s->reqs;
    if (s->reqs)
        s->reqs->prev = r;
    s->reqs = r;
    s->active++;
    return r;
}

static void req_free(struct http_req *r)
{
    struct http_server *s = r->srv;

    drop_watch(r);
    unlink_pending(r);
    if (r->prev)
        r->prev->next = r->next;
    else
        s->reqs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    buf_free(&r->body);
    buf_free(&r->out);
    s->active--;
    free(r);
}

static void access_log(struct http_req *r, bool aborted)
{
    double ms = (double)(uv_hrtime() - r->started_ns) / 1e6;
    char path[4 * 128 + 4], why[4 * 96 + 4];

    r->srv->by_class[r->status / 100 < 6 ? r->status / 100 : 0]++;
    if (!log_enabled(LOG_INFO))
        return;
    log_escape(r->reason, strlen(r->reason), 95, why);
    log_info("http", "%s \"%s %s\" %u bytes=%zu ms=%.2f%s%s%s%s%s%s", r->peer,
             r->method, log_escape(r->path, strlen(r->path), 128, path),
             r->status, r->bytes_out, ms, r->rpc[0] ? " rpc=" : "", r->rpc,
             r->reason[0] ? " error=\"" : "", why, r->reason[0] ? "\"" : "",
             aborted ? " aborted" : "");
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_req *r = *req_cls;
    bool aborted;

    if (r == NULL)
        return;
    aborted = toe != MHD_REQUEST_TERMINATED_COMPLETED_OK || r->aborted ||
              r->stream_cut;
    release_owner(r, aborted);
    access_log(r, aborted);
    conn_phase(r->srv, conn, CONN_IDLE);
    /* Draining: a kept-alive connection would only get 503 next. */
    if (r->srv->quiesced)
        shut_connection(conn);
    req_free(r);
    *req_cls = NULL;
}

/* Checks made before the body arrives; true when already answered. */
static bool refuse_early(struct http_req *r)
{
    const char *cl = http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
    char msg[96];

    if (r->srv->quiesced) {
        http_respond_error(r, 503, RPC_CONNECTION_CLOSED,
                           "Gateway is shutting down");
        return true;
    }
    if (r->srv->nconns > r->srv->opts.max_connections) {
        http_add_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
        http_respond_error(r, 503, RPC_CONNECTION_CLOSED,
                           "Too many connections");
        return true;
    }
    if (cl &&
        strtoull(cl, NULL, 10) > r->srv->opts.max_body + BODY_DISCARD_MAX) {
        snprintf(msg, sizeof(msg),
                 "Payload Too Large: Request body must not exceed %zu bytes",
                 r->srv->opts.max_body);
        http_respond_error(r, 413, RPC_CONNECTION_CLOSED, msg);
        return true;
    }
    return false;
}

/* Keeps body bytes up to the limit; past it, only counts them. */
static bool take_body(struct http_req *r, const char *p, size_t n)
{
    size_t max = r->srv->opts.max_body;

    r->body_seen += n;
    if (r->too_large || r->body.len + n > max) {
        r->too_large = true;
        buf_free(&r->body);
        return r->body_seen <= max + BODY_DISCARD_MAX;
    }
    return buf_append(&r->body, p, n) == 0;
}

static void dispatch(struct http_req *r)
{
    struct http_server *s = r->srv;
    char msg[96];

    r->state = REQ_HANDLING;
    if (r->too_large) {
        snprintf(msg, sizeof(msg),
                 "Payload Too Large: Request body must not exceed %zu bytes",
                 s->opts.max_body);
        http_respond_error(r, 413, RPC_CONNECTION_CLOSED, msg);
    } else if (r->route) {
        r->route->fn(r, r->route->arg);
    } else if (s->opts.not_found) {
        s->opts.not_found(r, s->opts.not_found_arg);
    }
    if (r->state == REQ_HANDLING && !r->suspended) {
        log_error("http", "no answer for %s %s", r->method, r->path);
        http_respond_error(r, 500, RPC_INTERNAL_ERROR, "Internal error");
    }
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn,
                                 const char *url, const char *method,
                                 const char *version, const char *data,
                                 size_t *data_size, void **req_cls)
{
    struct http_server *s = cls;
    struct http_req *r = *req_cls;

    if (r == NULL) {
        r = req_new(s, conn, url, method);
        if (r == NULL)
            return MHD_NO;
        *req_cls = r;
        conn_phase(s, conn, CONN_BUSY);
        refuse_early(r);
        return MHD_YES;
    }
    if (r->aborted)
        return MHD_NO;
    if (*data_size > 0) {
        bool keep = take_body(r, data, *data_size);
        *data_size = 0;
        return keep ? MHD_YES : MHD_NO;
    }
    if (r->state == REQ_HEADERS)
        dispatch(r);
    return MHD_YES;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    size_t n;

    vsnprintf(line, sizeof(line), fmt, ap);
    n = strlen(line);
    while (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    log_info("http", "libmicrohttpd: %s", line);
}

/* --- the server ------------------------------------------------------- */

static void describe(const struct sockaddr *sa, char *out, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        snprintf(out, len, "%s:%u", host, ntohs(in->sin_port));
    } else {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        snprintf(out, len, "[%s]:%u", host, ntohs(in6->sin6_port));
    }
}

static int bind_one(const struct addrinfo *ai, char *bound, size_t len)
{
    int one = 1;
    int fd =
        socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
               ai->ai_protocol);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);

    if (fd < 0)
        return -errno;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 511) < 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    describe((struct sockaddr *)&ss, bound, len);
    return fd;
}

static int open_listener(const char *host, uint16_t port, char *bound,
                         size_t len)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
    };
    struct addrinfo *res, *ai;
    char service[8];
    int fd = -EADDRNOTAVAIL, rc;

    snprintf(service, sizeof(service), "%u", port);
    rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        log_error("http", "cannot resolve --host %s: %s", host,
                  gai_strerror(rc));
        return -EINVAL;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = bind_one(ai, bound, len);
        if (fd >= 0)
            break;
    }
    freeaddrinfo(res);
    if (fd < 0)
        log_error("http", "cannot listen on %s port %u: %s", host, port,
                  strerror(-fd));
    return fd;
}

static struct MHD_Daemon *start_daemon(struct http_server *s)
{
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    unsigned idle_s = (unsigned)((s->opts.idle_timeout_ms + 999) / 1000);
    /* The pool holds the request headers and the response buffer. */
    size_t pool = s->opts.max_header_size + 2 * STREAM_BLOCK;

    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
        s, MHD_OPTION_LISTEN_SOCKET, s->listen_fd, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_URI_LOG_CALLBACK, on_request_line, s,
        MHD_OPTION_CONNECTION_LIMIT, s->opts.max_connections + CONN_MARGIN,
        MHD_OPTION_CONNECTION_TIMEOUT, idle_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool, MHD_OPTION_END);
}

static void init_handles(struct http_server *s, int epoll_fd)
{
    uv_poll_init(s->loop, &s->epoll_watch, epoll_fd);
    uv_timer_init(s->loop, &s->timer);
    uv_timer_init(s->loop, &s->tick);
    uv_timer_init(s->loop, &s->watch_tick);
    s->epoll_watch.data = s->timer.data = s->tick.data = s;
    s->watch_tick.data = s;
    s->open_handles = 4;
    uv_poll_start(&s->epoll_watch, UV_READABLE, on_epoll);
    uint64_t tick = s->opts.keepalive_ms > 0 && s->opts.keepalive_ms < 1000
                        ? s->opts.keepalive_ms
                        : 1000;
    uv_timer_start(&s->tick, on_tick, tick, tick);
}

int http_start(struct http_server **out, uv_loop_t *loop,
               const struct http_options *opts, const struct http_route *routes,
               size_t n)
{
    struct http_server *s = calloc(1, sizeof(*s));
    const union MHD_DaemonInfo *di;

    if (s == NULL)
        return -ENOMEM;
    s->loop = loop;
    s->opts = *opts;
    s->routes = routes;
    s->nroutes = n;
    if (opts->unix_path) {
        s->listen_fd = unix_listen(&s->unix_socket, opts->unix_path);
        snprintf(s->bound, sizeof(s->bound), "unix:%s", opts->unix_path);
    } else {
        s->listen_fd =
            open_listener(opts->host, opts->port, s->bound, sizeof(s->bound));
    }
    if (s->listen_fd < 0) {
        int rc = s->listen_fd;
        free(s);
        return rc;
    }
    s->daemon = start_daemon(s);
    di = s->daemon ? MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD)
                   : NULL;
    if (di == NULL) {
        log_error("http", "libmicrohttpd did not start");
        if (s->daemon)
            MHD_stop_daemon(s->daemon);
        close(s->listen_fd);
        unix_unlink(&s->unix_socket);
        free(s);
        return -EINVAL;
    }
    init_handles(s, di->epoll_fd);
    kick(s);
    *out = s;
    return 0;
}

const char *http_bound(const struct http_server *s)
{
    return s->bound;
}

void http_quiesce(struct http_server *s)
{
    MHD_socket fd;

    if (s->quiesced)
        return;
    s->quiesced = true;
    fd = MHD_quiesce_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    /* New connections now fail at once, and a proxy tries another. */
    unix_unlink(&s->unix_socket);
    /*
     * Idle kept-alive connections are closed now, and the others once
     * their request is done: a proxy drops a cached connection that
     * closes and sends its next request elsewhere, where a 503 on it
     * would be the client's answer.
     */
    for (struct http_conn *hc = s->conns; hc; hc = hc->next)
        if (hc->phase == CONN_IDLE)
            shut_connection(hc->conn);
}

size_t http_active(const struct http_server *s)
{
    return s->active;
}

static void on_closed(uv_handle_t *h)
{
    struct http_server *s = h->data;

    if (--s->open_handles > 0)
        return;
    if (s->on_stopped)
        s->on_stopped(s->stopped_arg);
    free(s);
}

void http_stop(struct http_server *s, void (*done)(void *arg), void *arg)
{
    log_info(
        "http",
        "answered 2xx=%llu 3xx=%llu 4xx=%llu 5xx=%llu; cut %llu slow "
        "connections and %llu unread streams",
        (unsigned long long)s->by_class[2], (unsigned long long)s->by_class[3],
        (unsigned long long)s->by_class[4], (unsigned long long)s->by_class[5],
        (unsigned long long)s->cut_slow, (unsigned long long)s->cut_streams);
    s->on_stopped = done;
    s->stopped_arg = arg;
    for (struct http_req *r = s->reqs; r; r = r->next) {
        if (!r->suspended)
            continue;
        r->aborted = true;
        release_owner(r, true);
        resume(r);
    }
    /* Let the daemon take the resumed connections back before it stops;
     * it must never stop with one suspended. */
    MHD_run(s->daemon);
    uv_close((uv_handle_t *)&s->epoll_watch, on_closed);
    uv_close((uv_handle_t *)&s->timer, on_closed);
    uv_close((uv_handle_t *)&s->tick, on_closed);
    uv_close((uv_handle_t *)&s->watch_tick, on_closed);
    MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
    unix_unlink(&s->unix_socket);
}
