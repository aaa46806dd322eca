/* SPDX-License-Identifier: MIT */
/*
 * One MCP server as the gateway sees it: its child process, the
 * gateway's own initialize handshake with it, its readiness, and the
 * router of the calls in flight on it. A shared backend serves many
 * clients: it answers their initialize from the InitializeResult it
 * keeps, and restarts the child with exponential backoff when it dies.
 */
#ifndef MCPGW_BACKEND_H
#define MCPGW_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "mcpgw/asks.h"
#include "mcpgw/buf.h"
#include "mcpgw/child.h"
#include "mcpgw/config.h"
#include "mcpgw/jsonrpc.h"
#include "mcpgw/router.h"

enum backend_mode {
    BACKEND_SHARED = 0, /* the gateway initializes the child itself and
                           answers clients' initialize; restarts it */
    BACKEND_SESSION,    /* one client's child: its initialize is
                           forwarded; no restart, the session ends */
};

/* How a session-mode backend reaches its owner. */
struct backend_events {
    /* A message from the child that names no call: a notification, or a
     * request of the server's own (sampling, roots, ...). */
    void (*on_message)(void *owner, const char *doc, const struct rpc_msg *m);
    /* The child is gone; the backend stays until backend_stop. */
    void (*on_exit)(void *owner);
};

enum backend_state {
    BACKEND_STARTING = 0, /* child spawned, initialize not answered */
    BACKEND_READY,        /* initialized: calls go straight through */
    BACKEND_BACKOFF,      /* child gone, restart timer running */
    BACKEND_STOPPING,     /* backend_stop called, child ending */
    BACKEND_STOPPED,
};

/* Counters, for logs now and for metrics later. */
struct backend_stats {
    uint64_t calls;     /* requests accepted */
    uint64_t restarts;  /* child starts after the first */
    uint64_t exits;     /* child exits */
    uint64_t timeouts;  /* calls answered by the request timeout */
    uint64_t oversize;  /* stdout lines over the frame limit */
    uint64_t noise;     /* stdout lines that were not JSON-RPC */
    uint64_t unrouted;  /* child messages with no one to go to */
    uint64_t asked;     /* child messages given to the one call holding it */
    uint64_t cancelled; /* calls cancelled on the child */
};

struct backend {
    uv_loop_t *loop;             /* borrowed */
    const struct gw_config *cfg; /* borrowed, outlives the backend */
    enum backend_mode mode;
    const struct backend_events *events; /* borrowed; session mode */
    void *owner;                         /* borrowed, passed to events */
    char **env;                          /* owned array; strings borrowed from
                                            environ; the child's environment */
    struct child child;
    struct router router;
    enum backend_state state;
    uint64_t init_id;   /* id of our initialize on the child */
    cJSON *init_result; /* owned: the child's InitializeResult */
    uv_timer_t restart_timer;
    uv_timer_t sweep_timer; /* request and ready timeouts */
    uint64_t backoff;       /* next restart delay, ms */
    uint64_t ready_at;      /* loop time the child became ready */
    bool started_once;
    void (*on_stopped)(void *arg); /* set by backend_stop */
    void *stopped_arg;
    int open_timers;
    struct ask_table asks; /* shared mode: the child's requests that wait
                              for a client's answer */
    struct backend_stats stats;
};

/* Outcomes of backend_call besides an entry. */
#define BACKEND_ANSWERED 1 /* the reply is in *now already */

/*
 * Prepares b and starts its child. Returns 0 or a negative errno; a child
 * that fails to start is retried with backoff, so only setup errors
 * (memory) are returned.
 */
int backend_start(struct backend *b, uv_loop_t *loop,
                  const struct gw_config *cfg);

/*
 * Starts a session-mode backend: a child of one client, whose initialize
 * and everything after it are forwarded. events and owner are borrowed.
 */
int backend_start_session(struct backend *b, uv_loop_t *loop,
                          const struct gw_config *cfg,
                          const struct backend_events *events, void *owner);

/*
 * Session mode: passes a client's notification or response (to a
 * request of the server's) to the child. A notifications/cancelled
 * naming a call in flight is rewritten to the child's id. Returns 0,
 * -EPIPE when the child is gone, -ENOBUFS when it is not reading.
 */
int backend_forward(struct backend *b, const char *doc,
                    const struct rpc_msg *m);

/*
 * Takes one request (m, inside doc) from a caller. Returns
 * BACKEND_ANSWERED with the response appended to now (initialize while
 * ready); 0 with *entry set when the call is on its way (its answer comes
 * through ops->on_reply, never from within this call); -EBUSY when the
 * in-flight bound is reached; -ENOBUFS when the child is not reading its
 * stdin; -ESHUTDOWN while stopping; -ENOMEM.
 */
int backend_call(struct backend *b, const char *doc, const struct rpc_msg *m,
                 const struct rt_caller_ops *ops, void *owner, unsigned slot,
                 struct gw_buf *now, struct rt_entry **entry);

/*
 * What a transport tells the caller when backend_call refused with rc:
 * the message, and the HTTP status when the refusal is the whole answer
 * (503 for a bound, 500 otherwise).
 */
const char *backend_refusal(int rc, unsigned *status);

/*
 * Withdraws a call whose caller went away: the child gets
 * notifications/cancelled if it has the request, and a late reply is
 * dropped. The owner is not called.
 */
void backend_cancel(struct backend *b, struct rt_entry *e, const char *reason);

/*
 * Shared mode: a client's answer (m, a response) to a request of this
 * child's. Returns 1 when the id was one this child's request went out
 * under (the answer is written with the child's own id back), 0 when it
 * is not, or a negative errno when the child cannot take it.
 */
int backend_answer(struct backend *b, const char *doc, const struct rpc_msg *m);

/*
 * True for the methods whose handlers may ask the client something or
 * log to it while they run (see DESIGN.md, "the child pool"): such a
 * call holds its shared child.
 */
bool backend_may_ask(const char *method);

/* Calls in flight or waiting that hold the child. */
size_t backend_holders(const struct backend *b);

/* True while the child is initialized and answering. */
bool backend_ready(const struct backend *b);

/* Calls in flight or waiting. */
size_t backend_pending(const struct backend *b);

/*
 * Answers every call left with a "shutting down" error, ends the child
 * (see child_stop) and calls done(arg) once it is gone and the backend's
 * handles are closed.
 */
void backend_stop(struct backend *b, void (*done)(void *arg), void *arg);

#endif
