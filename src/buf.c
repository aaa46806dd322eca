/* SPDX-License-Identifier: MIT */
/* Growable, always NUL-terminated byte buffers for bodies and frames. */
#include "mcpgw/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Small enough not to waste memory, large enough to skip tiny reallocs. */
#define BUF_MIN_CAP 64

/*
 * Picks a capacity of at least need by doubling, so a buffer built by many
 * small appends costs amortised O(1) per byte. need is at most SIZE_MAX - 1
 * (room for the NUL), and doubling stops before it could overflow.
 */
static size_t grow(size_t cap, size_t need)
{
    size_t n = cap < BUF_MIN_CAP ? BUF_MIN_CAP : cap;

    while (n < need) {
        if (n > (SIZE_MAX - 1) / 2)
            return need;
        n *= 2;
    }
    return n;
}

/* The format attribute lets -Wformat check callers of buf_printf only. */
__attribute__((format(printf, 2, 0))) static int
vappend(struct gw_buf *b, const char *fmt, va_list ap)
{
    va_list again;
    int rc = 0;

    /* Try the free space first; most messages fit and format only once. */
    va_copy(again, ap);
    size_t room = b->data ? b->cap - b->len + 1 : 0;
    int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap);
    if (n < 0) {
        rc = -EINVAL;
    } else if ((size_t)n >= room) {
        rc = buf_reserve(b, (size_t)n);
        if (rc == 0 &&
            vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again) != n)
            rc = -EINVAL;
    }
    if (rc == 0)
        b->len += (size_t)n;
    /* A failed or truncated attempt may have overwritten the old NUL. */
    if (b->data)
        b->data[b->len] = '\0';
    va_end(again);
    return rc;
}

int buf_reserve(struct gw_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - 1 - b->len)
        return -ENOMEM;
    size_t need = b->len + extra;
    if (b->data && need <= b->cap)
        return 0;

    /* Always allocate when data is NULL, so callers may write data[len]. */
    size_t cap = grow(b->cap, need);
    char *p = realloc(b->data, cap + 1);
    if (!p)
        return -ENOMEM;
    p[b->len] = '\0';
    b->data = p;
    b->cap = cap;
    return 0;
}

int buf_append(struct gw_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    int rc = buf_reserve(b, n);
    if (rc)
        return rc;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int buf_append_str(struct gw_buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_printf(struct gw_buf *b, const char *fmt, ...)
{
    va_list ap;

    if (!fmt)
        return -EINVAL;
    va_start(ap, fmt);
    int rc = vappend(b, fmt, ap);
    va_end(ap);
    return rc;
}

void buf_consume(struct gw_buf *b, size_t n)
{
    if (n >= b->len) {
        buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

void buf_reset(struct gw_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void buf_free(struct gw_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

char *buf_steal(struct gw_buf *b, size_t *len)
{
    char *p = b->data;

    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}
