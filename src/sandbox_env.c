/* SPDX-License-Identifier: MIT */
/* The child's environment: no tokens ever; under --sandbox, an allowlist. */
#include "sandbox_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "mcpgw/log.h"

/* Names passed under --sandbox; a trailing '*' matches a prefix. */
static const char *const allowed[] = {
    "PATH",
    "LANG",
    "LANGUAGE",
    "LC_*",
    "TZ",
    "NODE_*",
    "npm_config_cache",
    "NPM_CONFIG_CACHE",
    "npm_config_prefer_offline",
    "NPM_CONFIG_PREFER_OFFLINE",
    "npm_config_offline",
    "NPM_CONFIG_OFFLINE",
};

static bool name_is(const char *kv, const char *name)
{
    size_t n = strlen(name);

    if (n > 0 && name[n - 1] == '*')
        return strncmp(kv, name, n - 1) == 0;
    return strncmp(kv, name, n) == 0 && kv[n] == '=';
}

static bool is_allowed(const char *kv)
{
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        if (name_is(kv, allowed[i]))
            return true;
    }
    return false;
}

/* Same name (up to '=' or the end of a bare NAME). */
static bool same_name(const char *a, const char *b)
{
    size_t na = strcspn(a, "="), nb = strcspn(b, "=");

    return na == nb && strncmp(a, b, na) == 0;
}

bool sb_env_is_token(const struct guard_tokens *t, const char *value)
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    size_t n;
    bool match = false;

    if (t == NULL || t->n == 0)
        return false;
    if (strncasecmp(value, "Bearer ", 7) == 0)
        value += 7;
    while (*value == ' ' || *value == '\t')
        value++;
    n = strlen(value);
    while (n > 0 && strchr(" \t\r\n", value[n - 1]))
        n--;
    if (n == 0)
        return false;
    SHA256((const unsigned char *)value, n, d);
    for (size_t i = 0; i < t->n; i++)
        match |= CRYPTO_memcmp(d, t->digest[i], GUARD_DIGEST_LEN) == 0;
    OPENSSL_cleanse(d, sizeof(d));
    return match;
}

void sb_strv_free(char **v)
{
    if (v == NULL)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

struct envb {
    char **v;
    size_t n, cap;
    bool oom;
};

/* Adds (or replaces a variable of the same name with) a copy of kv. */
static void put(struct envb *e, const char *kv)
{
    char *s = strdup(kv);

    if (s == NULL) {
        e->oom = true;
        return;
    }
    for (size_t i = 0; i < e->n; i++) {
        if (same_name(e->v[i], kv)) {
            free(e->v[i]);
            e->v[i] = s;
            return;
        }
    }
    if (e->n + 1 >= e->cap) {
        free(s);
        e->oom = true;
        return;
    }
    e->v[e->n++] = s;
}

static void put_pair(struct envb *e, const char *name, const char *value)
{
    char *s = NULL;

    if (asprintf(&s, "%s=%s", name, value) < 0) {
        e->oom = true;
        return;
    }
    put(e, s);
    free(s);
}

/* --env NAME takes the gateway's own value, even of a secret. */
static void put_extra(struct envb *e, const char *spec)
{
    extern char **environ;

    if (strchr(spec, '=')) {
        put(e, spec);
        return;
    }
    for (char **p = environ; p && *p; p++) {
        if (same_name(*p, spec)) {
            put(e, *p);
            return;
        }
    }
}

char **sb_env_build(char *const *env, const struct sb_envspec *spec)
{
    size_t n = 0;

    while (env && env[n])
        n++;
    struct envb e = {calloc(n + spec->nextra + 4, sizeof(char *)), 0,
                     n + spec->nextra + 4, false};
    if (e.v == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (spec->allowlist && !is_allowed(env[i]))
            continue;
        const char *eq = strchr(env[i], '=');
        if (eq && sb_env_is_token(spec->tokens, eq + 1)) {
            char esc[4 * 64 + 4];
            log_info("sandbox",
                     "%s holds an accepted token: not passed to the "
                     "MCP server",
                     log_escape(env[i], (size_t)(eq - env[i]), 64, esc));
            continue;
        }
        put(&e, env[i]);
    }
    if (spec->home) {
        put_pair(&e, "HOME", spec->home);
        put_pair(&e, "TMPDIR", spec->home);
    }
    for (size_t i = 0; i < spec->nextra; i++)
        put_extra(&e, spec->extra[i]);
    if (e.oom) {
        sb_strv_free(e.v);
        return NULL;
    }
    return e.v;
}
