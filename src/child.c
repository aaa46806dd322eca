/* SPDX-License-Identifier: MIT */
/* Runs one MCP server process and moves bytes to and from its pipes. */
#include "mcpgw/child.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "mcpgw/log.h"
#include "mcpgw/reaper.h"
#include "mcpgw/sandbox.h"

#define STDERR_LINE_MAX (16 * 1024)
#define EOF_WAIT_MS     200 /* after exit, how long stdout may still drain */
#define STDIN_CLOSE_MS  500 /* after closing stdin, how long before TERM */

enum stop_stage {
    STOP_NONE = 0,
    STOP_EOF_SENT, /* stdin closed; TERM when the timer fires */
    STOP_TERM_SENT /* TERM sent; KILL when the timer fires */
};

/* A write handed to libuv; owns the bytes until it completes. */
struct write_req {
    uv_write_t req;
    struct child *child;
    size_t n;
    char *data;
};

static void signal_group(struct child *c, int sig)
{
    if (c->pid > 0 && kill(-c->pid, sig) < 0 && errno != ESRCH)
        log_warn("child", "pid=%d kill(%d): %s", (int)c->pid, sig,
                 strerror(errno));
}

static void on_handle_closed(uv_handle_t *h)
{
    struct child *c = h->data;

    if (--c->open_handles > 0)
        return;
    frame_free(&c->frames);
    frame_free(&c->errlines);
    buf_free(&c->wbuf);
    c->state = CHILD_IDLE;
    if (c->exited)
        c->ops->on_exit(c->ctx, c->exit_status, c->term_signal);
}

static void close_handle(struct child *c, uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, on_handle_closed);
}

/* Closes every handle; on_exit runs when the last one is gone. */
static void close_all(struct child *c)
{
    c->state = CHILD_CLOSING;
    uv_timer_stop(&c->timer);
    close_handle(c, (uv_handle_t *)&c->in);
    close_handle(c, (uv_handle_t *)&c->out);
    close_handle(c, (uv_handle_t *)&c->err);
    close_handle(c, (uv_handle_t *)&c->timer);
    close_handle(c, (uv_handle_t *)&c->flush);
    /* Not made when the sandbox refused the spawn before uv_spawn. */
    if (uv_handle_get_type((uv_handle_t *)&c->proc) == UV_PROCESS)
        close_handle(c, (uv_handle_t *)&c->proc);
}

static void on_timer(uv_timer_t *t)
{
    struct child *c = t->data;

    if (c->exited) {
        /* stdout is held open by a process that outlived the child. */
        close_all(c);
    } else if (c->timer_stage == STOP_EOF_SENT) {
        signal_group(c, SIGTERM);
        c->timer_stage = STOP_TERM_SENT;
        uv_timer_start(&c->timer, on_timer, c->opts.kill_grace, 0);
    } else if (c->timer_stage == STOP_TERM_SENT) {
        log_warn("child", "pid=%d still running after %llu ms, killing",
                 (int)c->pid, (unsigned long long)c->opts.kill_grace);
        signal_group(c, SIGKILL);
    }
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
    struct child *c = p->data;

    reaper_disown(c->pid);
    c->exited = true;
    c->exit_status = status;
    c->term_signal = sig;
    log_info("child", "pid=%d exited status=%lld signal=%d", (int)c->pid,
             (long long)status, sig);
    sandbox_child_exited(c->loop, (int)c->pid, status, sig);
    /* Whatever is left of its group is orphaned now: end it. */
    signal_group(c, SIGKILL);
    if (c->out_eof) {
        close_all(c);
        return;
    }
    uv_timer_stop(&c->timer);
    uv_timer_start(&c->timer, on_timer, EOF_WAIT_MS, 0);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    static char slab[64 * 1024]; /* one loop thread: reads never overlap */

    buf->base = slab;
    buf->len = sizeof(slab);
}

static void on_stdout(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct child *c = s->data;

    if (n > 0) {
        frame_feed(&c->frames, buf->base, (size_t)n);
        return;
    }
    if (n == 0)
        return;
    frame_finish(&c->frames);
    uv_read_stop(s);
    c->out_eof = true;
    if (c->exited) {
        close_all(c);
    } else if (c->state == CHILD_RUNNING) {
        log_warn("child",
                 "pid=%d closed stdout but keeps running; "
                 "stopping it",
                 (int)c->pid);
        child_stop(c);
    }
}

static void on_stderr(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct child *c = s->data;

    if (n > 0) {
        frame_feed(&c->errlines, buf->base, (size_t)n);
    } else if (n < 0) {
        frame_finish(&c->errlines);
        uv_read_stop(s);
    }
}

static void log_stderr_line(void *ctx, const char *p, size_t len)
{
    struct child *c = ctx;
    char esc[4 * 2048 + 4];

    log_info("child", "pid=%d stderr: %s", (int)c->pid,
             log_escape(p, len, 2048, esc));
}

static void log_stderr_long(void *ctx, size_t total, const char *head,
                            size_t head_len, const char *tail, size_t tail_len)
{
    struct child *c = ctx;
    char esc[4 * FRAME_KEEP + 4];

    log_info("child", "pid=%d stderr (%zu bytes, cut): %s", (int)c->pid, total,
             log_escape(head, head_len, FRAME_KEEP, esc));
}

static void fwd_frame(void *ctx, const char *p, size_t len)
{
    struct child *c = ctx;

    c->ops->on_frame(c->ctx, p, len);
}

static void fwd_oversize(void *ctx, size_t total, const char *head,
                         size_t head_len, const char *tail, size_t tail_len)
{
    struct child *c = ctx;

    c->ops->on_oversize(c->ctx, total, head, head_len, tail, tail_len);
}

static const struct frame_ops stdout_ops = {fwd_frame, fwd_oversize};
static const struct frame_ops stderr_ops = {log_stderr_line, log_stderr_long};

static void init_handles(struct child *c)
{
    uv_pipe_init(c->loop, &c->in, 0);
    uv_pipe_init(c->loop, &c->out, 0);
    uv_pipe_init(c->loop, &c->err, 0);
    uv_timer_init(c->loop, &c->timer);
    uv_idle_init(c->loop, &c->flush);
    c->in.data = c->out.data = c->err.data = c->timer.data = c;
    c->proc.data = c->flush.data = c;
    c->open_handles = 5;
}

/*
 * The gateway's own binary runs first, as the sandbox helper: it closes
 * every other descriptor, sets no_new_privs and the parent-death signal
 * (and the sandbox when asked), then execs /bin/sh -c CMD.
 */
static int spawn(struct child *c)
{
    struct sandbox_spawn sp;
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_CREATE_PIPE | UV_READABLE_PIPE,
         .data.stream = (uv_stream_t *)&c->in},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE,
         .data.stream = (uv_stream_t *)&c->out},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE,
         .data.stream = (uv_stream_t *)&c->err},
    };
    int rc = sandbox_spawn_init(&sp, c->opts.cmd, c->opts.env);
    if (rc < 0)
        return rc; /* a negative errno, as libuv's errors are */
    uv_process_options_t o = {
        .exit_cb = on_exit_cb,
        .file = sp.file,
        .args = sp.args,
        .env = sp.env,
        /* setsid(): the child leads a process group we can signal. */
        .flags = UV_PROCESS_DETACHED,
        .stdio_count = 3,
        .stdio = stdio,
    };

    /* uv_spawn initialises proc even when it fails, so it is closed
     * either way; the child has its copies once uv_spawn returns. */
    c->open_handles++;
    rc = uv_spawn(c->loop, &c->proc, &o);
    if (rc == 0)
        sandbox_spawned(&sp, c->proc.pid);
    sandbox_spawn_free(&sp);
    return rc;
}

int child_start(struct child *c, uv_loop_t *loop, const struct child_opts *opts,
                const struct child_ops *ops, void *ctx)
{
    int rc;

    if (c->state != CHILD_IDLE)
        return UV_EBUSY;
    memset(c, 0, sizeof(*c));
    c->loop = loop;
    c->opts = *opts;
    c->ops = ops;
    c->ctx = ctx;
    frame_init(&c->frames, opts->max_frame, &stdout_ops, c);
    frame_init(&c->errlines, STDERR_LINE_MAX, &stderr_ops, c);
    init_handles(c);
    rc = spawn(c);
    if (rc < 0) {
        log_error("child", "cannot start /bin/sh: %s", uv_strerror(rc));
        /* Reported as an exit once the handles are closed, so the owner
         * has one way to learn that its child is gone. */
        c->exited = true;
        c->exit_status = 127;
        close_all(c);
        return rc;
    }
    c->pid = c->proc.pid;
    reaper_own(c->pid);
    c->state = CHILD_RUNNING;
    uv_read_start((uv_stream_t *)&c->out, on_alloc, on_stdout);
    uv_read_start((uv_stream_t *)&c->err, on_alloc, on_stderr);
    log_info("child", "pid=%d started", (int)c->pid);
    log_debug("child", "pid=%d command: /bin/sh -c %s", (int)c->pid,
              c->opts.cmd);
    return 0;
}

static void on_written(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;

    w->child->queued -= w->n;
    if (status < 0 && status != UV_ECANCELED)
        log_debug("child", "stdin write failed: %s", uv_strerror(status));
    free(w->data);
    free(w);
}

/* Hands what accumulated this loop iteration to the pipe in one go. */
static void flush_stdin(struct child *c)
{
    uv_stream_t *in = (uv_stream_t *)&c->in;
    struct write_req *w;
    uv_buf_t b;
    int done = 0;

    if (c->wbuf.len == 0 || uv_is_closing((uv_handle_t *)in))
        return;
    /* Most writes fit in the pipe at once: skip the copy for those. */
    if (c->queued == 0) {
        b = uv_buf_init(c->wbuf.data, (unsigned)c->wbuf.len);
        done = uv_try_write(in, &b, 1);
        if (done == (int)c->wbuf.len) {
            buf_reset(&c->wbuf);
            return;
        }
        if (done < 0)
            done = 0;
    }
    buf_consume(&c->wbuf, (size_t)done);
    w = malloc(sizeof(*w));
    if (w == NULL)
        return;
    w->child = c;
    w->data = buf_steal(&c->wbuf, &w->n);
    b = uv_buf_init(w->data, (unsigned)w->n);
    if (uv_write(&w->req, in, &b, 1, on_written) < 0) {
        free(w->data);
        free(w);
        return;
    }
    c->queued += w->n;
}

static void on_flush(uv_idle_t *h)
{
    struct child *c = h->data;

    uv_idle_stop(h);
    flush_stdin(c);
}

int child_write(struct child *c, const char *p, size_t n)
{
    if (c->state != CHILD_RUNNING)
        return -EPIPE;
    if (child_congested(c))
        return -ENOBUFS;
    if (buf_append(&c->wbuf, p, n) < 0)
        return -ENOMEM;
    /* An active idle handle also keeps the loop from blocking, so the
     * flush happens before the next poll for I/O. */
    uv_idle_start(&c->flush, on_flush);
    return 0;
}

bool child_congested(const struct child *c)
{
    return c->queued + c->wbuf.len > c->opts.max_queue;
}

void child_stop(struct child *c)
{
    if (c->state != CHILD_RUNNING)
        return;
    c->state = CHILD_STOPPING;
    flush_stdin(c);
    /* Closing stdin is the polite request: most servers exit on EOF. */
    close_handle(c, (uv_handle_t *)&c->in);
    c->timer_stage = STOP_EOF_SENT;
    uint64_t wait = c->opts.kill_grace < STDIN_CLOSE_MS ? c->opts.kill_grace
                                                        : STDIN_CLOSE_MS;
    uv_timer_start(&c->timer, on_timer, wait, 0);
}

void child_kill(struct child *c)
{
    if (c->state == CHILD_RUNNING || c->state == CHILD_STOPPING)
        signal_group(c, SIGKILL);
}
