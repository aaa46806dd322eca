/* SPDX-License-Identifier: MIT */
/* /healthz, /readyz and the answer for unknown paths. */
#include "mcpgw/health.h"

#include <string.h>

#include "mcpgw/pool.h"

static bool is_get(struct http_req *r)
{
    const char *m = http_method(r);

    if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
        return true;
    http_add_header(r, "Allow", "GET, HEAD");
    http_respond_error(r, 405, RPC_CONNECTION_CLOSED, "Method not allowed.");
    return false;
}

static void json(struct http_req *r, unsigned status, const char *body)
{
    http_add_header(r, "Cache-Control", "no-store");
    http_respond(r, status, "application/json", body, strlen(body));
}

void health_live(struct http_req *r, void *arg)
{
    if (is_get(r))
        json(r, 200, "{\"status\":\"ok\"}");
}

void health_ready(struct http_req *r, void *arg)
{
    const struct pool *p = arg;

    if (!is_get(r))
        return;
    if (p == NULL || pool_ready(p))
        json(r, 200, "{\"status\":\"ready\"}");
    else
        json(r, 503, "{\"status\":\"starting\"}");
}

void health_not_found(struct http_req *r, void *arg)
{
    http_respond_error(r, 404, RPC_CONNECTION_CLOSED, "Not Found");
}
