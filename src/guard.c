/* SPDX-License-Identifier: MIT */
/* Bearer tokens as digests, and the Host and Origin checks against rebinding.
 */
#include "mcpgw/guard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

/* A DNS name is at most 253 bytes; the rest is room for brackets. */
#define NAME_BYTES 256

/* A Host header or the authority of an Origin: name[:port] or [v6]:port. */
struct hostport {
    const char *name; /* points into the parsed string; [v6] keeps [] */
    size_t name_len;
    int port; /* -1 when absent */
};

struct origin {
    const char *scheme;
    size_t scheme_len;
    struct hostport hp;
};

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Letters, digits, '-', '.', '_': enough for DNS names and IPv4. */
static bool is_name_char(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_';
}

static bool is_v6_char(unsigned char c)
{
    return is_hex(c) || c == ':' || c == '.';
}

/* "host:" is allowed by RFC 3986 and means no port. */
static bool parse_port(const char *s, size_t n, int *port)
{
    int v = 0;

    *port = -1;
    if (n == 0)
        return true;
    if (n > 5)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v > 65535)
        return false;
    *port = v;
    return true;
}

/* Returns the length of the name at s, or 0 when it is malformed. */
static size_t scan_name(const char *s, size_t n)
{
    size_t i = 0;

    if (n > 0 && s[0] == '[') {
        for (i = 1; i < n && s[i] != ']'; i++) {
            if (!is_v6_char((unsigned char)s[i]))
                return 0;
        }
        return i < n && i > 1 ? i + 1 : 0;
    }
    while (i < n && s[i] != ':') {
        if (!is_name_char((unsigned char)s[i]))
            return 0;
        i++;
    }
    return i;
}

static bool parse_hostport(const char *s, size_t n, struct hostport *hp)
{
    size_t len = scan_name(s, n);

    if (len == 0 || len >= NAME_BYTES)
        return false;
    hp->name = s;
    hp->name_len = len;
    hp->port = -1;
    if (len == n)
        return true;
    if (s[len] != ':')
        return false;
    return parse_port(s + len + 1, n - len - 1, &hp->port);
}

static bool names_equal(const struct hostport *a, const struct hostport *b)
{
    return a->name_len == b->name_len &&
           strncasecmp(a->name, b->name, a->name_len) == 0;
}

static bool v4_is_loopback(const char *s)
{
    struct in_addr a;

    return inet_pton(AF_INET, s, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

/* ::1, and ::ffff:127.x.y.z, which is how v4 loopback looks on v6 sockets. */
static bool v6_is_loopback(const char *s)
{
    struct in6_addr a;

    if (inet_pton(AF_INET6, s, &a) != 1)
        return false;
    return IN6_IS_ADDR_LOOPBACK(&a) ||
           (IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127);
}

static bool hostport_is_loopback(const struct hostport *hp)
{
    char name[NAME_BYTES];

    memcpy(name, hp->name, hp->name_len);
    name[hp->name_len] = '\0';
    return guard_is_loopback_addr(name);
}

/* An entry with a port must match the port too; without, any port does. */
static bool host_in_list(const struct config_list *l, const struct hostport *hp)
{
    for (size_t i = 0; l && i < l->n; i++) {
        struct hostport e;
        if (!parse_hostport(l->v[i], strlen(l->v[i]), &e))
            continue;
        if (names_equal(&e, hp) && (e.port < 0 || e.port == hp->port))
            return true;
    }
    return false;
}

/* Origin = scheme "://" host [ ":" port ], and nothing after. */
static bool parse_origin(const char *s, struct origin *o)
{
    const char *sep = strstr(s, "://");

    if (!sep || sep == s || !is_alpha((unsigned char)s[0]))
        return false;
    for (const char *p = s; p < sep; p++) {
        unsigned char c = (unsigned char)*p;
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
            return false;
    }
    o->scheme = s;
    o->scheme_len = (size_t)(sep - s);
    return parse_hostport(sep + 3, strlen(sep + 3), &o->hp);
}

static bool scheme_is(const struct origin *o, const char *name)
{
    return o->scheme_len == strlen(name) &&
           strncasecmp(o->scheme, name, o->scheme_len) == 0;
}

/* So that http://x and http://x:80 name the same origin. */
static int effective_port(const struct origin *o)
{
    if (o->hp.port >= 0)
        return o->hp.port;
    if (scheme_is(o, "http") || scheme_is(o, "ws"))
        return 80;
    if (scheme_is(o, "https") || scheme_is(o, "wss"))
        return 443;
    return -1;
}

static bool origins_equal(const struct origin *a, const struct origin *b)
{
    return a->scheme_len == b->scheme_len &&
           strncasecmp(a->scheme, b->scheme, a->scheme_len) == 0 &&
           names_equal(&a->hp, &b->hp) &&
           effective_port(a) == effective_port(b);
}

static bool origin_in_list(const struct config_list *l, const struct origin *o)
{
    for (size_t i = 0; l && i < l->n; i++) {
        struct origin e;
        if (parse_origin(l->v[i], &e) && origins_equal(&e, o))
            return true;
    }
    return false;
}

/* The page was served by us: its origin names the host it asked for. */
static bool same_origin(const struct origin *o, const char *host)
{
    struct hostport hp;

    if (!host || !parse_hostport(host, strlen(host), &hp))
        return false;
    return names_equal(&o->hp, &hp) && o->hp.port == hp.port;
}

static const char *skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

int guard_tokens_set(struct guard_tokens *t, const struct config_list *list)
{
    unsigned char(*d)[GUARD_DIGEST_LEN] = NULL;
    size_t n = 0;

    for (size_t i = 0; list && i < list->n; i++)
        n += list->v[i][0] != '\0';
    if (n > 0 && !(d = calloc(n, sizeof *d)))
        return -ENOMEM;
    for (size_t i = 0, k = 0; list && i < list->n; i++) {
        const char *s = list->v[i];
        if (s[0] != '\0')
            SHA256((const unsigned char *)s, strlen(s), d[k++]);
    }
    guard_tokens_free(t);
    t->digest = d;
    t->n = n;
    return 0;
}

void guard_tokens_free(struct guard_tokens *t)
{
    if (t->digest)
        OPENSSL_cleanse(t->digest, t->n * sizeof *t->digest);
    free(t->digest);
    t->digest = NULL;
    t->n = 0;
}

enum guard_auth guard_check_bearer(const struct guard_tokens *t,
                                   const char *authorization)
{
    unsigned char d[GUARD_DIGEST_LEN];
    int match = 0;

    if (!t || t->n == 0)
        return GUARD_AUTH_OK;
    if (!authorization)
        return GUARD_AUTH_MISSING;
    const char *p = skip_spaces(authorization);
    if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\0'))
        return GUARD_AUTH_MISSING;
    p = skip_spaces(p + 6);
    size_t n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n == 0)
        return GUARD_AUTH_INVALID;
    /* Digests have a fixed length, so comparing them leaks nothing of
     * the token's length; no early exit, so nothing of which matched. */
    SHA256((const unsigned char *)p, n, d);
    for (size_t i = 0; i < t->n; i++)
        match |= CRYPTO_memcmp(d, t->digest[i], GUARD_DIGEST_LEN) == 0;
    OPENSSL_cleanse(d, sizeof d);
    return match ? GUARD_AUTH_OK : GUARD_AUTH_INVALID;
}

/*
 * A missing Host passes only when any host would: browsers always send
 * one, but a policy that names hosts should not be skipped by omitting it.
 */
bool guard_host_allowed(const struct guard_policy *p, const char *host)
{
    bool listed = p->allowed_hosts && p->allowed_hosts->n > 0;
    struct hostport hp;

    if (!host)
        return !p->loopback_only && !listed;
    if (!parse_hostport(host, strlen(host), &hp))
        return false;
    if (host_in_list(p->allowed_hosts, &hp))
        return true;
    if (p->loopback_only)
        return hostport_is_loopback(&hp);
    return !listed;
}

bool guard_origin_allowed(const struct guard_policy *p, const char *origin,
                          const char *host)
{
    struct origin o;

    if (!origin)
        return true;
    /* "null" (sandboxed frames, file: pages) has no "://" and fails here. */
    if (!parse_origin(origin, &o))
        return false;
    if (origin_in_list(p->allowed_origins, &o))
        return true;
    if (p->loopback_only && hostport_is_loopback(&o.hp))
        return true;
    return same_origin(&o, host);
}

bool guard_is_loopback_addr(const char *addr)
{
    char v6[NAME_BYTES];
    size_t n;

    if (!addr)
        return false;
    if (strcasecmp(addr, "localhost") == 0)
        return true;
    n = strlen(addr);
    if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']' && n < NAME_BYTES) {
        memcpy(v6, addr + 1, n - 2);
        v6[n - 2] = '\0';
        return v6_is_loopback(v6);
    }
    return v4_is_loopback(addr) || v6_is_loopback(addr);
}
