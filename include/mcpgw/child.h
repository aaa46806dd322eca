/* SPDX-License-Identifier: MIT */
/*
 * One MCP server process: started as /bin/sh -c CMD in a process group
 * of its own, fed through a bounded stdin queue, read as newline-delimited
 * frames on stdout, its stderr forwarded to the log line by line, and
 * ended group-wide (TERM, then KILL after a grace period).
 */
#ifndef MCPGW_CHILD_H
#define MCPGW_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "mcpgw/frame.h"

struct child;

struct child_ops {
    /* One line from stdout. */
    void (*on_frame)(void *ctx, const char *p, size_t len);
    /* A stdout line over the frame limit was discarded (see frame.h). */
    void (*on_oversize)(void *ctx, size_t total, const char *head,
                        size_t head_len, const char *tail, size_t tail_len);
    /*
     * The process exited and its pipes are closed: every stdout line it
     * wrote has been delivered. The child may be started again from here.
     */
    void (*on_exit)(void *ctx, int64_t status, int term_signal);
};

struct child_opts {
    const char *cmd;     /* borrowed: the shell command */
    char **env;          /* borrowed: NULL-terminated environment */
    size_t max_frame;    /* longest stdout line accepted */
    size_t max_queue;    /* stdin bytes queued before writes refuse */
    uint64_t kill_grace; /* ms between TERM and KILL */
};

enum child_state {
    CHILD_IDLE = 0, /* not started, or exited and fully closed */
    CHILD_RUNNING,
    CHILD_STOPPING, /* TERM sent; KILL follows after the grace */
    CHILD_CLOSING,  /* exited; handles closing */
};

struct child {
    uv_loop_t *loop;             /* borrowed */
    struct child_opts opts;      /* copied; its strings are borrowed */
    const struct child_ops *ops; /* borrowed */
    void *ctx;                   /* borrowed, passed to ops */
    enum child_state state;
    pid_t pid; /* also the process group id */
    uv_process_t proc;
    uv_pipe_t in, out, err;
    uv_timer_t timer;             /* KILL after grace; EOF wait on exit */
    struct frame_reader frames;   /* stdout */
    struct frame_reader errlines; /* stderr */
    uv_idle_t flush;              /* writes wbuf out once per iteration */
    struct gw_buf wbuf;           /* owned: stdin bytes not handed to libuv */
    size_t queued;                /* stdin bytes in libuv's write queue */
    int open_handles;             /* handles not yet closed */
    bool exited, out_eof;
    int timer_stage; /* where child_stop is (child.c) */
    int64_t exit_status;
    int term_signal;
};

/*
 * Starts the process. Returns 0, or a negative libuv error (the child is
 * then idle again and no callback will come).
 */
int child_start(struct child *c, uv_loop_t *loop, const struct child_opts *opts,
                const struct child_ops *ops, void *ctx);

/*
 * Queues n bytes (copied) for stdin. Returns 0, -EPIPE when the child is
 * not running, or -ENOBUFS when the queue is over its bound (nothing is
 * written then).
 */
int child_write(struct child *c, const char *p, size_t n);

/* True while writes would be refused for the queue bound. */
bool child_congested(const struct child *c);

/*
 * Ends the child: closes stdin, sends TERM to its process group, and KILL
 * after the grace period. on_exit follows. Safe to call more than once.
 */
void child_stop(struct child *c);

/* Sends KILL to the whole group now (the child misbehaved). */
void child_kill(struct child *c);

#endif
