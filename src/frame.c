/* SPDX-License-Identifier: MIT */
/* Cuts a child's stdout into newline-delimited frames, with a length cap. */
#include "mcpgw/frame.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/*
 * How many bytes a partial line may hold: the limit plus one, because its
 * last byte may be the '\r' of a "\r\n" whose '\n' has not arrived yet.
 */
static size_t line_limit(const struct frame_reader *r)
{
    return r->max < SIZE_MAX ? r->max + 1 : SIZE_MAX;
}

static bool is_blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return false;
    return true;
}

/* Counts bytes of a discarded frame, remembering its first and last ones. */
static void keep(struct frame_reader *r, const char *p, size_t n)
{
    if (n == 0)
        return;
    r->discarded += n;
    if (r->head_len < FRAME_KEEP) {
        size_t k = min_size(FRAME_KEEP - r->head_len, n);
        memcpy(r->head + r->head_len, p, k);
        r->head_len += k;
    }
    if (n >= FRAME_KEEP) {
        memcpy(r->tail, p + n - FRAME_KEEP, FRAME_KEEP);
        r->tail_pos = 0;
        r->tail_fill = FRAME_KEEP;
        return;
    }
    while (n > 0) {
        size_t k = min_size(FRAME_KEEP - r->tail_pos, n);
        memcpy(r->tail + r->tail_pos, p, k);
        r->tail_pos = (r->tail_pos + k) % FRAME_KEEP;
        r->tail_fill = min_size(r->tail_fill + k, FRAME_KEEP);
        p += k;
        n -= k;
    }
}

/* Switches to discarding, moving what was buffered into head and tail. */
static void start_discard(struct frame_reader *r)
{
    r->discarding = 1;
    r->discarded = 0;
    r->head_len = 0;
    r->tail_pos = 0;
    r->tail_fill = 0;
    keep(r, r->line.data, r->line.len);
    buf_reset(&r->line);
}

/* Reports a discarded frame at its line end and resumes normal framing. */
static void end_discard(struct frame_reader *r)
{
    char tail[FRAME_KEEP];
    size_t last = (r->tail_pos + FRAME_KEEP - 1) % FRAME_KEEP;

    /*
     * The '\r' of a "\r\n" ending is not part of the frame. It is already
     * in the ring, so the tail comes out one byte short in that case.
     */
    if (r->tail_fill > 0 && r->tail[last] == '\r') {
        if (r->head_len == r->discarded)
            r->head_len--;
        r->discarded--;
        r->tail_fill--;
        r->tail_pos = last;
    }
    size_t start = (r->tail_pos + FRAME_KEEP - r->tail_fill) % FRAME_KEEP;
    size_t first = min_size(r->tail_fill, FRAME_KEEP - start);
    memcpy(tail, r->tail + start, first);
    memcpy(tail + first, r->tail, r->tail_fill - first);

    size_t total = r->discarded, head_len = r->head_len;
    size_t tail_len = r->tail_fill;
    /* Reset first, so the reader is consistent if the callback feeds it. */
    r->discarding = 0;
    r->discarded = 0;
    r->head_len = 0;
    r->tail_pos = 0;
    r->tail_fill = 0;
    if (r->ops.on_oversize)
        r->ops.on_oversize(r->ctx, total, r->head, head_len, tail, tail_len);
}

/* Hands over one complete line (without its '\n'), or reports it. */
static void deliver(struct frame_reader *r, const char *p, size_t n)
{
    if (n > 0 && p[n - 1] == '\r')
        n--;
    if (n > r->max) {
        size_t k = min_size(n, FRAME_KEEP);
        if (r->ops.on_oversize)
            r->ops.on_oversize(r->ctx, n, p, k, p + n - k, k);
        return;
    }
    if (is_blank(p, n))
        return;
    if (r->ops.on_frame)
        r->ops.on_frame(r->ctx, p, n);
}

/* Adds bytes of an unfinished line to the buffer, or discards them. */
static int take(struct frame_reader *r, const char *p, size_t n)
{
    if (r->discarding) {
        keep(r, p, n);
        return 0;
    }
    if (n > line_limit(r) - r->line.len) {
        start_discard(r);
        keep(r, p, n);
        return 0;
    }
    if (buf_append(&r->line, p, n) != 0) {
        start_discard(r);
        keep(r, p, n);
        return -ENOMEM;
    }
    return 0;
}

/* Ends the buffered line, if there is one. */
static void finish_line(struct frame_reader *r)
{
    if (r->discarding) {
        end_discard(r);
    } else if (r->line.len > 0) {
        deliver(r, r->line.data, r->line.len);
        buf_reset(&r->line);
    }
}

void frame_init(struct frame_reader *r, size_t max, const struct frame_ops *ops,
                void *ctx)
{
    memset(r, 0, sizeof(*r));
    r->ops = *ops;
    r->ctx = ctx;
    r->max = max > 0 ? max : 1;
}

int frame_feed(struct frame_reader *r, const char *p, size_t n)
{
    int rc = 0;

    /*
     * Lines that lie wholly inside p are delivered from p itself; only a
     * line that started in an earlier read, or is still unfinished, goes
     * through r->line. A read holding many lines thus costs O(n).
     */
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        size_t seg = nl ? (size_t)(nl - p) : n;
        if (nl && !r->discarding && r->line.len == 0) {
            deliver(r, p, seg);
        } else {
            int err = take(r, p, seg);
            if (err)
                rc = err;
            if (nl)
                finish_line(r);
        }
        if (!nl)
            break;
        p += seg + 1;
        n -= seg + 1;
    }
    return rc;
}

void frame_finish(struct frame_reader *r)
{
    finish_line(r);
}

void frame_free(struct frame_reader *r)
{
    buf_free(&r->line);
    r->discarding = 0;
    r->discarded = 0;
    r->head_len = 0;
    r->tail_pos = 0;
    r->tail_fill = 0;
}
