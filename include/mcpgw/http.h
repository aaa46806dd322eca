/* SPDX-License-Identifier: MIT */
/*
 * HTTP on the gateway's loop: libmicrohttpd runs with no threads of its
 * own, in external epoll mode, driven by a uv_poll on its epoll descriptor
 * and a uv_timer for its timeouts. A request that waits for the MCP
 * server is suspended, and resumed when its answer or its next stream
 * event is ready. While suspended, libmicrohttpd does not watch the
 * socket, so http watches it for a hang-up itself: a client that goes
 * away is noticed at once, not when its answer comes.
 */
#ifndef MCPGW_HTTP_H
#define MCPGW_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "mcpgw/buf.h"

struct http_server;
struct http_req;

/* Called once a request and its whole body are in. */
typedef void (*http_handler_fn)(struct http_req *req, void *arg);

struct http_route {
    const char *path; /* exact path, query string excluded */
    http_handler_fn fn;
    void *arg; /* borrowed, passed to fn */
};

struct http_options {
    const char *host; /* numeric address or a resolvable name */
    uint16_t port;
    const char *unix_path;      /* listen here instead of host and port */
    unsigned max_connections;   /* beyond it requests get 503, and past a
                                   margin connections are refused */
    uint64_t idle_timeout_ms;   /* a connection waiting for a request line */
    uint64_t header_timeout_ms; /* from request line to the end of headers */
    size_t max_header_size;     /* larger request headers get 431 */
    size_t max_body;            /* larger bodies get 413 */
    size_t max_stream_buffer;   /* unsent stream bytes before it is cut */
    uint64_t keepalive_ms;      /* stream comment interval; 0 = none */
    http_handler_fn not_found;  /* for paths with no route */
    void *not_found_arg;
};

/*
 * Binds, listens and starts serving on loop. routes (n entries) are
 * borrowed and must outlive the server. Returns 0 or a negative errno,
 * with a log line saying what failed.
 */
int http_start(struct http_server **out, uv_loop_t *loop,
               const struct http_options *opts, const struct http_route *routes,
               size_t n);

/* The address actually bound, as "host:port" or "unix:PATH", for the
 * start-up line. */
const char *http_bound(const struct http_server *s);

/*
 * Stops accepting connections. Requests in progress go on; new requests
 * on open connections get 503.
 */
void http_quiesce(struct http_server *s);

/* Requests received and not yet completed. */
size_t http_active(const struct http_server *s);

/* Ends every connection and frees the server; done(arg) follows. */
void http_stop(struct http_server *s, void (*done)(void *arg), void *arg);

/* --- one request ------------------------------------------------------ */

const char *http_method(const struct http_req *r);
const char *http_path(const struct http_req *r);

/* A request header's value, or NULL. Valid while the request lives. */
const char *http_header(const struct http_req *r, const char *name);

/* A query-string argument's value, or NULL. */
const char *http_query(const struct http_req *r, const char *name);

/* The request body (complete when the handler runs). */
const struct gw_buf *http_body(const struct http_req *r);

/* The peer's address as text, for logs. */
const char *http_peer(const struct http_req *r);

/* Names the JSON-RPC method in the access log line (copied). */
void http_note_rpc(struct http_req *r, const char *method);

/* Adds a header to the response not yet sent (both strings copied). */
void http_add_header(struct http_req *r, const char *name, const char *value);

/*
 * Sends a complete response (body copied). Allowed from the handler or
 * later, once; a later call resumes the suspended request.
 */
void http_respond(struct http_req *r, unsigned status, const char *content_type,
                  const char *body, size_t len);

/* Sends a JSON-RPC error body with a null id. */
void http_respond_error(struct http_req *r, unsigned status, int code,
                        const char *message);

/* From the handler: the answer comes later (http_respond or a stream). */
void http_suspend(struct http_req *r);

/*
 * Starts a streamed response (chunked) with the given status and type,
 * plus the headers added so far. Data follows with http_stream_write.
 */
void http_stream_start(struct http_req *r, unsigned status,
                       const char *content_type);

/*
 * Queues bytes on a started stream. Returns 0, or -ENOBUFS when the
 * client is not reading and the buffer bound is passed: the stream is
 * then cut, and the request ends as aborted.
 */
int http_stream_write(struct http_req *r, const char *p, size_t n);

/* Ends a started stream once its queued bytes are sent. */
void http_stream_end(struct http_req *r);

/* True once a response or a stream has been started. */
bool http_responded(const struct http_req *r);

/*
 * Attaches the handler's state to the request. release(data, aborted)
 * runs exactly once: when the request completes, or as soon as the
 * client is seen to go away (aborted is then true). After it, the
 * handler must not touch r.
 */
void http_set_owner(struct http_req *r, void *data,
                    void (*release)(void *data, bool aborted));

#endif
