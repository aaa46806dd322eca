/* SPDX-License-Identifier: MIT */
/* Liveness and readiness endpoints; they need no token. */
#ifndef MCPGW_HEALTH_H
#define MCPGW_HEALTH_H

#include "mcpgw/http.h"

/* 200 while the loop runs. arg is unused. */
void health_live(struct http_req *r, void *arg);

/*
 * 200 while an MCP server is initialized, else 503. arg: the pool of
 * shared children, or NULL when there is none (--stateful): always 200
 * then.
 */
void health_ready(struct http_req *r, void *arg);

/* 404 with a JSON-RPC error body, for paths with no route. */
void health_not_found(struct http_req *r, void *arg);

#endif
