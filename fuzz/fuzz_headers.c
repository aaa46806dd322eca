/* SPDX-License-Identifier: MIT */
/*
 * The Host, Origin and Authorization checks under four policies, against
 * an oracle written from the header grammar (RFC 9110 Host, RFC 6454
 * Origin, RFC 6750 Bearer), plus the invariants that matter whatever the
 * grammar says: "null" never passes, a foreign Host never passes a
 * loopback-only gateway, and no Host/Origin pair lets a foreign page talk
 * to a loopback gateway (DNS rebinding).
 *
 * Input: byte 0's low 4 bits make parts absent (NULL): 1 Host, 2 Origin,
 * 4 Authorization, 8 the address. The rest is split at '\n' into Host,
 * Origin, Authorization and the address (which takes the remainder).
 */
#include "mcpgw/guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>

#include "fuzz_util.h"

struct hp {
    const char *name;
    size_t name_len;
    long port; /* -1 when absent */
};

static bool name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

static bool v6_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

/* host = reg-name / IPv4 / "[" v6 "]", then optional ":" port (0-65535). */
static bool oracle_hostport(const char *s, size_t n, struct hp *hp)
{
    size_t i = 0;

    if (n > 0 && s[0] == '[') {
        for (i = 1; i < n && s[i] != ']'; i++)
            if (!v6_char((unsigned char)s[i]))
                return false;
        if (i >= n || i == 1)
            return false;
        i++;
    } else {
        while (i < n && name_char((unsigned char)s[i]))
            i++;
        if (i == 0 || (i < n && s[i] != ':'))
            return false;
    }
    if (i >= 256)
        return false;
    hp->name = s;
    hp->name_len = i;
    hp->port = -1;
    if (i == n)
        return true;
    if (s[i] != ':')
        return false;
    size_t digits = n - i - 1;
    if (digits == 0)
        return true;
    if (digits > 5)
        return false;
    long v = 0;
    for (size_t k = i + 1; k < n; k++) {
        if (s[k] < '0' || s[k] > '9')
            return false;
        v = v * 10 + (s[k] - '0');
    }
    if (v > 65535)
        return false;
    hp->port = v;
    return true;
}

static bool oracle_loopback(const char *a)
{
    struct in_addr v4;
    struct in6_addr v6;
    char tmp[300];
    size_t n;

    if (!a)
        return false;
    if (strcasecmp(a, "localhost") == 0)
        return true;
    n = strlen(a);
    if (n >= 2 && a[0] == '[' && a[n - 1] == ']') {
        if (n - 2 >= sizeof tmp)
            return false;
        memcpy(tmp, a + 1, n - 2);
        tmp[n - 2] = '\0';
        a = tmp;
    } else if (inet_pton(AF_INET, a, &v4) == 1) {
        return ((const unsigned char *)&v4.s_addr)[0] == 127;
    }
    if (inet_pton(AF_INET6, a, &v6) != 1)
        return false;
    static const unsigned char one[16] = {[15] = 1};
    static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
    return memcmp(v6.s6_addr, one, 16) == 0 ||
           (memcmp(v6.s6_addr, mapped, 12) == 0 && v6.s6_addr[12] == 127);
}

static bool hp_loopback(const struct hp *hp)
{
    char name[300];

    memcpy(name, hp->name, hp->name_len);
    name[hp->name_len] = '\0';
    return oracle_loopback(name);
}

static bool hp_names_equal(const struct hp *a, const struct hp *b)
{
    return a->name_len == b->name_len &&
           strncasecmp(a->name, b->name, a->name_len) == 0;
}

/* scheme "://" hostport; the scheme is ALPHA *( ALPHA / DIGIT / + - . ). */
static bool oracle_origin(const char *s, struct hp *hp)
{
    size_t i = 0;

    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    while (s[i] && (name_char((unsigned char)s[i]) || s[i] == '+') &&
           s[i] != '_')
        i++;
    if (strncmp(s + i, "://", 3) != 0)
        return false;
    return oracle_hostport(s + i + 3, strlen(s + i + 3), hp);
}

static bool oracle_host_in(const struct config_list *l, const struct hp *hp)
{
    for (size_t i = 0; i < l->n; i++) {
        struct hp e;
        if (oracle_hostport(l->v[i], strlen(l->v[i]), &e) &&
            hp_names_equal(&e, hp) && (e.port < 0 || e.port == hp->port))
            return true;
    }
    return false;
}

/* Whether a header must pass, from the grammar and the policy's text. */
static bool oracle_host(const struct guard_policy *p, const char *host)
{
    struct hp hp;
    bool listed = p->allowed_hosts && p->allowed_hosts->n > 0;

    if (!host)
        return !p->loopback_only && !listed;
    if (!oracle_hostport(host, strlen(host), &hp))
        return false;
    if (listed && oracle_host_in(p->allowed_hosts, &hp))
        return true;
    return p->loopback_only ? hp_loopback(&hp) : !listed;
}

static bool same_origin(const struct hp *o, const char *host)
{
    struct hp h;

    return host && oracle_hostport(host, strlen(host), &h) &&
           hp_names_equal(o, &h) && o->port == h.port;
}

/* RFC 6750: "Bearer" 1*SP token; we also allow tabs and trailing blanks. */
static enum guard_auth oracle_bearer(const struct config_list *tokens,
                                     const char *a)
{
    size_t live = 0;

    for (size_t i = 0; i < tokens->n; i++)
        live += tokens->v[i][0] != '\0';
    if (live == 0)
        return GUARD_AUTH_OK;
    if (!a)
        return GUARD_AUTH_MISSING;
    while (*a == ' ' || *a == '\t')
        a++;
    if (strncasecmp(a, "bearer", 6) != 0 || (a[6] != ' ' && a[6] != '\0'))
        return GUARD_AUTH_MISSING;
    a += 6;
    while (*a == ' ' || *a == '\t')
        a++;
    size_t n = strlen(a);
    while (n > 0 && (a[n - 1] == ' ' || a[n - 1] == '\t'))
        n--;
    if (n == 0)
        return GUARD_AUTH_INVALID;
    for (size_t i = 0; i < tokens->n; i++)
        if (tokens->v[i][0] && strlen(tokens->v[i]) == n &&
            memcmp(tokens->v[i], a, n) == 0)
            return GUARD_AUTH_OK;
    return GUARD_AUTH_INVALID;
}

static void check_bearer(const struct config_list *list, const char *auth)
{
    struct guard_tokens t = {0};

    CHECK(guard_tokens_set(&t, list) == 0);
    enum guard_auth got = guard_check_bearer(&t, auth);
    CHECK(got == oracle_bearer(list, auth));
    guard_tokens_free(&t);
    CHECK(t.n == 0 && t.digest == NULL);
    CHECK(guard_check_bearer(&t, auth) == GUARD_AUTH_OK);
}

static char *upper(const char *s)
{
    char *u = xstrndup(s, strlen(s));
    for (char *p = u; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    return u;
}

static struct config_list hosts = {
    {"mcp.example.com", "api.example.com:8443", "[::1]:9000", "bad host"}, 4};
static struct config_list origins = {{"https://app.example.com",
                                      "http://localhost:3000",
                                      "https://[2001:db8::1]:8443", "null"},
                                     4};
static const struct config_list none = {{NULL}, 0};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned absent = data[0];
    const char *rest = (const char *)data + 1;
    size_t left = size - 1;
    char *part[4];

    for (int i = 0; i < 4; i++) {
        const char *nl = i < 3 ? memchr(rest, '\n', left) : NULL;
        size_t n = nl ? (size_t)(nl - rest) : left;
        part[i] = absent & (1u << i) ? NULL : xstrndup(rest, n);
        rest += nl ? n + 1 : n;
        left -= nl ? n + 1 : n;
    }
    const char *host = part[0], *origin = part[1], *auth = part[2];
    const char *addr = part[3];

    const struct guard_policy lo = {true, &none, &none};
    const struct guard_policy lo_lists = {true, &hosts, &origins};
    const struct guard_policy pub = {false, &hosts, &origins};
    const struct guard_policy open = {false, NULL, NULL};
    const struct guard_policy *all[] = {&lo, &lo_lists, &pub, &open};

    /* Host. */
    bool h[4];
    for (int i = 0; i < 4; i++) {
        h[i] = guard_host_allowed(all[i], host);
        CHECK(h[i] == oracle_host(all[i], host));
        if (host) {
            char *u = upper(host);
            CHECK(guard_host_allowed(all[i], u) == h[i]);
            free(u);
        }
    }
    CHECK(!h[0] || h[1]); /* allowed lists only add */
    CHECK(!h[0] || h[3]);
    CHECK(!h[2] || h[3]);
    static const char *const foreign[] = {
        "evil.example.com",
        "evil.example.com:8000",
        "localhost.evil.example.com",
        "127.0.0.1.evil.example.com",
        "evil.example.com#@localhost",
        "localhost@evil.example.com",
        "[::1]evil.example.com",
    };
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++)
        CHECK(!guard_host_allowed(&lo, foreign[i]));

    /* Origin. */
    struct hp o;
    bool parsed = origin && oracle_origin(origin, &o);
    for (int i = 0; i < 4; i++) {
        bool ok = guard_origin_allowed(all[i], origin, host);
        CHECK(!guard_origin_allowed(all[i], "null", host));
        if (!origin)
            CHECK(ok);
        else if (ok)
            CHECK(parsed && strcmp(origin, "null") != 0);
        if (all[i] == &lo || all[i] == &open)
            CHECK(ok == (!origin || (parsed && ((all[i]->loopback_only &&
                                                 hp_loopback(&o)) ||
                                                same_origin(&o, host)))));
        /* DNS rebinding: a page that is not on loopback cannot pass both
         * checks of a gateway that is. */
        if (all[i] == &lo && ok && h[0] && origin)
            CHECK(hp_loopback(&o));
        if (all[i] == &lo && h[0])
            CHECK(!guard_origin_allowed(&lo, "http://evil.example.com", host));
    }

    /* Authorization. */
    struct config_list two = {{"s3cret-token", "", "Second.Token_2"}, 3};
    check_bearer(&two, auth);
    check_bearer(&none, auth);
    if (addr && addr[0]) {
        /* The address part as a token too, to reach the matching path. */
        struct config_list mine = {{(char *)addr}, 1};
        check_bearer(&mine, auth);
        char *hdr = xmalloc(strlen(addr) + 8);
        strcpy(hdr, "Bearer ");
        strcat(hdr, addr);
        check_bearer(&mine, hdr);
        free(hdr);
    }

    /* Listening addresses. */
    CHECK(guard_is_loopback_addr(addr) == oracle_loopback(addr));
    CHECK(!guard_is_loopback_addr(NULL));

    for (int i = 0; i < 4; i++)
        free(part[i]);
    return 0;
}
