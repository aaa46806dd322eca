/* SPDX-License-Identifier: MIT */
/*
 * Sessions of the 2025 protocol era. Under --stateful each
 * Mcp-Session-Id has a child of its own, the streams open on it, the
 * server messages waiting for a stream, and an idle clock. Without it a
 * session is lighter: no child (its calls go to the shared ones), only
 * its resumable streams and what its initialize said. A session ends on
 * DELETE, on --sessionTimeout of inactivity, when its child dies, or at
 * shutdown; afterwards its id is unknown (404).
 */
#ifndef MCPGW_SESSION_H
#define MCPGW_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "mcpgw/backend.h"
#include "mcpgw/buf.h"
#include "mcpgw/config.h"
#include "mcpgw/stream.h"

#define SESSION_ID_HEX 32 /* 128 random bits */
/* The longest id: "NAME." (--replica-id) and the hex. */
#define SESSION_ID_LEN (CONFIG_REPLICA_ID_MAX + 1 + SESSION_ID_HEX)

struct session;

enum session_sink_kind {
    SINK_POST = 0, /* a POST's answer stream: takes server messages */
    SINK_GET,      /* the session's GET stream: takes server messages */
    SINK_RESUME,   /* a GET resuming a POST stream: takes none, but is
                      ended with the session */
};

/*
 * A stream of a session that the session ends with it; the POST and GET
 * kinds also take the server's own messages. Embedded in its owner,
 * linked while open.
 */
struct session_sink {
    /* Takes one message; returns 0, or -EPIPE when it cannot any more. */
    int (*deliver)(struct session_sink *sink, const char *msg, size_t len);
    /* The session ended: end the stream; detaching is done already. */
    void (*close)(struct session_sink *sink);
    enum session_sink_kind kind;
    struct session_sink *prev, *next; /* the session's sinks */
};

struct session {
    char id[SESSION_ID_LEN + 1];
    struct session_table *table; /* borrowed */
    struct backend backend;      /* the session's own child, unless
                                    shared */
    bool shared;                 /* no child: calls go to the pool */
    struct session_sink *sinks;  /* borrowed, newest first */
    struct gw_buf held;          /* owned: messages waiting for a sink,
                                    each followed by a NUL */
    size_t nheld;
    struct stream *streams;      /* owned: resumable streams, newest
                                    first; the GET stream is number 0 */
    unsigned next_stream;        /* number of the last POST stream */
    char version[16];            /* protocol version its initialize asked */
    unsigned caps;               /* RPC_CAP_* its initialize declared */
    uint64_t last_active;        /* loop time of the last request */
    bool ended;                  /* gone from the table; freed once its
                                    backend has stopped */
    struct session *hnext;       /* hash chain */
    struct session *prev, *next; /* the table's list */
};

struct session_table {
    uv_loop_t *loop;             /* borrowed */
    const struct gw_config *cfg; /* borrowed */
    struct session **buckets;    /* owned array */
    size_t nbuckets;
    struct session *all; /* every session, ended ones too */
    size_t live;         /* sessions not ended */
    uv_timer_t sweep;    /* idle timeouts */
    bool stopping;
    void (*on_stopped)(void *arg);
    void *stopped_arg;
    uint64_t created, expired; /* counters */
    bool shared;               /* sessions without children of their own */
    char (*ended_ids)[SESSION_ID_LEN + 1]; /* owned ring: ids of ended
                                              shared sessions, for 404 */
    size_t ended_next, nended;
};

/*
 * Writes a fresh id: 128 bits from OpenSSL as hex, after "REPLICA." when
 * replica (--replica-id) is not NULL. Returns 0 or -EIO.
 */
int session_new_id(char out[SESSION_ID_LEN + 1], const char *replica);

/*
 * Prepares the table; shared: its sessions have no child of their own.
 * Returns 0 or -ENOMEM.
 */
int session_table_init(struct session_table *t, uv_loop_t *loop,
                       const struct gw_config *cfg, bool shared);

/*
 * True when id is that of a shared session that has ended (a bounded
 * memory of the newest ones): such a request gets 404, while an id never
 * seen here (another replica's, a restarted gateway's) is served as if
 * it had none.
 */
bool session_ended_recently(const struct session_table *t, const char *id);

/*
 * Creates a session with a fresh id and starts its child. Returns the
 * session, or NULL with *err set: -EBUSY at --max-sessions, -ENOMEM,
 * -EIO when randomness failed.
 */
struct session *session_new(struct session_table *t, int *err);

/* The live session with this id, or NULL. Counts as activity. */
struct session *session_find(struct session_table *t, const char *id);

/* Ends s (DELETE, timeout, child death): see the header comment. */
void session_end(struct session *s, const char *why);

/* Links a sink; held messages are delivered to a GET sink at once. */
void session_attach(struct session *s, struct session_sink *sink);

/* Unlinks a sink (its stream closed). */
void session_detach(struct session *s, struct session_sink *sink);

/*
 * A new resumable stream for a POST's answer, or NULL when out of
 * memory. Finished streams beyond a small bound are forgotten, oldest
 * first, so a session keeps a bounded number.
 */
struct stream *session_stream_new(struct session *s);

/* The session's GET stream (number 0), made on first use; or NULL. */
struct stream *session_get_stream(struct session *s);

/* The stream with this number, or NULL when unknown or forgotten. */
struct stream *session_stream_find(struct session *s, unsigned number);

/* True while s has a GET stream open. */
bool session_has_get(const struct session *s);

/* Calls in flight in every live session. */
size_t session_table_pending(const struct session_table *t);

/* Ends every session; done(arg) runs once all their children are gone. */
void session_table_stop(struct session_table *t, void (*done)(void *arg),
                        void *arg);

#endif
