/* SPDX-License-Identifier: MIT */
/*
 * Splits a byte stream (an MCP server's stdout) into newline-delimited
 * frames, with a bound on the length of one frame.
 */
#ifndef MCPGW_FRAME_H
#define MCPGW_FRAME_H

#include <stddef.h>

#include "mcpgw/buf.h"

/*
 * Callbacks from frame_feed. Frames are handed over without their line
 * ending ("\n" or "\r\n"); empty and all-whitespace lines are skipped.
 * Bytes are passed through untouched: a multi-byte UTF-8 character split
 * across two reads reaches on_frame whole, because frames are only cut at
 * '\n', which never occurs inside a UTF-8 sequence.
 */
struct frame_ops {
    /* A complete frame; p is valid only during the call. */
    void (*on_frame)(void *ctx, const char *p, size_t len);
    /*
     * A frame longer than the limit ended. Its bytes were discarded; head
     * and tail hold up to FRAME_KEEP bytes from its start and its end so
     * the caller can find which request it answered.
     */
    void (*on_oversize)(void *ctx, size_t total, const char *head,
                        size_t head_len, const char *tail, size_t tail_len);
};

#define FRAME_KEEP 256

struct frame_reader {
    struct frame_ops ops;  /* copied at init */
    void *ctx;             /* borrowed, passed to the callbacks */
    size_t max;            /* longest frame accepted, in bytes */
    struct gw_buf line;    /* owned: the frame being assembled */
    int discarding;        /* set while skipping an oversized frame */
    size_t discarded;      /* bytes skipped in the current frame */
    char head[FRAME_KEEP]; /* first bytes of an oversized frame */
    size_t head_len;
    char tail[FRAME_KEEP]; /* last bytes of it, as a ring */
    size_t tail_pos;       /* next write position in tail */
    size_t tail_fill;      /* bytes valid in tail */
};

/* Prepares r; max is the frame limit in bytes (at least 1). */
void frame_init(struct frame_reader *r, size_t max, const struct frame_ops *ops,
                void *ctx);

/*
 * Consumes n bytes, calling the callbacks for every frame they complete.
 * Returns 0, or -ENOMEM when the buffer could not grow (the current frame
 * is then discarded as if it were oversized).
 */
int frame_feed(struct frame_reader *r, const char *p, size_t n);

/*
 * Ends the stream: a last frame without a newline is delivered (or
 * reported as oversized), then the reader is empty again.
 */
void frame_finish(struct frame_reader *r);

/* Releases the buffer. */
void frame_free(struct frame_reader *r);

#endif
