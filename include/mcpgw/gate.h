/* SPDX-License-Identifier: MIT */
/*
 * The door of every MCP endpoint: the Host and Origin checks against DNS
 * rebinding, CORS, then the bearer token. A refused request is answered
 * here (403 or 401, with a JSON-RPC error body), and so is a preflight.
 */
#ifndef MCPGW_GATE_H
#define MCPGW_GATE_H

#include <stdbool.h>
#include <stddef.h>

#include "mcpgw/config.h"
#include "mcpgw/cors.h"
#include "mcpgw/guard.h"
#include "mcpgw/http.h"

struct gate {
    struct guard_tokens tokens; /* owned digests */
    struct guard_policy policy; /* lists borrowed from the config */
    struct cors cors;
};

/*
 * True when only this host can connect (loopback, or --listen unix:), so
 * starting without a token is allowed.
 */
bool gate_is_local(const struct gw_config *cfg);

/*
 * Builds the gate from cfg, reading the token files. Returns 0, or a
 * negative errno with one line in err (which never holds a token).
 */
int gate_init(struct gate *g, const struct gw_config *cfg, char *err,
              size_t errlen);

/*
 * Reads the tokens again (--auth-token and the token files), for SIGHUP.
 * On any error the old set stays and err says why. Open connections and
 * calls in flight are not touched.
 */
int gate_load_tokens(struct gate *g, const struct gw_config *cfg, char *err,
                     size_t errlen);

void gate_free(struct gate *g);

/* True when r may go on; otherwise r has been answered. */
bool gate_admit(const struct gate *g, struct http_req *r);

#endif
