/* SPDX-License-Identifier: MIT */
/*
 * The requests in flight on one MCP server child. Every request written
 * to the child gets a fresh integer id unique on that child; the entry
 * remembers the caller's own id and progress token as raw JSON text, so
 * replies go back byte for byte, and two callers' equal ids or tokens
 * never meet on the child.
 */
#ifndef MCPGW_ROUTER_H
#define MCPGW_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcpgw/buf.h"
#include "mcpgw/jsonrpc.h"

/* Why the gateway answered a call itself instead of the child. */
enum rt_fail {
    RT_OK = 0,        /* a real reply from the child */
    RT_FAIL_EXITED,   /* the child exited before answering */
    RT_FAIL_TIMEOUT,  /* the request timeout passed */
    RT_FAIL_NOTREADY, /* the child was not ready within the ready timeout */
    RT_FAIL_OVERSIZE, /* the reply exceeded the frame limit */
    RT_FAIL_SHUTDOWN, /* the gateway is stopping */
};

/* How the router reaches whoever waits for a call. */
struct rt_caller_ops {
    /*
     * The answer to a call: msg is a complete JSON-RPC response carrying
     * the caller's id. The entry is already gone when this runs.
     */
    void (*on_reply)(void *owner, unsigned slot, enum rt_fail why,
                     const char *msg, size_t len);
    /* A notification for the call (progress), with the token restored. */
    void (*on_notify)(void *owner, unsigned slot, const char *msg, size_t len);
    /*
     * A message of the child's own that names no call (a server request,
     * carrying the gateway's id for it, or a logging notification), made
     * while this call was the only one holding its child; method is its
     * method. Returns 0 when it is on its way to the client, -ENOTSUP
     * when the client did not declare the capability the method needs,
     * or another negative errno when this caller has no stream to carry
     * it (a JSON body). NULL: the caller never takes them.
     */
    int (*on_server_message)(void *owner, unsigned slot, const char *method,
                             const char *msg, size_t len);
};

enum rt_state {
    RT_WAITING = 0, /* not written yet: the child is not ready */
    RT_SENT,        /* written to the child */
    RT_LOCAL,       /* answered by the gateway once the child is ready */
};

struct rt_entry {
    uint64_t id; /* the id on the child */
    enum rt_state state;
    const struct rt_caller_ops *ops; /* borrowed, static */
    void *owner;                     /* borrowed: the waiting exchange */
    unsigned slot;                   /* which call of the owner */
    char *caller_id;                 /* owned: raw JSON text of the id */
    size_t caller_id_len;
    char *caller_token; /* owned: raw token text, or NULL */
    size_t caller_token_len;
    struct gw_buf request;        /* owned: the message to write, kept
                                     while waiting */
    uint64_t deadline;            /* loop time (ms) of the timeout */
    uint64_t ready_deadline;      /* while waiting: the ready timeout */
    struct rt_entry *hnext;       /* hash chain */
    struct rt_entry *prev, *next; /* age list, oldest first */
    bool holds;    /* a call that may ask its client (router_hold) */
    unsigned asks; /* server requests made for it and not yet answered */
    struct rt_entry *hold_prev, *hold_next; /* the holders list */
};

struct router {
    struct rt_entry **buckets;        /* owned array of nbuckets chains */
    size_t nbuckets;                  /* a power of two */
    size_t count;                     /* entries in the table */
    uint64_t next_id;                 /* the next id handed out */
    struct rt_entry *oldest, *newest; /* the age list */
    struct rt_entry *holders;         /* holding entries, newest first */
    size_t nholders;
    /* Called when a holder with asks left is removed, before it is freed;
     * borrowed, may be NULL. */
    void (*on_holder_gone)(void *arg, struct rt_entry *e);
    void *holder_arg;
};

/* Prepares an empty table. Returns 0 or -ENOMEM. */
int router_init(struct router *r);

/*
 * Frees every entry without calling anyone: callers must have failed or
 * cancelled them first (router_fail).
 */
void router_free(struct router *r);

/* Hands out an id without an entry (the gateway's own requests). */
uint64_t router_next_id(struct router *r);

/*
 * Adds a call from m (a request in doc). The entry keeps copies of the
 * caller's id and token and starts in state `state`; request holds the
 * message rewritten for the child (fresh id and token), ready to write.
 * deadline is the absolute time of the request timeout. Returns the
 * entry, or NULL when out of memory.
 */
struct rt_entry *router_add(struct router *r, const char *doc,
                            const struct rpc_msg *m, enum rt_state state,
                            const struct rt_caller_ops *ops, void *owner,
                            unsigned slot, uint64_t deadline);

/* Finds the entry with child id `id`, or NULL. */
struct rt_entry *router_find(struct router *r, uint64_t id);

/* Removes and frees e without calling its owner (a cancelled call). */
void router_drop(struct router *r, struct rt_entry *e);

/*
 * Delivers a message from the child: a response whose id is in the table
 * goes to its caller with the caller's id put back; a progress
 * notification whose token is a live call's goes to that caller with its
 * token put back. Returns true when the message was delivered.
 */
bool router_route(struct router *r, const char *doc, const struct rpc_msg *m);

/*
 * Marks e as a holder: a call during which the child may ask its client
 * something (sampling, elicitation) or log to it. Server messages that
 * name no call can be given to a holder only while it is the only one.
 */
void router_hold(struct router *r, struct rt_entry *e);

/* The only holder written to the child, or NULL (none, or several). */
struct rt_entry *router_sole_holder(const struct router *r);

/*
 * Answers e with a gateway-made error (code, message) and removes it.
 */
void router_fail(struct router *r, struct rt_entry *e, enum rt_fail why,
                 int code, const char *message);

/*
 * Answers e with a gateway-made result (raw JSON text of the result
 * member) and removes it.
 */
void router_answer(struct router *r, struct rt_entry *e, const char *result,
                   size_t len);

#endif
