/* SPDX-License-Identifier: MIT */
/* The table of requests in flight on one child, and id rewriting. */
#include "mcpgw/router.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUTER_MIN_BUCKETS 64

int router_init(struct router *r)
{
    memset(r, 0, sizeof(*r));
    r->buckets = calloc(ROUTER_MIN_BUCKETS, sizeof(*r->buckets));
    if (r->buckets == NULL)
        return -ENOMEM;
    r->nbuckets = ROUTER_MIN_BUCKETS;
    r->next_id = 1;
    return 0;
}

static void entry_free(struct rt_entry *e)
{
    free(e->caller_id);
    free(e->caller_token);
    buf_free(&e->request);
    free(e);
}

void router_free(struct router *r)
{
    struct rt_entry *e = r->oldest;

    while (e) {
        struct rt_entry *next = e->next;
        entry_free(e);
        e = next;
    }
    free(r->buckets);
    memset(r, 0, sizeof(*r));
}

uint64_t router_next_id(struct router *r)
{
    return r->next_id++;
}

/* Doubles the bucket array; on failure the table just gets slower. */
static void grow(struct router *r)
{
    size_t n = r->nbuckets * 2;
    struct rt_entry **b = calloc(n, sizeof(*b));

    if (b == NULL)
        return;
    for (struct rt_entry *e = r->oldest; e; e = e->next) {
        e->hnext = b[e->id & (n - 1)];
        b[e->id & (n - 1)] = e;
    }
    free(r->buckets);
    r->buckets = b;
    r->nbuckets = n;
}

static void link_entry(struct router *r, struct rt_entry *e)
{
    size_t i = e->id & (r->nbuckets - 1);

    e->hnext = r->buckets[i];
    r->buckets[i] = e;
    e->prev = r->newest;
    e->next = NULL;
    if (r->newest)
        r->newest->next = e;
    else
        r->oldest = e;
    r->newest = e;
    r->count++;
}

static void unlink_holder(struct router *r, struct rt_entry *e)
{
    if (e->hold_prev)
        e->hold_prev->hold_next = e->hold_next;
    else
        r->holders = e->hold_next;
    if (e->hold_next)
        e->hold_next->hold_prev = e->hold_prev;
    r->nholders--;
}

static void unlink_entry(struct router *r, struct rt_entry *e)
{
    struct rt_entry **pp = &r->buckets[e->id & (r->nbuckets - 1)];

    while (*pp && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = e->hnext;
    if (e->prev)
        e->prev->next = e->next;
    else
        r->oldest = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        r->newest = e->prev;
    r->count--;
    if (e->holds)
        unlink_holder(r, e);
}

static char *dup_span(const char *doc, struct json_span s, size_t *len)
{
    char *p = malloc(s.len + 1);

    if (p == NULL)
        return NULL;
    memcpy(p, doc + s.off, s.len);
    p[s.len] = '\0';
    *len = s.len;
    return p;
}

/* Writes the request for the child: our id, and our token if any. */
static int rewrite_request(struct rt_entry *e, const char *doc,
                           const struct rpc_msg *m)
{
    char id[24];
    int n = snprintf(id, sizeof(id), "%" PRIu64, e->id);
    struct rpc_edit edits[2] = {
        {m->id, id, (size_t)n},
        {m->progress_token, id, (size_t)n},
    };

    return rpc_splice(&e->request, doc, m->root, edits, 2);
}

static int fill_entry(struct rt_entry *e, const char *doc,
                      const struct rpc_msg *m)
{
    e->caller_id = dup_span(doc, m->id, &e->caller_id_len);
    if (e->caller_id == NULL)
        return -ENOMEM;
    if (m->progress_token.type != JSON_NONE) {
        e->caller_token =
            dup_span(doc, m->progress_token, &e->caller_token_len);
        if (e->caller_token == NULL)
            return -ENOMEM;
    }
    if (e->state == RT_LOCAL)
        return 0;
    return rewrite_request(e, doc, m);
}

struct rt_entry *router_add(struct router *r, const char *doc,
                            const struct rpc_msg *m, enum rt_state state,
                            const struct rt_caller_ops *ops, void *owner,
                            unsigned slot, uint64_t deadline)
{
    struct rt_entry *e = calloc(1, sizeof(*e));

    if (e == NULL)
        return NULL;
    e->id = router_next_id(r);
    e->state = state;
    e->ops = ops;
    e->owner = owner;
    e->slot = slot;
    e->deadline = deadline;
    if (fill_entry(e, doc, m) < 0) {
        entry_free(e);
        return NULL;
    }
    if (r->count >= r->nbuckets)
        grow(r);
    link_entry(r, e);
    return e;
}

struct rt_entry *router_find(struct router *r, uint64_t id)
{
    struct rt_entry *e = r->buckets[id & (r->nbuckets - 1)];

    while (e && e->id != id)
        e = e->hnext;
    return e;
}

void router_hold(struct router *r, struct rt_entry *e)
{
    if (e->holds)
        return;
    e->holds = true;
    e->hold_prev = NULL;
    e->hold_next = r->holders;
    if (r->holders)
        r->holders->hold_prev = e;
    r->holders = e;
    r->nholders++;
}

struct rt_entry *router_sole_holder(const struct router *r)
{
    if (r->nholders != 1 || r->holders->state != RT_SENT)
        return NULL;
    return r->holders;
}

void router_drop(struct router *r, struct rt_entry *e)
{
    /* Server requests made for it must not wait for an answer that
     * cannot come now. */
    if (e->asks > 0 && r->on_holder_gone)
        r->on_holder_gone(r->holder_arg, e);
    unlink_entry(r, e);
    entry_free(e);
}

/* Removes e, then hands msg to its owner; e is freed before the call. */
static void finish(struct router *r, struct rt_entry *e, enum rt_fail why,
                   struct gw_buf *msg)
{
    const struct rt_caller_ops *ops = e->ops;
    void *owner = e->owner;
    unsigned slot = e->slot;

    router_drop(r, e);
    ops->on_reply(owner, slot, why, msg->data ? msg->data : "", msg->len);
}

static bool route_response(struct router *r, const char *doc,
                           const struct rpc_msg *m)
{
    uint64_t id;
    struct rt_entry *e;
    struct gw_buf out = {0};

    if (!json_uint64(doc, m->id, &id))
        return false;
    e = router_find(r, id);
    if (e == NULL || e->state != RT_SENT)
        return false;

    struct rpc_edit edit = {m->id, e->caller_id, e->caller_id_len};
    if (rpc_splice(&out, doc, m->root, &edit, 1) < 0) {
        buf_free(&out);
        router_fail(r, e, RT_FAIL_EXITED, RPC_INTERNAL_ERROR,
                    "Internal error: out of memory");
        return true;
    }
    finish(r, e, RT_OK, &out);
    buf_free(&out);
    return true;
}

static bool route_progress(struct router *r, const char *doc,
                           const struct rpc_msg *m)
{
    uint64_t id;
    struct rt_entry *e;
    struct gw_buf out = {0};

    if (!json_uint64(doc, m->progress_token, &id))
        return false;
    e = router_find(r, id);
    if (e == NULL || e->state != RT_SENT || e->caller_token == NULL)
        return false;

    struct rpc_edit edit = {m->progress_token, e->caller_token,
                            e->caller_token_len};
    if (rpc_splice(&out, doc, m->root, &edit, 1) == 0)
        e->ops->on_notify(e->owner, e->slot, out.data, out.len);
    buf_free(&out);
    return true;
}

/* Reads params.progressToken of a progress notification. */
static void progress_token(const char *doc, struct rpc_msg *m)
{
    struct json_span t;

    if (m->params.type == JSON_OBJECT &&
        json_member(doc, m->params, "progressToken", &t) == 1)
        m->progress_token = t;
}

bool router_route(struct router *r, const char *doc, const struct rpc_msg *m)
{
    if (m->kind == RPC_RESPONSE)
        return route_response(r, doc, m);
    if (m->kind == RPC_NOTIFICATION &&
        strcmp(m->method, "notifications/progress") == 0) {
        struct rpc_msg copy = *m;
        progress_token(doc, &copy);
        return route_progress(r, doc, &copy);
    }
    return false;
}

void router_fail(struct router *r, struct rt_entry *e, enum rt_fail why,
                 int code, const char *message)
{
    struct gw_buf out = {0};

    rpc_error_append(&out, e->caller_id, e->caller_id_len, code, message);
    finish(r, e, why, &out);
    buf_free(&out);
}

void router_answer(struct router *r, struct rt_entry *e, const char *result,
                   size_t len)
{
    struct gw_buf out = {0};

    buf_append_str(&out, "{\"jsonrpc\":\"2.0\",\"id\":");
    buf_append(&out, e->caller_id, e->caller_id_len);
    buf_append_str(&out, ",\"result\":");
    buf_append(&out, result, len);
    buf_append(&out, "}", 1);
    finish(r, e, RT_OK, &out);
    buf_free(&out);
}
