/* SPDX-License-Identifier: MIT */
/*
 * The door of every MCP endpoint: the Host and Origin checks against DNS
 * rebinding, then the bearer token. A refused request is answered here
 * (403 or 401, with a JSON-RPC error body).
 */
#ifndef MCPGW_GATE_H
#define MCPGW_GATE_H

#include <stdbool.h>

#include "mcpgw/config.h"
#include "mcpgw/guard.h"
#include "mcpgw/http.h"

struct gate {
    struct guard_tokens tokens; /* owned digests */
    struct guard_policy policy; /* lists borrowed from the config */
};

/* Builds the gate from cfg. Returns 0 or -ENOMEM. */
int gate_init(struct gate *g, const struct gw_config *cfg);

/* Frees the digests. */
void gate_free(struct gate *g);

/* True when r may go on; otherwise r has been answered. */
bool gate_admit(const struct gate *g, struct http_req *r);

#endif
