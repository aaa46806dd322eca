/* SPDX-License-Identifier: MIT */
/*
 * A resumable SSE stream of a session (2025-11-25 resumability). Every
 * event it sends gets the id "<stream>_<seq>", unique in the session,
 * is kept in a bounded ring of recent events, and goes to the connection
 * attached at the time, if any. A client whose connection broke sends
 * GET with Last-Event-ID: the events after its cursor are replayed on
 * the new connection, and the stream goes on there.
 */
#ifndef MCPGW_STREAM_H
#define MCPGW_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcpgw/http.h"

#define STREAM_ID_MAX 42 /* "<u32>_<u64>" and its NUL, with room */

/* One kept event, framed and ready to write again. */
struct stream_event {
    uint64_t seq;
    char *frame; /* owned */
    size_t len;
};

struct stream_limits {
    size_t max_events; /* events kept for replay */
    size_t max_bytes;  /* bytes of framed events kept for replay */
};

struct stream;

/*
 * A connection a stream writes to, embedded in whoever owns the
 * request; the stream clears st when it lets go of it.
 */
struct stream_attach {
    struct stream *st;    /* borrowed; NULL when not attached */
    struct http_req *req; /* borrowed */
};

struct stream {
    unsigned number;                /* 0 is the session's GET stream */
    uint64_t seq;                   /* the last event id handed out */
    uint64_t evicted;               /* newest seq no longer kept, or 0 */
    struct stream_limits limits;    /* copied */
    struct stream_event *ring;      /* owned array of cap slots, at most
                                       max_events, grown on demand */
    size_t cap, head, count, bytes; /* slots, oldest slot, events and
                                       bytes kept */
    struct stream_attach *att;      /* borrowed: the connection, or NULL */
    bool finished;                  /* its last event is sent */
    struct stream *prev, *next;     /* the session's streams */
};

/* Prepares st; the ring's slots are allocated as events come. */
void stream_init(struct stream *st, unsigned number,
                 const struct stream_limits *limits);

/* Lets go of the connection, if any, and frees the kept events. */
void stream_free(struct stream *st);

/* Writes to att->req from now on (st must have no connection). */
void stream_attach(struct stream *st, struct stream_attach *att);

/* Stops writing to the connection (it closed, or is handed back). */
void stream_detach(struct stream *st);

/* The stream's last event is out: ends and lets go of the connection. */
void stream_finish(struct stream *st);

/*
 * Sends an event with data msg: framed with its id, kept, and written
 * to the attached connection. Returns 0 or -ENOMEM.
 */
int stream_send(struct stream *st, const char *msg, size_t len);

/*
 * Sends the priming event (an id and no data, plus a retry field when
 * retry_ms is not 0) that gives the client a cursor before anything
 * else. It is not kept: replay after it starts at the next event.
 */
int stream_prime(struct stream *st, uint64_t retry_ms);

/*
 * Whether the events after seq `after` can be replayed: 0, or -ESTALE
 * when some of them are no longer kept (the ring moved past the
 * cursor), or -ERANGE for a cursor beyond the stream's last event.
 */
int stream_replay_check(const struct stream *st, uint64_t after);

/* Writes the kept events after seq `after` to conn (checked first). */
void stream_replay(const struct stream *st, uint64_t after,
                   struct http_req *conn);

/*
 * Reads a Last-Event-ID of the form "<stream>_<seq>" (decimal, no
 * sign, no leading zeros, nothing else). Returns 0 or -EINVAL.
 */
int stream_parse_id(const char *text, unsigned *number, uint64_t *seq);

#endif
