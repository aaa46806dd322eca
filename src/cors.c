/* SPDX-License-Identifier: MIT */
/* CORS: which origins may call, and the headers that tell browsers. */
#include "mcpgw/cors.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ALLOW_HEADERS_MAX 512
#define DEFAULT_ALLOW_HEADERS                               \
    "Content-Type, Accept, Authorization, Mcp-Session-Id, " \
    "MCP-Protocol-Version, Last-Event-ID"

static bool is_regex(const char *v)
{
    size_t n = strlen(v);

    return n >= 2 && v[0] == '/' && v[n - 1] == '/';
}

static int compile(struct cors *c, const char *v, char *err, size_t errlen)
{
    size_t n = strlen(v);
    char *pattern = strndup(v + 1, n - 2);
    int rc;

    if (pattern == NULL)
        return -ENOMEM;
    rc = regcomp(&c->re[c->nre], pattern, REG_EXTENDED | REG_NOSUB);
    free(pattern);
    if (rc != 0) {
        snprintf(err, errlen, "--cors: invalid regex %.64s", v);
        return -EINVAL;
    }
    c->nre++;
    return 0;
}

int cors_init(struct cors *c, const struct config_list *values, char *err,
              size_t errlen)
{
    memset(c, 0, sizeof(*c));
    if (values->n == 0)
        return 0;
    c->enabled = true;
    c->exact = calloc(values->n, sizeof(*c->exact));
    c->re = calloc(values->n, sizeof(*c->re));
    if (c->exact == NULL || c->re == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < values->n; i++) {
        const char *v = values->v[i];
        if (strcmp(v, "*") == 0)
            c->any = true;
        else if (!is_regex(v))
            c->exact[c->nexact++] = v;
        else if (compile(c, v, err, errlen) < 0)
            return -EINVAL;
    }
    return 0;
}

void cors_free(struct cors *c)
{
    for (size_t i = 0; i < c->nre; i++)
        regfree(&c->re[i]);
    free(c->re);
    free(c->exact);
    memset(c, 0, sizeof(*c));
}

bool cors_allows(const struct cors *c, const char *origin)
{
    if (!c->enabled || origin == NULL || strcmp(origin, "null") == 0)
        return false;
    if (c->any)
        return true;
    for (size_t i = 0; i < c->nexact; i++)
        if (strcasecmp(origin, c->exact[i]) == 0)
            return true;
    for (size_t i = 0; i < c->nre; i++)
        if (regexec(&c->re[i], origin, 0, NULL, 0) == 0)
            return true;
    return false;
}

void cors_decorate(const struct cors *c, struct http_req *r, const char *origin)
{
    /* A listed origin is reflected, so caches must key on Origin. */
    http_add_header(r, "Access-Control-Allow-Origin", c->any ? "*" : origin);
    http_add_header(r, "Vary", "Origin");
    http_add_header(r, "Access-Control-Expose-Headers",
                    "Mcp-Session-Id, MCP-Protocol-Version");
}

bool cors_is_preflight(struct http_req *r)
{
    return strcmp(http_method(r), "OPTIONS") == 0 &&
           http_header(r, "Access-Control-Request-Method") != NULL;
}

/* The headers the browser asks for, if they are plain header names. */
static const char *requested_headers(struct http_req *r)
{
    const char *h = http_header(r, "Access-Control-Request-Headers");

    if (h == NULL || strlen(h) > ALLOW_HEADERS_MAX)
        return DEFAULT_ALLOW_HEADERS;
    for (const char *p = h; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789-_, ",
                    *p))
            return DEFAULT_ALLOW_HEADERS;
    return h;
}

void cors_preflight(struct http_req *r)
{
    http_add_header(r, "Access-Control-Allow-Methods",
                    "GET, POST, DELETE, OPTIONS");
    http_add_header(r, "Access-Control-Allow-Headers", requested_headers(r));
    http_add_header(r, "Access-Control-Max-Age", "600");
    http_respond(r, 204, NULL, "", 0);
}
