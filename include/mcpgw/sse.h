/* SPDX-License-Identifier: MIT */
/* Server-Sent Events framing (the text/event-stream format). */
#ifndef MCPGW_SSE_H
#define MCPGW_SSE_H

#include <stddef.h>

#include "mcpgw/buf.h"

/*
 * Appends one event: an optional "event:" line (event may be NULL), an
 * optional "id:" line (id may be NULL), and data split into one "data:"
 * line per line of data, then the blank line that ends the event.
 * Returns 0 or -ENOMEM.
 */
int sse_event(struct gw_buf *out, const char *event, const char *id,
              const char *data, size_t len);

/* Appends a comment line (": text"), which clients ignore; keeps proxies
 * from timing out an idle stream. Returns 0 or -ENOMEM. */
int sse_comment(struct gw_buf *out, const char *text);

#endif
