/* SPDX-License-Identifier: MIT */
/* Unit tests for the bounded newline frame splitter. */
#include "mcpgw/frame.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

/* Records every callback as text, so whole runs compare with strcmp. */
struct log {
    struct gw_buf out;
    int frames;
    int oversize;
    size_t total;       /* of the last oversized frame */
    struct gw_buf head; /* of the last oversized frame */
    struct gw_buf tail;
};

static void on_frame(void *ctx, const char *p, size_t len)
{
    struct log *l = ctx;

    l->frames++;
    buf_printf(&l->out, "F%zu:", len);
    buf_append(&l->out, p, len);
    buf_append_str(&l->out, "\n");
}

static void on_oversize(void *ctx, size_t total, const char *head,
                        size_t head_len, const char *tail, size_t tail_len)
{
    struct log *l = ctx;

    l->oversize++;
    l->total = total;
    buf_reset(&l->head);
    buf_append(&l->head, head, head_len);
    buf_reset(&l->tail);
    buf_append(&l->tail, tail, tail_len);
    buf_printf(&l->out, "O%zu:%zu:%zu\n", total, head_len, tail_len);
}

static const struct frame_ops ops = {on_frame, on_oversize};

static void log_free(struct log *l)
{
    buf_free(&l->out);
    buf_free(&l->head);
    buf_free(&l->tail);
}

/* Runs input through a fresh reader in pieces of at most step bytes. */
static char *run_steps(const char *in, size_t n, size_t max, size_t step)
{
    struct frame_reader r;
    struct log l = {0};

    frame_init(&r, max, &ops, &l);
    for (size_t i = 0; i < n; i += step)
        frame_feed(&r, in + i, n - i < step ? n - i : step);
    frame_finish(&r);
    frame_free(&r);
    buf_reserve(&l.out, 0); /* an empty run still yields "" */
    char *s = buf_steal(&l.out, NULL);
    log_free(&l);
    return s;
}

static char *run_str(const char *in, size_t max, size_t step)
{
    return run_steps(in, strlen(in), max, step);
}

/* Runs input through a fresh reader split in two at pos. */
static char *run_split(const char *in, size_t n, size_t max, size_t pos)
{
    struct frame_reader r;
    struct log l = {0};

    frame_init(&r, max, &ops, &l);
    frame_feed(&r, in, pos);
    frame_feed(&r, in + pos, n - pos);
    frame_finish(&r);
    frame_free(&r);
    buf_reserve(&l.out, 0); /* an empty run still yields "" */
    char *s = buf_steal(&l.out, NULL);
    log_free(&l);
    return s;
}

static void test_splits(void)
{
    /* Several frames, CRLF, blank lines, a 4-byte UTF-8 character, an
     * oversized frame (limit 16) and an unterminated last frame. */
    static const char in[] = "{\"a\":1}\n"
                             "\r\n"
                             "  \t \n"
                             "[\"\xf0\x9f\x98\x80\"]\r\n"
                             "\n"
                             "0123456789abcdefXYZ\r\n"
                             "0123456789abcdef\r\n"
                             "0123456789abcdefg\n"
                             "{\"b\":2}\n"
                             "last";
    static const char want[] = "F7:{\"a\":1}\n"
                               "F8:[\"\xf0\x9f\x98\x80\"]\n"
                               "O19:19:19\n"
                               "F16:0123456789abcdef\n"
                               "O17:17:17\n"
                               "F7:{\"b\":2}\n"
                               "F4:last\n";
    size_t n = sizeof(in) - 1;

    char *whole = run_steps(in, n, 16, n);
    is_str(whole, want, "one feed gives the expected frames");
    char *bytes = run_steps(in, n, 16, 1);
    is_str(bytes, whole, "one byte at a time matches one feed");
    int same = 1;
    for (size_t pos = 0; pos <= n; pos++) {
        char *s = run_split(in, n, 16, pos);
        if (strcmp(s, whole) != 0) {
            printf("# split at %zu gave:\n%s", pos, s);
            same = 0;
        }
        free(s);
    }
    ok(same, "a split at every byte position matches one feed");
    for (size_t step = 2; step < 12; step++) {
        char *s = run_steps(in, n, 16, step);
        if (strcmp(s, whole) != 0)
            same = 0;
        free(s);
    }
    ok(same, "feeds of 2..11 bytes match one feed");
    free(whole);
    free(bytes);
}

static void test_utf8_split(void)
{
    static const char in[] = "\"\xf0\x9f\x98\x80\"\n";

    for (size_t pos = 1; pos <= 5; pos++) {
        char *s = run_split(in, sizeof(in) - 1, 100, pos);
        char name[64];
        snprintf(name, sizeof(name), "emoji split after byte %zu", pos);
        is_str(s, "F6:\"\xf0\x9f\x98\x80\"\n", name);
        free(s);
    }
}

static void test_line_endings(void)
{
    char *s = run_str("a\r\nb\nc\r\r\n\r\n \r\n\n", 100, 16);
    is_str(s, "F1:a\nF1:b\nF2:c\r\n", "CRLF stripped once, blanks skipped");
    free(s);
    s = run_str("a\rb\n", 100, 1);
    is_str(s, "F3:a\rb\n", "inner CR kept");
    free(s);
    s = run_str("\n\n\n", 100, 3);
    is_str(s, "", "only blank lines give no frames");
    free(s);
}

static void test_limits(void)
{
    char *s = run_str("abcd\nabcde\nabcd\r\nabcde\r\nab", 4, 100);
    is_str(s, "F4:abcd\nO5:5:5\nF4:abcd\nO5:5:5\nF2:ab\n",
           "exactly max accepted, max+1 rejected");
    free(s);
    s = run_str("abcd\nabcde\nabcd\r\nabcde\r\nab", 4, 1);
    is_str(s, "F4:abcd\nO5:5:5\nF4:abcd\nO5:5:5\nF2:ab\n",
           "limits hold one byte at a time");
    free(s);
    s = run_str("x\nabcdef", 4, 8);
    is_str(s, "F1:x\nO6:6:6\n", "finish reports an oversized last frame");
    free(s);
    s = run_str("x\nabcde\r", 4, 1);
    is_str(s, "F1:x\nO5:5:5\n", "finish strips CR of an oversized frame");
    free(s);
}

static void fill(char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (char)('A' + (i * 7 + seed) % 26);
}

static void check_oversize(size_t step, bool crlf)
{
    const size_t big = 5000, max = 1000;
    size_t n = big + 2 + 8;
    char *in = malloc(n);
    struct frame_reader r;
    struct log l = {0};
    char name[96];

    fill(in, big, 3);
    size_t k = big;
    if (crlf)
        in[k++] = '\r';
    in[k++] = '\n';
    memcpy(in + k, "{\"x\":1}\n", 8);
    n = k + 8;

    frame_init(&r, max, &ops, &l);
    for (size_t i = 0; i < n; i += step)
        frame_feed(&r, in + i, n - i < step ? n - i : step);
    frame_finish(&r);

    snprintf(name, sizeof(name), "oversize step %zu%s: ", step,
             crlf ? " crlf" : "");
    size_t nl = strlen(name);
    strcpy(name + nl, "one report");
    is_int(l.oversize, 1, name);
    strcpy(name + nl, "total");
    is_int(l.total, big, name);
    strcpy(name + nl, "head");
    ok(l.head.len == FRAME_KEEP && memcmp(l.head.data, in, FRAME_KEEP) == 0,
       name);
    /*
     * A frame that arrived whole is reported from the read itself. One that
     * was discarded piecemeal had its '\r' in the ring, so with CRLF its
     * tail is one byte short.
     */
    size_t tl = l.tail.len;
    bool whole = step >= n;
    size_t want_tl = crlf && !whole ? FRAME_KEEP - 1 : FRAME_KEEP;
    strcpy(name + nl, "tail");
    ok(tl == want_tl && memcmp(l.tail.data, in + big - tl, tl) == 0, name);
    strcpy(name + nl, "next frame intact");
    ok(l.frames == 1 && strstr(l.out.data, "F7:{\"x\":1}\n") != NULL, name);
    frame_free(&r);
    log_free(&l);
    free(in);
}

static void test_oversize(void)
{
    size_t steps[] = {1, 3, 255, 256, 257, 999, 1001, 4096, 100000};

    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        check_oversize(steps[i], false);
        check_oversize(steps[i], true);
    }

    /* Shorter than two FRAME_KEEPs: head and tail overlap. */
    struct frame_reader r;
    struct log l = {0};
    frame_init(&r, 10, &ops, &l);
    frame_feed(&r, "0123456789ABCDEF", 16);
    frame_feed(&r, "GH\r\nok\n", 7);
    is_int(l.total, 18, "short oversize total");
    is_str(l.head.data, "0123456789ABCDEFGH", "short oversize head");
    is_str(l.tail.data, "0123456789ABCDEFGH", "short oversize tail");
    is_str(l.out.data, "O18:18:18\nF2:ok\n", "frame after short oversize");
    frame_free(&r);
    log_free(&l);
}

static void test_finish(void)
{
    struct frame_reader r;
    struct log l = {0};

    frame_init(&r, 100, &ops, &l);
    frame_feed(&r, "{\"a\":", 5);
    frame_feed(&r, "1}", 2);
    is_int(l.frames, 0, "no frame before the newline");
    frame_finish(&r);
    is_str(l.out.data, "F7:{\"a\":1}\n", "finish delivers the last frame");
    frame_finish(&r);
    is_int(l.frames, 1, "second finish delivers nothing");
    frame_feed(&r, "b\n", 2);
    is_int(l.frames, 2, "reader reusable after finish");
    frame_feed(&r, "  ", 2);
    frame_finish(&r);
    is_int(l.frames, 2, "finish skips a blank last line");
    frame_free(&r);
    log_free(&l);
}

static void test_many_lines(void)
{
    const size_t lines = 200000;
    struct gw_buf in = {0};
    struct frame_reader r;
    struct log l = {0};

    for (size_t i = 0; i < lines; i++)
        buf_printf(&in, "{\"id\":%zu}\n", i);
    /* Start mid-line so the fast path and the buffered path both run. */
    frame_init(&r, 64, &ops, &l);
    frame_feed(&r, "{\"id\":", 6);
    frame_feed(&r, "-1}\n", 4);
    is_int(frame_feed(&r, in.data, in.len), 0, "one big feed");
    frame_finish(&r);
    is_int(l.frames, (long long)lines + 1, "every line delivered");
    is_int(l.oversize, 0, "no oversize");
    ok(strncmp(l.out.data, "F9:{\"id\":-1}\nF8:{\"id\":0}\n", 25) == 0,
       "first frames in order");
    char last[64];
    int k = snprintf(last, sizeof(last), "{\"id\":%zu}\n", lines - 1);
    ok(l.out.len > (size_t)k &&
           memcmp(l.out.data + l.out.len - k, last, (size_t)k) == 0,
       "last frame in order");
    frame_free(&r);
    log_free(&l);
    buf_free(&in);
}

int main(void)
{
    test_splits();
    test_utf8_split();
    test_line_endings();
    test_limits();
    test_oversize();
    test_finish();
    test_many_lines();
    return tap_done();
}
