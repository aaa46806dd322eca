/* SPDX-License-Identifier: MIT */
/*
 * The Streamable HTTP transport (protocol versions 2025-03-26 to
 * 2025-11-25): POST carries JSON-RPC messages; requests are answered on
 * an SSE stream (or one JSON body with --json-response); notifications
 * and responses get 202. initialize opens a session (a child of its own
 * under --stateful, else a shared one); GET resumes a stream with
 * Last-Event-ID or, under --stateful, opens the session's own stream;
 * DELETE ends a session.
 */
#ifndef MCPGW_STREAMABLE_H
#define MCPGW_STREAMABLE_H

#include "mcpgw/backend.h"
#include "mcpgw/config.h"
#include "mcpgw/gate.h"
#include "mcpgw/http.h"
#include "mcpgw/pool.h"
#include "mcpgw/session.h"

struct streamable {
    const struct gw_config *cfg;    /* borrowed */
    struct pool *pool;              /* borrowed: shared children, or NULL */
    const struct gate *gate;        /* borrowed */
    struct session_table *sessions; /* borrowed: with a child each under
                                       --stateful, else shared ones */
};

/* The route handler for the MCP endpoint; arg is a struct streamable. */
void streamable_handle(struct http_req *r, void *arg);

#endif
