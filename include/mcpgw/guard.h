/* SPDX-License-Identifier: MIT */
/*
 * Who may call: bearer tokens kept as SHA-256 digests and compared in
 * constant time, and the Host and Origin checks that stop DNS rebinding.
 * Pure functions over strings, so they are tested without a server.
 */
#ifndef MCPGW_GUARD_H
#define MCPGW_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "mcpgw/config.h"

#define GUARD_DIGEST_LEN 32

/* The accepted tokens. Only digests are kept: no token text stays here. */
struct guard_tokens {
    unsigned char (*digest)[GUARD_DIGEST_LEN]; /* owned array of n */
    size_t n;
};

enum guard_auth {
    GUARD_AUTH_OK = 0,  /* a valid token, or no tokens configured */
    GUARD_AUTH_MISSING, /* no Authorization header, or not Bearer */
    GUARD_AUTH_INVALID, /* a Bearer token that matches none */
};

/*
 * Replaces the token set with the digests of list's entries. Empty
 * entries are skipped. Returns 0 or -ENOMEM (the old set is kept then).
 */
int guard_tokens_set(struct guard_tokens *t, const struct config_list *list);

/* Frees the digests; the set is empty afterwards. */
void guard_tokens_free(struct guard_tokens *t);

/*
 * Checks an Authorization header value (NULL when absent). The scheme
 * "Bearer" is matched case-insensitively; the token must follow after
 * one or more spaces. Every digest is compared, always, so the time taken
 * does not depend on which token matched or where a wrong one differs.
 */
enum guard_auth guard_check_bearer(const struct guard_tokens *t,
                                   const char *authorization);

/* The Host and Origin policy, borrowed from the configuration. */
struct guard_policy {
    bool loopback_only;                        /* bound to a loopback address */
    const struct config_list *allowed_hosts;   /* "name" or "name:port" */
    const struct config_list *allowed_origins; /* "scheme://host[:port]" */
};

/*
 * True when the Host header (NULL when absent) may be served. Bound to
 * loopback, only localhost, 127.0.0.1 and [::1] (any port) and the
 * allowed hosts pass; bound elsewhere, any host passes unless allowed
 * hosts were given. Names compare case-insensitively.
 */
bool guard_host_allowed(const struct guard_policy *p, const char *host);

/*
 * True when the Origin header may be served. An absent Origin (NULL)
 * passes: non-browser clients send none. Otherwise the origin passes
 * when it is listed in allowed_origins, when it names a loopback host
 * while bound to loopback, or when its host and port equal the Host
 * header's (a same-origin request). "null" never passes.
 */
bool guard_origin_allowed(const struct guard_policy *p, const char *origin,
                          const char *host);

/* True when addr (an IPv4 or IPv6 literal, or "localhost") is loopback. */
bool guard_is_loopback_addr(const char *addr);

#endif
