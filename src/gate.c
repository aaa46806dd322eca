/* SPDX-License-Identifier: MIT */
/* Admits or refuses requests to the MCP endpoints (rebinding, tokens). */
#include "mcpgw/gate.h"

#include <stdio.h>
#include <string.h>

#include "mcpgw/jsonrpc.h"

#define SHOWN_MAX 200 /* of a refused Host or Origin, in the answer */

int gate_init(struct gate *g, const struct gw_config *cfg)
{
    memset(g, 0, sizeof(*g));
    g->policy.loopback_only = guard_is_loopback_addr(cfg->host);
    g->policy.allowed_hosts = &cfg->allowed_hosts;
    g->policy.allowed_origins = &cfg->allowed_origins;
    return guard_tokens_set(&g->tokens, &cfg->auth_tokens);
}

void gate_free(struct gate *g)
{
    guard_tokens_free(&g->tokens);
}

static void refuse(struct http_req *r, const char *what, const char *value)
{
    char msg[SHOWN_MAX + 64];

    /* The access line records the refusal, with this message. */
    snprintf(msg, sizeof(msg), "Invalid %s header: %.*s", what, SHOWN_MAX,
             value ? value : "(none)");
    http_respond_error(r, 403, RPC_CONNECTION_CLOSED, msg);
}

static void unauthorized(struct http_req *r, enum guard_auth why)
{
    bool sent = why == GUARD_AUTH_INVALID;

    http_add_header(r, "WWW-Authenticate",
                    sent ? "Bearer realm=\"mcpgw\", error=\"invalid_token\""
                         : "Bearer realm=\"mcpgw\"");
    http_respond_error(r, 401, RPC_CONNECTION_CLOSED,
                       sent ? "Unauthorized: invalid bearer token"
                            : "Unauthorized: a bearer token is required");
}

bool gate_admit(const struct gate *g, struct http_req *r)
{
    const char *host = http_header(r, "Host");
    const char *origin = http_header(r, "Origin");
    enum guard_auth auth;

    if (!guard_host_allowed(&g->policy, host)) {
        refuse(r, "Host", host);
        return false;
    }
    if (!guard_origin_allowed(&g->policy, origin, host)) {
        refuse(r, "Origin", origin);
        return false;
    }
    auth = guard_check_bearer(&g->tokens, http_header(r, "Authorization"));
    if (auth != GUARD_AUTH_OK) {
        unauthorized(r, auth);
        return false;
    }
    return true;
}
