/* SPDX-License-Identifier: MIT */
/* Admits or refuses requests to the MCP endpoints (rebinding, tokens). */
#include "mcpgw/gate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcpgw/jsonrpc.h"

#define SHOWN_MAX      200         /* of a refused Host or Origin */
#define TOKEN_FILE_MAX (64 * 1024) /* a token file is a short list */

/* Frees a list of secrets, wiping them first. */
static void wipe_list(struct config_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        explicit_bzero(l->v[i], strlen(l->v[i]));
        free(l->v[i]);
    }
    l->n = 0;
}

static int add_token(struct config_list *l, const char *p, size_t n)
{
    if (l->n == CONFIG_MAX_LIST)
        return -E2BIG;
    l->v[l->n] = strndup(p, n);
    if (l->v[l->n] == NULL)
        return -ENOMEM;
    l->n++;
    return 0;
}

/* One token a line; blank lines and lines starting with # are skipped. */
static int parse_tokens(struct config_list *l, const char *text, size_t len)
{
    const char *p = text, *end = text + len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *s = p;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
            e--;
        if (e > s && *s != '#') {
            int rc = add_token(l, s, (size_t)(e - s));
            if (rc < 0)
                return rc;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

static int read_token_file(struct config_list *l, const char *path)
{
    char *text = malloc(TOKEN_FILE_MAX + 1);
    FILE *f = fopen(path, "re");
    size_t n = 0;
    int rc = 0;

    if (text == NULL || f == NULL) {
        rc = text ? -errno : -ENOMEM;
        goto out;
    }
    n = fread(text, 1, TOKEN_FILE_MAX + 1, f);
    if (ferror(f))
        rc = -EIO;
    else if (n > TOKEN_FILE_MAX)
        rc = -EFBIG;
    else
        rc = parse_tokens(l, text, n);
out:
    if (f)
        fclose(f);
    if (text) {
        explicit_bzero(text, n);
        free(text);
    }
    return rc;
}

int gate_load_tokens(struct gate *g, const struct gw_config *cfg, char *err,
                     size_t errlen)
{
    struct config_list all = {0};
    int rc = 0;

    for (size_t i = 0; i < cfg->auth_tokens.n && rc == 0; i++)
        rc = add_token(&all, cfg->auth_tokens.v[i],
                       strlen(cfg->auth_tokens.v[i]));
    for (size_t i = 0; i < cfg->auth_token_files.n && rc == 0; i++) {
        rc = read_token_file(&all, cfg->auth_token_files.v[i]);
        if (rc < 0)
            snprintf(err, errlen, "--auth-token-file %s: %s",
                     cfg->auth_token_files.v[i],
                     rc == -E2BIG ? "more than 32 tokens" : strerror(-rc));
    }
    if (rc == 0)
        rc = guard_tokens_set(&g->tokens, &all);
    if (rc == -ENOMEM)
        snprintf(err, errlen, "out of memory");
    wipe_list(&all);
    return rc;
}

/*
 * Only local callers can connect: loopback, or a Unix socket, which its
 * file mode guards (and which a browser cannot reach, so a proxy in
 * front of it decides which Host names are served).
 */
bool gate_is_local(const struct gw_config *cfg)
{
    return cfg->listen_unix || guard_is_loopback_addr(cfg->host);
}

int gate_init(struct gate *g, const struct gw_config *cfg, char *err,
              size_t errlen)
{
    int rc;

    memset(g, 0, sizeof(*g));
    g->policy.loopback_only =
        !cfg->listen_unix && guard_is_loopback_addr(cfg->host);
    g->policy.allowed_hosts = &cfg->allowed_hosts;
    g->policy.allowed_origins = &cfg->allowed_origins;
    rc = cors_init(&g->cors, &cfg->cors, err, errlen);
    if (rc == 0)
        rc = gate_load_tokens(g, cfg, err, errlen);
    return rc;
}

void gate_free(struct gate *g)
{
    guard_tokens_free(&g->tokens);
    cors_free(&g->cors);
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
    bool cross = cors_allows(&g->cors, origin);
    enum guard_auth auth;

    if (!guard_host_allowed(&g->policy, host)) {
        refuse(r, "Host", host);
        return false;
    }
    if (!cross && !guard_origin_allowed(&g->policy, origin, host)) {
        refuse(r, "Origin", origin);
        return false;
    }
    /* From here on every answer, errors too, is readable by the page. */
    if (cross)
        cors_decorate(&g->cors, r, origin);
    if (g->cors.enabled && cors_is_preflight(r)) {
        /* Browsers send no credentials on a preflight. */
        cors_preflight(r);
        return false;
    }
    auth = guard_check_bearer(&g->tokens, http_header(r, "Authorization"));
    if (auth != GUARD_AUTH_OK) {
        unauthorized(r, auth);
        return false;
    }
    return true;
}
