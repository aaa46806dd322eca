/* SPDX-License-Identifier: MIT */
/* The session table: ids, lookup, idle expiry, and where server
 * messages go. */
#include "mcpgw/session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "mcpgw/log.h"

#define NBUCKETS       1024
#define SWEEP_MS       1000
#define HELD_MAX       256 /* messages waiting for a stream */
#define HELD_BYTES_MAX (1024 * 1024)
#define STREAMS_KEPT   16   /* finished streams kept for resumption */
#define ENDED_KEPT     1024 /* ended shared sessions remembered */

static size_t bucket_of(const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a: the ids are random already */

    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 16777619u;
    return h % NBUCKETS;
}

static void unhash(struct session_table *t, struct session *s)
{
    struct session **pp = &t->buckets[bucket_of(s->id)];

    while (*pp && *pp != s)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = s->hnext;
}

/* A proxy in front of replicas routes on the part before the '.'. */
int session_new_id(char out[SESSION_ID_LEN + 1], const char *replica)
{
    unsigned char raw[SESSION_ID_HEX / 2];
    int n = replica ? snprintf(out, SESSION_ID_LEN + 1, "%.*s.",
                               CONFIG_REPLICA_ID_MAX, replica)
                    : 0;

    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return -EIO;
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(out + n + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

/* --- where server messages go --------------------------------------- */

static void hold(struct session *s, const char *msg, size_t len)
{
    if (s->nheld >= HELD_MAX || s->held.len + len + 1 > HELD_BYTES_MAX) {
        log_warn("session",
                 "%.8s: no stream open; dropped a server "
                 "message (%zu waiting)",
                 s->id, s->nheld);
        return;
    }
    if (buf_append(&s->held, msg, len) == 0 && buf_append(&s->held, "", 1) == 0)
        s->nheld++;
}

/*
 * Every stream of a session belongs to the one client, so nothing can
 * reach another client here; the newest POST stream still open is
 * preferred, as a server's request usually belongs to the call in
 * flight, then the GET stream, then the message waits for one.
 */
static void deliver(struct session *s, const char *msg, size_t len)
{
    for (int pass = 0; pass < 2; pass++)
        for (struct session_sink *k = s->sinks; k; k = k->next)
            if (k->kind == (pass == 0 ? SINK_POST : SINK_GET) &&
                k->deliver(k, msg, len) == 0)
                return;
    hold(s, msg, len);
}

static void flush_held(struct session *s, struct session_sink *sink)
{
    size_t off = 0;

    while (off < s->held.len) {
        size_t n = strlen(s->held.data + off);
        if (sink->deliver(sink, s->held.data + off, n) < 0)
            break;
        off += n + 1;
        s->nheld--;
    }
    buf_consume(&s->held, off);
}

static void on_message(void *owner, const char *doc, const struct rpc_msg *m)
{
    struct session *s = owner;

    deliver(s, doc + m->root.off, m->root.len);
}

static void on_child_gone(void *owner)
{
    session_end(owner, "its MCP server exited");
}

static const struct backend_events session_events = {on_message, on_child_gone};

/* --- life ---------------------------------------------------------- */

static void maybe_stopped(struct session_table *t)
{
    if (t->stopping && t->all == NULL && t->on_stopped) {
        void (*done)(void *) = t->on_stopped;
        t->on_stopped = NULL;
        done(t->stopped_arg);
    }
}

static void list_remove(struct session_table *t, struct session *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        t->all = s->next;
    if (s->next)
        s->next->prev = s->prev;
}

static void on_backend_stopped(void *arg)
{
    struct session *s = arg;
    struct session_table *t = s->table;

    list_remove(t, s);
    buf_free(&s->held);
    while (s->streams) {
        struct stream *st = s->streams;
        s->streams = st->next;
        stream_free(st);
        free(st);
    }
    free(s);
    maybe_stopped(t);
}

static void remember_ended(struct session_table *t, const char *id)
{
    if (t->ended_ids == NULL &&
        (t->ended_ids = calloc(ENDED_KEPT, sizeof(*t->ended_ids))) == NULL)
        return;
    snprintf(t->ended_ids[t->ended_next], sizeof(t->ended_ids[0]), "%s", id);
    t->ended_next = (t->ended_next + 1) % ENDED_KEPT;
    if (t->nended < ENDED_KEPT)
        t->nended++;
}

bool session_ended_recently(const struct session_table *t, const char *id)
{
    for (size_t i = 0; i < t->nended; i++)
        if (strcmp(t->ended_ids[i], id) == 0)
            return true;
    return false;
}

void session_end(struct session *s, const char *why)
{
    struct session_table *t = s->table;

    if (s->ended)
        return;
    s->ended = true;
    unhash(t, s);
    t->live--;
    log_info("session", "%.8s ended: %s", s->id, why);
    while (s->sinks) {
        struct session_sink *k = s->sinks;
        session_detach(s, k);
        k->close(k);
    }
    if (s->shared) {
        remember_ended(t, s->id);
        on_backend_stopped(s); /* there is none: free it now */
        return;
    }
    backend_stop(&s->backend, on_backend_stopped, s);
}

static void link_session(struct session_table *t, struct session *s)
{
    s->table = t;
    s->last_active = uv_now(t->loop);
    s->hnext = t->buckets[bucket_of(s->id)];
    t->buckets[bucket_of(s->id)] = s;
    s->next = t->all;
    if (t->all)
        t->all->prev = s;
    t->all = s;
    t->live++;
}

static void unlink_session(struct session_table *t, struct session *s)
{
    unhash(t, s);
    list_remove(t, s);
    t->live--;
}

/*
 * Starts the child of a linked session. Returns 0, or a negative errno
 * with the session unlinked and freed (now, or once its backend has
 * stopped: a child that cannot start ends it the usual way).
 */
static int start_own_child(struct session *s)
{
    int rc = backend_start_session(&s->backend, s->table->loop, s->table->cfg,
                                   &session_events, s);

    if (rc < 0) { /* nothing of the backend was made yet */
        unlink_session(s->table, s);
        free(s);
        return rc;
    }
    if (!backend_ready(&s->backend)) {
        session_end(s, "its MCP server could not start");
        return -EIO;
    }
    return 0;
}

struct session *session_new(struct session_table *t, int *err)
{
    struct session *s;

    if (t->stopping || t->live >= t->cfg->max_sessions) {
        *err = -EBUSY;
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    *err = session_new_id(s->id, t->cfg->replica_id);
    if (*err < 0) {
        free(s);
        return NULL;
    }
    link_session(t, s);
    s->shared = t->shared;
    if (!s->shared && (*err = start_own_child(s)) < 0)
        return NULL;
    t->created++;
    log_info("session", "%.8s started (%zu live)", s->id, t->live);
    return s;
}

struct session *session_find(struct session_table *t, const char *id)
{
    struct session *s;

    if (id == NULL || t->buckets == NULL || strlen(id) > SESSION_ID_LEN)
        return NULL;
    for (s = t->buckets[bucket_of(id)]; s; s = s->hnext) {
        if (strcmp(s->id, id) == 0) {
            s->last_active = uv_now(t->loop);
            return s;
        }
    }
    return NULL;
}

void session_attach(struct session *s, struct session_sink *sink)
{
    sink->prev = NULL;
    sink->next = s->sinks;
    if (s->sinks)
        s->sinks->prev = sink;
    s->sinks = sink;
    if (sink->kind == SINK_GET && s->nheld > 0)
        flush_held(s, sink);
}

void session_detach(struct session *s, struct session_sink *sink)
{
    if (sink->prev)
        sink->prev->next = sink->next;
    else if (s->sinks == sink)
        s->sinks = sink->next;
    if (sink->next)
        sink->next->prev = sink->prev;
    sink->prev = sink->next = NULL;
}

static struct stream_limits stream_limits(const struct session *s)
{
    const struct gw_config *cfg = s->table->cfg;

    return (struct stream_limits){cfg->resume_events, cfg->resume_bytes};
}

static struct stream *add_stream(struct session *s, unsigned number)
{
    struct stream *st = malloc(sizeof(*st));
    struct stream_limits l = stream_limits(s);

    if (st == NULL)
        return NULL;
    stream_init(st, number, &l);
    st->prev = NULL;
    st->next = s->streams;
    if (s->streams)
        s->streams->prev = st;
    s->streams = st;
    return st;
}

static void drop_stream(struct session *s, struct stream *st)
{
    if (st->prev)
        st->prev->next = st->next;
    else
        s->streams = st->next;
    if (st->next)
        st->next->prev = st->prev;
    stream_free(st);
    free(st);
}

/* Forgets finished POST streams past STREAMS_KEPT, oldest first. */
static void trim_streams(struct session *s)
{
    size_t kept = 0;
    struct stream *st = s->streams, *next;

    for (; st; st = next) {
        next = st->next;
        if (st->number == 0 || !st->finished || st->att)
            continue;
        if (++kept > STREAMS_KEPT)
            drop_stream(s, st);
    }
}

struct stream *session_stream_new(struct session *s)
{
    trim_streams(s);
    return add_stream(s, ++s->next_stream);
}

struct stream *session_stream_find(struct session *s, unsigned number)
{
    for (struct stream *st = s->streams; st; st = st->next)
        if (st->number == number)
            return st;
    return NULL;
}

struct stream *session_get_stream(struct session *s)
{
    struct stream *st = session_stream_find(s, 0);

    return st ? st : add_stream(s, 0);
}

bool session_has_get(const struct session *s)
{
    for (const struct session_sink *k = s->sinks; k; k = k->next)
        if (k->kind == SINK_GET)
            return true;
    return false;
}

/*
 * An open GET stream does not keep a session alive: a client that
 * vanished without closing it would otherwise hold its child for ever.
 * Calls in flight do.
 */
static void on_sweep(uv_timer_t *h)
{
    struct session_table *t = h->data;
    uint64_t now = uv_now(t->loop), limit = t->cfg->session_timeout;

    for (struct session *s = t->all, *next; s; s = next) {
        next = s->next;
        if (backend_pending(&s->backend) > 0)
            s->last_active = now; /* its clock starts when the call ends */
        if (s->ended || now - s->last_active < limit)
            continue;
        t->expired++;
        session_end(s, "idle past --sessionTimeout");
    }
}

int session_table_init(struct session_table *t, uv_loop_t *loop,
                       const struct gw_config *cfg, bool shared)
{
    memset(t, 0, sizeof(*t));
    t->loop = loop;
    t->cfg = cfg;
    t->shared = shared;
    t->buckets = calloc(NBUCKETS, sizeof(*t->buckets));
    if (t->buckets == NULL)
        return -ENOMEM;
    t->nbuckets = NBUCKETS;
    uv_timer_init(loop, &t->sweep);
    t->sweep.data = t;
    uv_timer_start(&t->sweep, on_sweep, SWEEP_MS, SWEEP_MS);
    return 0;
}

static void on_sweep_closed(uv_handle_t *h)
{
    struct session_table *t = h->data;

    free(t->buckets);
    t->buckets = NULL;
    free(t->ended_ids);
    t->ended_ids = NULL;
}

size_t session_table_pending(const struct session_table *t)
{
    size_t n = 0;

    for (const struct session *s = t->all; s; s = s->next)
        if (!s->ended)
            n += backend_pending(&s->backend);
    return n;
}

void session_table_stop(struct session_table *t, void (*done)(void *arg),
                        void *arg)
{
    t->stopping = true;
    t->on_stopped = done;
    t->stopped_arg = arg;
    uv_close((uv_handle_t *)&t->sweep, on_sweep_closed);
    for (struct session *s = t->all, *next; s; s = next) {
        next = s->next;
        session_end(s, "gateway shutting down");
    }
    maybe_stopped(t);
}
