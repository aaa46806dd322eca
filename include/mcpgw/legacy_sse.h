/* SPDX-License-Identifier: MIT */
/*
 * The HTTP+SSE transport of protocol version 2024-11-05, Supergateway's
 * default: GET on the SSE path opens a client's stream, whose first event
 * ("endpoint") names the message path with the client's sessionId; each
 * POST there is answered 202 and its reply goes out on that client's
 * stream only. One bad POST is answered and forgotten: the client's
 * stream and session go on.
 */
#ifndef MCPGW_LEGACY_SSE_H
#define MCPGW_LEGACY_SSE_H

#include "mcpgw/backend.h"
#include "mcpgw/config.h"
#include "mcpgw/gate.h"
#include "mcpgw/http.h"
#include "mcpgw/pool.h"
#include "mcpgw/session.h"

struct legacy_client;

struct legacy_sse {
    const struct gw_config *cfg;    /* borrowed */
    struct pool *pool;              /* borrowed: shared children, or NULL */
    const struct gate *gate;        /* borrowed */
    struct session_table *sessions; /* borrowed; NULL unless --stateful */
    struct legacy_client *clients;  /* owned list of open streams */
    size_t nclients;
};

/* Route handlers; arg is a struct legacy_sse. */
void legacy_sse_stream(struct http_req *r, void *arg);
void legacy_sse_message(struct http_req *r, void *arg);

#endif
