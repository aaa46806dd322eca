/* SPDX-License-Identifier: MIT */
/* Unit tests for guard.c: bearer tokens, Host and Origin policies. */
#include "mcpgw/guard.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

/* Builds a list that borrows the strings; guard never frees it. */
static struct config_list list_of(const char *const *v, size_t n)
{
    struct config_list l = {.n = n};

    for (size_t i = 0; i < n; i++)
        l.v[i] = (char *)v[i];
    return l;
}

#define LIST(...)                               \
    list_of((const char *const[]){__VA_ARGS__}, \
            sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))

static void test_bearer(void)
{
    struct guard_tokens t = {0};
    struct config_list none = {.n = 0};
    struct config_list two = LIST("alpha-token", "", "beta-token");

    is_int(guard_check_bearer(&t, NULL), GUARD_AUTH_OK,
           "no tokens, no header: ok");
    is_int(guard_check_bearer(&t, "Bearer whatever"), GUARD_AUTH_OK,
           "no tokens, any header: ok");
    is_int(guard_tokens_set(&t, &none), 0, "set an empty list");
    is_int(t.n, 0, "empty list: no digests");
    is_int(guard_check_bearer(&t, NULL), GUARD_AUTH_OK, "empty list: still ok");

    is_int(guard_tokens_set(&t, &two), 0, "set two tokens");
    is_int(t.n, 2, "empty entries are skipped");
    is_int(guard_check_bearer(&t, "Bearer alpha-token"), GUARD_AUTH_OK,
           "first token");
    is_int(guard_check_bearer(&t, "Bearer beta-token"), GUARD_AUTH_OK,
           "second token");
    is_int(guard_check_bearer(&t, "bearer alpha-token"), GUARD_AUTH_OK,
           "lowercase scheme");
    is_int(guard_check_bearer(&t, "BEARER alpha-token"), GUARD_AUTH_OK,
           "uppercase scheme");
    is_int(guard_check_bearer(&t, "Bearer    alpha-token"), GUARD_AUTH_OK,
           "several spaces");
    is_int(guard_check_bearer(&t, "Bearer alpha-token  "), GUARD_AUTH_OK,
           "trailing spaces");
    is_int(guard_check_bearer(&t, NULL), GUARD_AUTH_MISSING, "no header");
    is_int(guard_check_bearer(&t, ""), GUARD_AUTH_MISSING, "empty header");
    is_int(guard_check_bearer(&t, "Basic YWxwaGE6Yg=="), GUARD_AUTH_MISSING,
           "Basic scheme");
    is_int(guard_check_bearer(&t, "alpha-token"), GUARD_AUTH_MISSING,
           "a bare token");
    is_int(guard_check_bearer(&t, "Beareralpha-token"), GUARD_AUTH_MISSING,
           "no space after the scheme");
    is_int(guard_check_bearer(&t, "Bearer wrong-token"), GUARD_AUTH_INVALID,
           "wrong token");
    is_int(guard_check_bearer(&t, "Bearer alpha-toke"), GUARD_AUTH_INVALID,
           "a prefix of a token");
    is_int(guard_check_bearer(&t, "Bearer alpha-tokenX"), GUARD_AUTH_INVALID,
           "a token with more after it");
    is_int(guard_check_bearer(&t, "Bearer ALPHA-TOKEN"), GUARD_AUTH_INVALID,
           "tokens are case-sensitive");
    is_int(guard_check_bearer(&t, "Bearer "), GUARD_AUTH_INVALID,
           "empty token");
    is_int(guard_check_bearer(&t, "Bearer"), GUARD_AUTH_INVALID, "scheme only");

    struct config_list one = LIST("gamma");
    is_int(guard_tokens_set(&t, &one), 0, "replace the set");
    is_int(guard_check_bearer(&t, "Bearer alpha-token"), GUARD_AUTH_INVALID,
           "old token gone after replace");
    is_int(guard_check_bearer(&t, "Bearer gamma"), GUARD_AUTH_OK,
           "new token works");
    guard_tokens_free(&t);
    ok(t.digest == NULL && t.n == 0, "free empties the set");
    is_int(guard_check_bearer(&t, NULL), GUARD_AUTH_OK, "freed set: ok");
    guard_tokens_free(&t);
    ok(1, "free twice is safe");
}

struct host_case {
    const char *host;
    bool want;
};

static void host_table(const struct guard_policy *p, const struct host_case *c,
                       size_t n, const char *what)
{
    char name[160];

    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s: Host %s %s", what,
                 c[i].host ? c[i].host : "(absent)",
                 c[i].want ? "passes" : "fails");
        is_int(guard_host_allowed(p, c[i].host), c[i].want, name);
    }
}

#define HOSTS(p, what, ...)                                 \
    do {                                                    \
        static const struct host_case c_[] = {__VA_ARGS__}; \
        host_table(p, c_, sizeof c_ / sizeof c_[0], what);  \
    } while (0)

static void test_host(void)
{
    struct config_list empty = {.n = 0};
    struct config_list hosts = LIST("mcp.example.com", "api.example.com:8443",
                                    "[2001:db8::1]:9000", "[2001:db8::2]");
    struct guard_policy lo = {true, &empty, &empty};
    struct guard_policy lo_null = {true, NULL, NULL};
    struct guard_policy lo_list = {true, &hosts, &empty};
    struct guard_policy any = {false, &empty, &empty};
    struct guard_policy listed = {false, &hosts, &empty};

    HOSTS(&lo, "loopback", {"localhost", true}, {"localhost:8000", true},
          {"LOCALHOST:8000", true}, {"127.0.0.1", true},
          {"127.0.0.1:8000", true}, {"127.1.2.3:80", true}, {"[::1]", true},
          {"[::1]:8000", true}, {"[0:0:0:0:0:0:0:1]:8000", true},
          {"[::ffff:127.0.0.1]:8000", true}, {"evil.example.com", false},
          {"evil.example.com:8000", false}, {"localhost.evil.com", false},
          {"127.0.0.1.evil.com", false}, {"128.0.0.1", false},
          {"10.0.0.1:8000", false}, {"[::2]:8000", false}, {"::1", false},
          {"localhost:99999", false}, {"localhost:8x", false},
          {"local host", false}, {"localhost/x", false},
          {"user@localhost", false}, {"[::1", false}, {"[]:80", false},
          {"", false}, {"localhost:", true}, {NULL, false});
    HOSTS(&lo_null, "loopback, no lists", {"localhost:1", true},
          {"evil.example.com", false});
    HOSTS(&lo_list, "loopback + allowed", {"localhost:8000", true},
          {"mcp.example.com", true}, {"MCP.Example.COM:1234", true},
          {"api.example.com:8443", true}, {"api.example.com", false},
          {"api.example.com:443", false}, {"[2001:db8::1]:9000", true},
          {"[2001:db8::1]:9001", false}, {"[2001:db8::2]:1", true},
          {"evil.example.com", false}, {NULL, false});
    HOSTS(&any, "public, no list", {"anything.example", true},
          {"evil.example.com:8000", true}, {"[2001:db8::5]:80", true},
          {"10.0.0.1", true}, {NULL, true}, {"bad host", false});
    HOSTS(&listed, "public + allowed", {"mcp.example.com", true},
          {"mcp.example.com:80", true}, {"api.example.com:8443", true},
          {"api.example.com:8444", false}, {"localhost", false},
          {"127.0.0.1:8000", false}, {"evil.example.com", false},
          {NULL, false});
}

struct origin_case {
    const char *origin;
    const char *host;
    bool want;
};

static void origin_table(const struct guard_policy *p,
                         const struct origin_case *c, size_t n,
                         const char *what)
{
    char name[200];

    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s: Origin %s, Host %s %s", what,
                 c[i].origin ? c[i].origin : "(absent)",
                 c[i].host ? c[i].host : "(absent)",
                 c[i].want ? "passes" : "fails");
        is_int(guard_origin_allowed(p, c[i].origin, c[i].host), c[i].want,
               name);
    }
}

#define ORIGINS(p, what, ...)                                 \
    do {                                                      \
        static const struct origin_case c_[] = {__VA_ARGS__}; \
        origin_table(p, c_, sizeof c_ / sizeof c_[0], what);  \
    } while (0)

static void test_origin(void)
{
    struct config_list empty = {.n = 0};
    struct config_list origins =
        LIST("https://app.example.com", "http://dev.example.com:3000",
             "http://[2001:db8::1]:8080");
    struct guard_policy lo = {true, &empty, &empty};
    struct guard_policy lo_list = {true, &empty, &origins};
    struct guard_policy any = {false, &empty, &empty};
    struct guard_policy listed = {false, &empty, &origins};

    ORIGINS(
        &lo, "loopback", {NULL, "localhost:8000", true}, {NULL, NULL, true},
        {"http://localhost:8000", "localhost:8000", true},
        {"http://localhost:3000", "localhost:8000", true},
        {"http://127.0.0.1:5173", "127.0.0.1:8000", true},
        {"https://[::1]:5173", "[::1]:8000", true},
        {"HTTP://LOCALHOST", "localhost", true},
        {"http://evil.example.com", "localhost:8000", false},
        {"http://evil.example.com:8000", "localhost:8000", false},
        {"http://localhost.evil.com", "localhost:8000", false},
        {"null", "localhost:8000", false}, {"NULL", "localhost:8000", false},
        {"localhost:8000", "localhost:8000", false},
        {"http://localhost:8000/", "localhost:8000", false},
        {"http://localhost:8000/path", "localhost:8000", false},
        {"http://user@localhost", "localhost", false},
        {"://localhost", "localhost", false},
        {"1http://localhost", "localhost", false}, {"", "localhost", false});
    ORIGINS(&lo_list, "loopback + allowed",
            {"https://app.example.com", "localhost:8000", true},
            {"https://APP.example.com", "localhost:8000", true},
            {"https://app.example.com:443", "localhost:8000", true},
            {"http://app.example.com", "localhost:8000", false},
            {"https://app.example.com:8443", "localhost:8000", false},
            {"http://dev.example.com:3000", "localhost:8000", true},
            {"http://dev.example.com", "localhost:8000", false},
            {"http://[2001:db8::1]:8080", "localhost:8000", true},
            {"http://[2001:db8::1]:8081", "localhost:8000", false},
            {"http://localhost:1", "localhost:8000", true},
            {"http://evil.example.com", "localhost:8000", false});
    ORIGINS(&any, "public, no list",
            {"https://gw.example.com", "gw.example.com", true},
            {"http://gw.example.com:8000", "GW.example.com:8000", true},
            {"http://gw.example.com:8000", "gw.example.com:8001", false},
            {"http://gw.example.com:8000", "gw.example.com", false},
            {"http://gw.example.com", "gw.example.com:8000", false},
            {"http://[2001:db8::9]:80", "[2001:db8::9]:80", true},
            {"http://evil.example.com", "gw.example.com", false},
            {"http://localhost:8000", "gw.example.com", false},
            {"http://gw.example.com", NULL, false},
            {"null", "gw.example.com", false}, {NULL, "gw.example.com", true});
    ORIGINS(&listed, "public + allowed",
            {"https://app.example.com", "gw.example.com", true},
            {"https://gw.example.com", "gw.example.com", true},
            {"https://evil.example.com", "gw.example.com", false});
}

static void test_loopback_addr(void)
{
    static const struct {
        const char *addr;
        bool want;
    } c[] = {
        {"127.0.0.1", true},
        {"127.255.255.254", true},
        {"127.0.0.0", true},
        {"localhost", true},
        {"LocalHost", true},
        {"::1", true},
        {"[::1]", true},
        {"0:0:0:0:0:0:0:1", true},
        {"::ffff:127.0.0.1", true},
        {"::ffff:127.9.8.7", true},
        {"0.0.0.0", false},
        {"::", false},
        {"128.0.0.1", false},
        {"10.0.0.1", false},
        {"::ffff:10.0.0.1", false},
        {"::2", false},
        {"127.0.0.1:80", false},
        {"127.1", false},
        {"localhost.", false},
        {"", false},
        {"[::1", false},
        {"evil.example.com", false},
    };
    char name[96];

    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        snprintf(name, sizeof name, "loopback addr '%s' %s", c[i].addr,
                 c[i].want ? "yes" : "no");
        is_int(guard_is_loopback_addr(c[i].addr), c[i].want, name);
    }
    ok(!guard_is_loopback_addr(NULL), "loopback addr NULL");
}

int main(void)
{
    test_bearer();
    test_host();
    test_origin();
    test_loopback_addr();
    return tap_done();
}
