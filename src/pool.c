/* SPDX-License-Identifier: MIT */
/* The shared children and the choice of one for each call. */
#include "mcpgw/pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mcpgw/log.h"

/* True when a is a better place than b for the call. */
static bool better(const struct pool_load *a, const struct pool_load *b,
                   bool holds)
{
    if (holds && a->holders != b->holders)
        return a->holders < b->holders;
    return a->calls < b->calls;
}

size_t pool_choose(const struct pool_load *loads, size_t n, bool holds)
{
    bool any_ready = false;
    size_t best = n;

    for (size_t i = 0; i < n; i++)
        any_ready = any_ready || loads[i].ready;
    for (size_t i = 0; i < n; i++) {
        if (any_ready && !loads[i].ready)
            continue;
        if (best == n || better(&loads[i], &loads[best], holds))
            best = i;
    }
    return best;
}

int pool_start(struct pool *p, uv_loop_t *loop, const struct gw_config *cfg)
{
    size_t n = cfg->pool ? cfg->pool : 1;

    p->members = calloc(n, sizeof(*p->members));
    if (p->members == NULL)
        return -ENOMEM;
    p->n = n;
    for (size_t i = 0; i < n; i++) {
        if (backend_start(&p->members[i], loop, cfg) < 0)
            return -ENOMEM;
        p->running++;
    }
    return 0;
}

static struct backend *choose(struct pool *p, const char *method)
{
    struct pool_load loads[CONFIG_POOL_MAX];

    if (p->n == 1)
        return &p->members[0];
    for (size_t i = 0; i < p->n; i++)
        loads[i] = (struct pool_load){
            .ready = backend_ready(&p->members[i]),
            .calls = backend_pending(&p->members[i]),
            .holders = backend_holders(&p->members[i]),
        };
    return &p->members[pool_choose(loads, p->n, backend_may_ask(method))];
}

int pool_call(struct pool *p, const char *doc, const struct rpc_msg *m,
              const struct rt_caller_ops *ops, void *owner, unsigned slot,
              struct gw_buf *now, struct rt_entry **entry)
{
    return backend_call(choose(p, m->method), doc, m, ops, owner, slot, now,
                        entry);
}

void pool_cancel(struct pool *p, struct rt_entry *e, const char *reason)
{
    for (size_t i = 0; i < p->n; i++) {
        struct backend *b = &p->members[i];
        if (router_find(&b->router, e->id) == e) {
            backend_cancel(b, e, reason);
            return;
        }
    }
}

void pool_answer(struct pool *p, const char *doc, const struct rpc_msg *m)
{
    char esc[4 * 64 + 4];

    for (size_t i = 0; i < p->n; i++) {
        int rc = backend_answer(&p->members[i], doc, m);
        if (rc > 0)
            return;
        if (rc < 0) {
            log_info("pool", "could not pass a client's answer on: %s",
                     strerror(-rc));
            return;
        }
    }
    log_info("pool",
             "dropped a client's response to no waiting server request "
             "(id %s)",
             log_escape(doc + m->id.off, m->id.len, 64, esc));
}

bool pool_ready(const struct pool *p)
{
    for (size_t i = 0; i < p->n; i++)
        if (backend_ready(&p->members[i]))
            return true;
    return false;
}

size_t pool_pending(const struct pool *p)
{
    size_t n = 0;

    for (size_t i = 0; i < p->n; i++)
        n += backend_pending(&p->members[i]);
    return n;
}

static void log_stats(const struct pool *p)
{
    struct backend_stats s = {0};

    for (size_t i = 0; i < p->n; i++) {
        const struct backend_stats *m = &p->members[i].stats;
        s.calls += m->calls;
        s.restarts += m->restarts;
        s.exits += m->exits;
        s.timeouts += m->timeouts;
        s.oversize += m->oversize;
        s.noise += m->noise;
        s.unrouted += m->unrouted;
        s.asked += m->asked;
        s.cancelled += m->cancelled;
    }
    log_info("backend",
             "children=%zu calls=%llu restarts=%llu exits=%llu "
             "timeouts=%llu oversize=%llu noise=%llu unrouted=%llu "
             "asked=%llu cancelled=%llu",
             p->n, (unsigned long long)s.calls, (unsigned long long)s.restarts,
             (unsigned long long)s.exits, (unsigned long long)s.timeouts,
             (unsigned long long)s.oversize, (unsigned long long)s.noise,
             (unsigned long long)s.unrouted, (unsigned long long)s.asked,
             (unsigned long long)s.cancelled);
}

static void member_stopped(void *arg)
{
    struct pool *p = arg;

    if (--p->running > 0)
        return;
    free(p->members);
    p->members = NULL;
    p->n = 0;
    if (p->on_stopped)
        p->on_stopped(p->stopped_arg);
}

void pool_stop(struct pool *p, void (*done)(void *arg), void *arg)
{
    if (p->stopping || p->n == 0)
        return;
    p->stopping = true;
    log_stats(p);
    p->on_stopped = done;
    p->stopped_arg = arg;
    for (size_t i = 0; i < p->n; i++)
        backend_stop(&p->members[i], member_stopped, p);
}
