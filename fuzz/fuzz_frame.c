/* SPDX-License-Identifier: MIT */
/*
 * frame_feed with the stream cut at data-driven points must report the
 * same frames as one feed of the whole stream, and both must match a
 * simple model: lines split at '\n', one trailing '\r' dropped, lines
 * over the limit reported with their first and last bytes, blank lines
 * skipped.
 *
 * Input: byte 0 picks the frame limit, bytes 1-4 seed the cut points,
 * the rest is the stream.
 */
#include "mcpgw/frame.h"

#include "fuzz_util.h"

/* One callback, recorded. */
struct event {
    int oversize;
    size_t total; /* frame length, or the oversized frame's length */
    size_t off;   /* frame bytes (or head) in the log's byte store */
    size_t head_len;
    size_t tail_off;
    size_t tail_len;
};

struct log {
    struct event *ev;
    size_t n, cap;
    struct vec bytes; /* frame contents, heads and tails */
    size_t max;
};

static struct event *new_event(struct log *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->ev = realloc(l->ev, l->cap * sizeof *l->ev);
        CHECK(l->ev != NULL);
    }
    struct event *e = &l->ev[l->n++];
    memset(e, 0, sizeof *e);
    return e;
}

static void on_frame(void *ctx, const char *p, size_t len)
{
    struct log *l = ctx;
    struct event *e = new_event(l);

    CHECK(len > 0 && len <= l->max);
    CHECK(memchr(p, '\n', len) == NULL);
    e->total = len;
    e->off = l->bytes.len;
    vec_add(&l->bytes, p, len);
}

static void on_oversize(void *ctx, size_t total, const char *head,
                        size_t head_len, const char *tail, size_t tail_len)
{
    struct log *l = ctx;
    struct event *e = new_event(l);

    CHECK(total > l->max);
    CHECK(head_len <= FRAME_KEEP && tail_len <= FRAME_KEEP);
    CHECK(head_len <= total && tail_len <= total);
    CHECK(memchr(head, '\n', head_len) == NULL);
    CHECK(memchr(tail, '\n', tail_len) == NULL);
    e->oversize = 1;
    e->total = total;
    e->off = l->bytes.len;
    e->head_len = head_len;
    vec_add(&l->bytes, head, head_len);
    e->tail_off = l->bytes.len;
    e->tail_len = tail_len;
    vec_add(&l->bytes, tail, tail_len);
}

static const struct frame_ops ops = {on_frame, on_oversize};

static void log_free(struct log *l)
{
    free(l->ev);
    vec_free(&l->bytes);
}

/* The model: what the reader must report for stream s[0..n). */
static void model(struct log *l, const char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - s) : n, len = end - i;
        const char *p = s + i;
        if (len > 0 && p[len - 1] == '\r')
            len--;
        if (len > l->max) {
            size_t k = len < FRAME_KEEP ? len : FRAME_KEEP;
            on_oversize(l, len, p, k, p + len - k, k);
        } else {
            bool blank = true;
            for (size_t j = 0; j < len && blank; j++)
                blank = p[j] == ' ' || p[j] == '\t' || p[j] == '\r';
            if (!blank)
                on_frame(l, p, len);
        }
        i = end + 1;
    }
}

/*
 * got must equal want, except that an oversized frame that ended in
 * "\r\n" while being discarded may report a tail one byte short (the
 * '\r' had already taken a place in the ring; see frame.c end_discard).
 */
static void compare(const struct log *got, const struct log *want)
{
    CHECK(got->n == want->n);
    for (size_t i = 0; i < got->n; i++) {
        const struct event *g = &got->ev[i], *w = &want->ev[i];
        CHECK(g->oversize == w->oversize && g->total == w->total);
        CHECK(g->head_len == w->head_len);
        size_t len = g->oversize ? g->head_len : g->total;
        CHECK(memcmp(got->bytes.p + g->off, want->bytes.p + w->off, len) == 0);
        if (!g->oversize)
            continue;
        CHECK(g->tail_len == w->tail_len ||
              (g->tail_len + 1 == w->tail_len && w->tail_len == FRAME_KEEP));
        /* Either way it is the end of the frame. */
        CHECK(memcmp(got->bytes.p + g->tail_off,
                     want->bytes.p + w->tail_off + w->tail_len - g->tail_len,
                     g->tail_len) == 0);
    }
}

static uint32_t next_rand(uint32_t *s)
{
    /* xorshift32; the seed comes from the input, so runs are replayable. */
    uint32_t x = *s ? *s : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

/* Feeds s in pieces; the piece sizes cluster around limits and KEEP. */
static void feed_pieces(struct frame_reader *r, const char *s, size_t n,
                        uint32_t seed)
{
    static const size_t sizes[] = {1, 2, 3, 7, 64, 255, 256, 257, 1000};
    size_t i = 0;

    while (i < n) {
        uint32_t x = next_rand(&seed);
        size_t k = x & 1 ? sizes[(x >> 1) % 9] : (x >> 4) % 600;
        if (k > n - i)
            k = n - i;
        CHECK(frame_feed(r, s + i, k) == 0);
        i += k;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5)
        return 0;
    /* 1..766: limits below, at and above FRAME_KEEP. */
    size_t max = 1 + (size_t)data[0] * 3;
    uint32_t seed = (uint32_t)data[1] | (uint32_t)data[2] << 8 |
                    (uint32_t)data[3] << 16 | (uint32_t)data[4] << 24;
    size_t n = size - 5;
    char *s = xmalloc(n);
    memcpy(s, data + 5, n);

    struct log want = {.max = max}, whole = {.max = max};
    struct log cut = {.max = max}, again = {.max = max};
    struct frame_reader r;

    model(&want, s, n);

    frame_init(&r, max, &ops, &whole);
    CHECK(frame_feed(&r, s, n) == 0);
    frame_finish(&r);
    frame_free(&r);

    frame_init(&r, max, &ops, &cut);
    feed_pieces(&r, s, n, seed);
    frame_finish(&r);
    /* After finish the reader is empty and can take another stream. */
    r.ctx = &again;
    feed_pieces(&r, s, n, seed * 2654435761u + 1);
    frame_finish(&r);
    frame_finish(&r); /* a second finish reports nothing */
    frame_free(&r);

    compare(&whole, &want);
    compare(&cut, &want);
    compare(&again, &want);

    /* The frames' concatenation is the same whichever way it was fed. */
    struct vec a = {0}, b = {0};
    for (size_t i = 0; i < whole.n; i++)
        if (!whole.ev[i].oversize)
            vec_add(&a, whole.bytes.p + whole.ev[i].off, whole.ev[i].total);
    for (size_t i = 0; i < cut.n; i++)
        if (!cut.ev[i].oversize)
            vec_add(&b, cut.bytes.p + cut.ev[i].off, cut.ev[i].total);
    CHECK(a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0));

    vec_free(&a);
    vec_free(&b);
    log_free(&want);
    log_free(&whole);
    log_free(&cut);
    log_free(&again);
    free(s);
    return 0;
}
