/* SPDX-License-Identifier: MIT */
/* Resumable SSE streams: event ids, the replay ring, and cursors. */
#include "mcpgw/stream.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcpgw/sse.h"

#define RING_FIRST 4 /* slots a stream starts with */

void stream_init(struct stream *st, unsigned number,
                 const struct stream_limits *limits)
{
    memset(st, 0, sizeof(*st));
    st->number = number;
    st->limits = *limits;
}

static struct stream_event *slot(const struct stream *st, size_t i)
{
    return &st->ring[(st->head + i) % st->cap];
}

static void evict_oldest(struct stream *st)
{
    struct stream_event *e = slot(st, 0);

    st->evicted = e->seq;
    st->bytes -= e->len;
    free(e->frame);
    e->frame = NULL;
    st->head = (st->head + 1) % st->cap;
    st->count--;
}

/*
 * An event that cannot be kept makes every older one useless: no cursor
 * before it can be replayed without a gap. Forget them all.
 */
static void forget_all(struct stream *st)
{
    while (st->count > 0)
        evict_oldest(st);
    st->evicted = st->seq;
}

void stream_attach(struct stream *st, struct stream_attach *att)
{
    st->att = att;
    att->st = st;
}

void stream_detach(struct stream *st)
{
    if (st->att)
        st->att->st = NULL;
    st->att = NULL;
}

void stream_finish(struct stream *st)
{
    st->finished = true;
    if (st->att)
        http_stream_end(st->att->req);
    stream_detach(st);
}

void stream_free(struct stream *st)
{
    stream_detach(st);
    forget_all(st);
    free(st->ring);
    st->ring = NULL;
    st->cap = 0;
}

/*
 * Makes room for one more slot: the slots grow, doubling, up to
 * max_events, since most streams (an initialize, a quick call) keep one
 * or two events for as long as their session lives. Returns 0 or
 * -ENOMEM; at max_events the caller evicts instead.
 */
static int grow(struct stream *st)
{
    size_t max = st->limits.max_events;
    size_t cap = st->cap ? 2 * st->cap : RING_FIRST;
    struct stream_event *ring;

    if (cap > max)
        cap = max;
    if ((ring = calloc(cap, sizeof(*ring))) == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < st->count; i++)
        ring[i] = *slot(st, i);
    free(st->ring);
    st->ring = ring;
    st->cap = cap;
    st->head = 0;
    return 0;
}

/* Keeps a copy of frame for replay, making room by the bounds. */
static void keep(struct stream *st, const struct gw_buf *frame)
{
    const struct stream_limits *l = &st->limits;
    struct stream_event *e;

    if (frame->len > l->max_bytes || l->max_events == 0 ||
        (st->count == st->cap && st->cap < l->max_events && grow(st) < 0)) {
        forget_all(st);
        return;
    }
    while (st->count == st->cap || st->bytes + frame->len > l->max_bytes)
        evict_oldest(st);
    e = slot(st, st->count);
    if ((e->frame = malloc(frame->len)) == NULL) {
        forget_all(st);
        return;
    }
    memcpy(e->frame, frame->data, frame->len);
    e->len = frame->len;
    e->seq = st->seq;
    st->bytes += frame->len;
    st->count++;
}

static void format_id(const struct stream *st, char out[STREAM_ID_MAX])
{
    snprintf(out, STREAM_ID_MAX, "%u_%" PRIu64, st->number, st->seq);
}

int stream_send(struct stream *st, const char *msg, size_t len)
{
    struct gw_buf frame = {0};
    char id[STREAM_ID_MAX];
    int rc;

    st->seq++;
    format_id(st, id);
    rc = sse_event(&frame, "message", id, msg, len);
    if (rc == 0) {
        keep(st, &frame);
        if (st->att)
            http_stream_write(st->att->req, frame.data, frame.len);
    }
    buf_free(&frame);
    return rc;
}

int stream_prime(struct stream *st, uint64_t retry_ms)
{
    struct gw_buf frame = {0};
    char id[STREAM_ID_MAX];
    int rc;

    st->seq++;
    format_id(st, id);
    rc = buf_printf(&frame, "id: %s\n", id);
    if (rc == 0 && retry_ms > 0)
        rc = buf_printf(&frame, "retry: %" PRIu64 "\n", retry_ms);
    if (rc == 0)
        rc = buf_append_str(&frame, "data: \n\n");
    if (rc == 0 && st->att)
        http_stream_write(st->att->req, frame.data, frame.len);
    buf_free(&frame);
    return rc;
}

int stream_replay_check(const struct stream *st, uint64_t after)
{
    if (after > st->seq)
        return -ERANGE;
    if (after < st->evicted)
        return -ESTALE;
    return 0;
}

void stream_replay(const struct stream *st, uint64_t after,
                   struct http_req *conn)
{
    for (size_t i = 0; i < st->count; i++) {
        const struct stream_event *e = slot(st, i);
        if (e->seq > after)
            http_stream_write(conn, e->frame, e->len);
    }
}

/* One decimal number up to max, with no sign and no leading zero. */
static const char *parse_decimal(const char *p, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    const char *start = p;

    if (*p == '0')
        p++;
    else
        for (; *p >= '0' && *p <= '9'; p++) {
            unsigned d = (unsigned)(*p - '0');
            if (v > (max - d) / 10)
                return NULL;
            v = v * 10 + d;
        }
    if (p == start)
        return NULL;
    *out = v;
    return p;
}

int stream_parse_id(const char *text, unsigned *number, uint64_t *seq)
{
    uint64_t n;
    const char *p = parse_decimal(text, UINT32_MAX, &n);

    if (p == NULL || *p != '_')
        return -EINVAL;
    p = parse_decimal(p + 1, UINT64_MAX, seq);
    if (p == NULL || *p != '\0')
        return -EINVAL;
    *number = (unsigned)n;
    return 0;
}
