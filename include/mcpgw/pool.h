/* SPDX-License-Identifier: MIT */
/*
 * The shared children (--pool N): N shared backends of the same command
 * and a chooser in front. A call that may ask its client something
 * (backend_may_ask) holds the child it runs on; the chooser gives it a
 * child that no other such call holds when there is one, so that what
 * the child asks while it runs can be given to that call's client alone.
 * Holding is bookkeeping, never a wait: calls on one child stay
 * concurrent.
 */
#ifndef MCPGW_POOL_H
#define MCPGW_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "mcpgw/backend.h"
#include "mcpgw/config.h"

struct pool {
    struct backend *members; /* owned array of n */
    size_t n;
    size_t running; /* members not stopped yet */
    bool stopping;
    void (*on_stopped)(void *arg); /* set by pool_stop */
    void *stopped_arg;
};

/* What the chooser knows of one member. */
struct pool_load {
    bool ready;
    size_t calls;   /* in flight or waiting */
    size_t holders; /* of those, calls that hold it */
};

/*
 * The member for a new call, by index: among the ready members (all of
 * them when none is), a holding call takes the one with the fewest
 * holders, then the fewest calls; another call the one with the fewest
 * calls. Ties go to the lowest index. n > 0.
 */
size_t pool_choose(const struct pool_load *loads, size_t n, bool holds);

/*
 * Starts cfg->pool shared backends. Returns 0 or -ENOMEM (children that
 * fail to start are retried, as backend_start says).
 */
int pool_start(struct pool *p, uv_loop_t *loop, const struct gw_config *cfg);

/* backend_call on the member pool_choose picks. */
int pool_call(struct pool *p, const char *doc, const struct rpc_msg *m,
              const struct rt_caller_ops *ops, void *owner, unsigned slot,
              struct gw_buf *now, struct rt_entry **entry);

/* backend_cancel on the member that has e. */
void pool_cancel(struct pool *p, struct rt_entry *e, const char *reason);

/*
 * A client's response (m): the answer to a request a member made of it,
 * given back to that member. One that answers no waiting request (an
 * unknown id, or one answered already) is logged and dropped; either
 * way the client's POST gets 202.
 */
void pool_answer(struct pool *p, const char *doc, const struct rpc_msg *m);

/* True while at least one member is ready. */
bool pool_ready(const struct pool *p);

/* Calls in flight or waiting, on all members. */
size_t pool_pending(const struct pool *p);

/*
 * Logs the members' counters summed, stops every member (backend_stop)
 * and calls done(arg) once all are stopped.
 */
void pool_stop(struct pool *p, void (*done)(void *arg), void *arg);

#endif
