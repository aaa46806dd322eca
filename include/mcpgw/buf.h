/* SPDX-License-Identifier: MIT */
/* Growable byte buffers with an explicit cap, used for bodies and frames. */
#ifndef MCPGW_BUF_H
#define MCPGW_BUF_H

#include <stddef.h>

/*
 * A byte buffer that owns its storage. A zeroed struct is an empty buffer.
 * data is NUL-terminated whenever it is non-NULL (one byte past len), so a
 * buffer holding text can be passed to functions that want a C string.
 */
struct gw_buf {
    char *data; /* owned, freed by buf_free */
    size_t len; /* bytes in use */
    size_t cap; /* bytes allocated, excluding the terminating NUL */
};

/* Makes room for at least extra more bytes. Returns 0 or -ENOMEM. */
int buf_reserve(struct gw_buf *b, size_t extra);

/* Appends n bytes. Returns 0 or -ENOMEM; b is unchanged on failure. */
int buf_append(struct gw_buf *b, const void *p, size_t n);

/* Appends a C string. Returns 0 or -ENOMEM. */
int buf_append_str(struct gw_buf *b, const char *s);

/* Appends printf-formatted text. Returns 0, -ENOMEM or -EINVAL. */
int buf_printf(struct gw_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Drops the first n bytes (n <= len), keeping the rest in order. */
void buf_consume(struct gw_buf *b, size_t n);

/* Empties the buffer but keeps its storage for reuse. */
void buf_reset(struct gw_buf *b);

/* Releases the storage; the buffer is empty and reusable afterwards. */
void buf_free(struct gw_buf *b);

/* Hands the storage to the caller (who frees it) and empties b. */
char *buf_steal(struct gw_buf *b, size_t *len);

#endif
