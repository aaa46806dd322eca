/* SPDX-License-Identifier: MIT */
/*
 * Resumable streams: Last-Event-ID cursors and the replay ring.
 *
 * Byte 0 picks the test. Even: the rest is a Last-Event-ID; one that
 * stream_parse_id accepts must print back to exactly the same text (so
 * no two spellings name one event). Odd: the rest drives a stream whose
 * ring keeps at most 1 + b[1] % 8 events and 64 + b[2] bytes; each
 * following byte sends an event of that many bytes (or, with the top
 * bit, asks for a replay after a cursor), and after each step the ring
 * must hold the newest events within both bounds, and a replay must
 * write exactly the kept events after the cursor, in order, whenever
 * stream_replay_check allows it.
 */
#include <inttypes.h>

#include "mcpgw/stream.h"

#include "fuzz_util.h"

/* The two http.c functions stream.c calls, recording what is written. */
static struct vec written;

int http_stream_write(struct http_req *r, const char *p, size_t n)
{
    (void)r;
    vec_add(&written, p, n);
    return 0;
}

void http_stream_end(struct http_req *r)
{
    (void)r;
}

static void check_parse(const uint8_t *data, size_t size)
{
    char *text = xstrndup(data, size);
    char back[STREAM_ID_MAX + 8];
    unsigned number;
    uint64_t seq;

    if (stream_parse_id(text, &number, &seq) == 0) {
        snprintf(back, sizeof(back), "%u_%" PRIu64, number, seq);
        CHECK(strcmp(back, text) == 0);
    }
    free(text);
}

/*
 * The kept events are the newest ones, oldest first, within bounds;
 * newest is the last data event (priming events are never kept).
 */
static void check_ring(const struct stream *st, uint64_t newest)
{
    size_t bytes = 0;
    uint64_t prev = 0;

    CHECK(st->count <= st->cap && st->cap <= st->limits.max_events);
    for (size_t i = 0; i < st->count; i++) {
        const struct stream_event *e = &st->ring[(st->head + i) % st->cap];
        CHECK(e->seq > prev && e->seq > st->evicted && e->seq <= st->seq);
        prev = e->seq;
        bytes += e->len;
    }
    CHECK(bytes == st->bytes && bytes <= st->limits.max_bytes);
    if (st->count > 0)
        CHECK(prev == newest);
}

/* A replay writes the kept frames after `after`, and nothing else. */
static void check_replay(const struct stream *st, uint64_t after)
{
    struct vec want = {0};
    struct http_req *conn = (struct http_req *)&want; /* never read */

    if (stream_replay_check(st, after) < 0) {
        CHECK(after > st->seq || after < st->evicted);
        return;
    }
    for (size_t i = 0; i < st->count; i++) {
        const struct stream_event *e = &st->ring[(st->head + i) % st->cap];
        if (e->seq > after)
            vec_add(&want, e->frame, e->len);
    }
    written.len = 0;
    stream_replay(st, after, conn);
    CHECK(written.len == want.len &&
          (want.len == 0 || memcmp(written.p, want.p, want.len) == 0));
    vec_free(&want);
}

static void run_ring(const uint8_t *data, size_t size)
{
    struct stream st;
    struct stream_limits l = {1 + data[0] % 8, 64 + (size_t)data[1]};
    char msg[128];
    uint64_t newest = 0;

    memset(msg, 'x', sizeof(msg));
    stream_init(&st, data[0], &l);
    for (size_t i = 2; i < size; i++) {
        if (data[i] & 0x80)
            check_replay(&st, data[i] & 0x3f);
        else if (data[i] & 0x40)
            stream_prime(&st, data[i] & 0x3f);
        else if (stream_send(&st, msg, data[i] & 0x3f) == 0)
            newest = st.seq;
        check_ring(&st, newest);
    }
    stream_free(&st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if ((data[0] & 1) == 0)
        check_parse(data + 1, size - 1);
    else if (size >= 3)
        run_ring(data + 1, size - 1);
    return 0;
}
