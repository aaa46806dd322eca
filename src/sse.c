/* SPDX-License-Identifier: MIT */
/* Writes Server-Sent Events into buffers. */
#include "mcpgw/sse.h"

#include <errno.h>
#include <string.h>

/* Appends data as "data:" lines; a CR, LF or CRLF starts a new line. */
static int append_data(struct gw_buf *out, const char *p, size_t len)
{
    size_t start = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && p[i] != '\n' && p[i] != '\r')
            continue;
        if (buf_append(out, "data: ", 6) < 0 ||
            buf_append(out, p + start, i - start) < 0 ||
            buf_append(out, "\n", 1) < 0)
            return -ENOMEM;
        if (i + 1 < len && p[i] == '\r' && p[i + 1] == '\n')
            i++;
        start = i + 1;
    }
    return 0;
}

int sse_event(struct gw_buf *out, const char *event, const char *id,
              const char *data, size_t len)
{
    size_t mark = out->len;

    if (buf_reserve(out, len + 64) < 0)
        return -ENOMEM;
    if ((event && buf_printf(out, "event: %s\n", event) < 0) ||
        (id && buf_printf(out, "id: %s\n", id) < 0) ||
        append_data(out, data, len) < 0 || buf_append(out, "\n", 1) < 0) {
        out->len = mark;
        return -ENOMEM;
    }
    return 0;
}

int sse_comment(struct gw_buf *out, const char *text)
{
    return buf_printf(out, ": %s\n\n", text);
}
