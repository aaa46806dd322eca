/* SPDX-License-Identifier: MIT */
/*
 * Which MCP server process has which cgroup: a leaf is made before each
 * spawn, handed to the helper in its plan, and removed when that process
 * has exited and what it left behind is gone.
 */
#include "sandbox_int.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mcpgw/log.h"

#define RETRY_MS    50  /* between attempts to remove a leaf still busy */
#define RETRY_TRIES 100 /* then it is left behind, and said so */

struct sb_child {
    struct sb_child *next; /* owned */
    char name[32];         /* the leaf's: spawn-SEQ */
    pid_t pid;             /* 0: not started (yet) */
    bool exited;           /* its leaf is being removed */
    unsigned tries;        /* removals that found it busy */
};

/* Loop thread only. */
static struct {
    const struct sb_cgroup *cg; /* borrowed, NULL: no cgroups */
    size_t n, max;              /* leaves now; at most */
    uint64_t seq;               /* names the next leaf */
    struct sb_child *all;       /* owned list */
    uv_loop_t *loop;            /* borrowed: the retry timer's */
    uv_timer_t retry;           /* unreferenced: never holds the loop */
    bool retry_ready;           /* retry initialised */
} kids;

void sb_children_init(const struct sb_cgroup *cg, size_t max)
{
    memset(&kids, 0, sizeof(kids));
    kids.cg = cg;
    kids.max = max;
}

static void unlink_child(struct sb_child *c)
{
    for (struct sb_child **p = &kids.all; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            kids.n--;
            free(c);
            return;
        }
    }
}

/* Tries once to remove c's leaf; true when it is gone (c is freed). */
static bool remove_now(struct sb_child *c)
{
    if (sb_cgroup_remove_leaf(kids.cg, c->name) == 0) {
        unlink_child(c);
        return true;
    }
    if (++c->tries == RETRY_TRIES) {
        log_warn("sandbox",
                 "cgroup %s of pid=%d still holds processes after %d ms: "
                 "left behind",
                 c->name, (int)c->pid, RETRY_MS * RETRY_TRIES);
        unlink_child(c);
        return true;
    }
    return false;
}

/* One pass over the exited; true when some are still busy. */
static bool retry_exited(void)
{
    bool busy = false;

    for (struct sb_child *c = kids.all, *next; c; c = next) {
        next = c->next;
        if (c->exited && !remove_now(c))
            busy = true;
    }
    return busy;
}

static void on_retry(uv_timer_t *t)
{
    if (retry_exited())
        uv_timer_start(t, on_retry, RETRY_MS, 0);
}

static void retry_later(uv_loop_t *loop)
{
    if (loop == NULL)
        return;
    if (!kids.retry_ready) {
        uv_timer_init(loop, &kids.retry);
        uv_unref((uv_handle_t *)&kids.retry);
        kids.loop = loop;
        kids.retry_ready = true;
    }
    if (!uv_is_active((uv_handle_t *)&kids.retry))
        uv_timer_start(&kids.retry, on_retry, RETRY_MS, 0);
}

struct sb_child *sb_children_add(char *why, size_t whylen)
{
    retry_exited();
    if (kids.n >= kids.max) {
        snprintf(why, whylen,
                 "%zu MCP server cgroups exist already, the most "
                 "this gateway makes",
                 kids.n);
        return NULL;
    }
    struct sb_child *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    /* Named by spawn order, not by session: cgroup paths can be read by
     * anyone in /proc/PID/cgroup, and a session id is a credential. The
     * log ties spawn-N to its pid, and the pid to its session. */
    snprintf(c->name, sizeof(c->name), "spawn-%" PRIu64, ++kids.seq);
    if (sb_cgroup_make_leaf(kids.cg, c->name, why, whylen) < 0) {
        free(c);
        return NULL;
    }
    c->next = kids.all;
    kids.all = c;
    kids.n++;
    return c;
}

const char *sb_child_name(const struct sb_child *c)
{
    return c->name;
}

void sb_children_started(struct sb_child *c, pid_t pid)
{
    c->pid = pid;
}

struct sb_child *sb_children_find(pid_t pid)
{
    for (struct sb_child *c = kids.all; c; c = c->next) {
        if (c->pid == pid && !c->exited)
            return c;
    }
    return NULL;
}

void sb_children_remove(struct sb_child *c, uv_loop_t *loop)
{
    c->exited = true;
    if (!remove_now(c))
        retry_later(loop);
}

void sb_children_stop(void)
{
    if (kids.retry_ready) {
        uv_close((uv_handle_t *)&kids.retry, NULL);
        uv_run(kids.loop, UV_RUN_NOWAIT);
        kids.retry_ready = false;
    }
    /* The gateway is leaving: what its children left gets a second. */
    for (int i = 0; i < 100 && kids.all; i++) {
        for (struct sb_child *c = kids.all, *next; c; c = next) {
            next = c->next;
            if (sb_cgroup_remove_leaf(kids.cg, c->name) == 0)
                unlink_child(c);
        }
        if (kids.all)
            usleep(10000);
    }
    while (kids.all) {
        log_warn("sandbox",
                 "cgroup %s of pid=%d still holds processes: "
                 "left behind",
                 kids.all->name, (int)kids.all->pid);
        unlink_child(kids.all);
    }
    kids.cg = NULL;
}
