/* SPDX-License-Identifier: MIT */
/*
 * Cross-origin access with Supergateway's --cors meaning: bare (or "*")
 * allows any origin, other values are exact origins or /regex/ (POSIX
 * extended). Allowed origins get the CORS headers on every answer,
 * errors included, and preflights are answered 204.
 */
#ifndef MCPGW_CORS_H
#define MCPGW_CORS_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "mcpgw/config.h"
#include "mcpgw/http.h"

struct cors {
    bool enabled;       /* --cors was given */
    bool any;           /* "*" among the values */
    const char **exact; /* owned array; strings borrowed from config */
    size_t nexact;
    regex_t *re; /* owned, compiled /regex/ values */
    size_t nre;
};

/*
 * Builds the policy from the --cors values. Returns 0, -ENOMEM, or
 * -EINVAL with a line in err naming a regex that does not compile.
 */
int cors_init(struct cors *c, const struct config_list *values, char *err,
              size_t errlen);

void cors_free(struct cors *c);

/* True when CORS is on and origin (NULL: absent) may call. */
bool cors_allows(const struct cors *c, const char *origin);

/* Adds the headers that let the allowed origin read r's answer. */
void cors_decorate(const struct cors *c, struct http_req *r,
                   const char *origin);

/* True for a CORS preflight: OPTIONS with Access-Control-Request-Method. */
bool cors_is_preflight(struct http_req *r);

/* Answers a preflight from an allowed origin: 204 and what it may send. */
void cors_preflight(struct http_req *r);

#endif
