/* SPDX-License-Identifier: MIT */
/* Unit tests for config.c: flags, environment, errors, sizes, durations. */
#include "mcpgw/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#define SECRET "s3cr3t-T0KEN"

static struct gw_config cfg;
static char err[256];

/* Parses "mcpgw" followed by the NULL-terminated words, with env. */
static int parse_env(char **env, ...)
{
    char *argv[80] = {"mcpgw"};
    int argc = 1;
    va_list ap;

    va_start(ap, env);
    for (char *w; argc < 79 && (w = va_arg(ap, char *));)
        argv[argc++] = w;
    va_end(ap);
    config_free(&cfg);
    memset(err, 'x', sizeof err - 1);
    err[sizeof err - 1] = '\0';
    return config_parse(&cfg, argc, argv, env, err, sizeof err);
}

#define P(...)  parse_env(NULL, __VA_ARGS__, (char *)NULL)
#define PE(...) parse_env(__VA_ARGS__, (char *)NULL)

#define is_err(rc, want, name)              \
    do {                                    \
        is_int(rc, -EINVAL, name " fails"); \
        is_str(err, want, name " message"); \
    } while (0)

static void test_defaults(void)
{
    is_int(P("--stdio", "cat"), 0, "defaults: parse");
    is_str(err, "", "defaults: err is cleared");
    is_int(cfg.action, CONFIG_RUN, "defaults: action run");
    is_str(cfg.stdio_cmd, "cat", "defaults: stdio");
    is_str(cfg.protocol_version, "2025-11-25", "defaults: protocol");
    is_str(cfg.host, "127.0.0.1", "defaults: host");
    is_int(cfg.port, 8000, "defaults: port");
    is_str(cfg.output_transport, "both", "defaults: both transports");
    is_str(cfg.sse_path, "/sse", "defaults: sse path");
    is_str(cfg.message_path, "/message", "defaults: message path");
    is_str(cfg.base_url, "", "defaults: no base url");
    is_str(cfg.streamable_path, "/mcp", "defaults: path");
    is_int(cfg.health_paths.n, 0, "defaults: no health paths");
    is_int(cfg.json_response, 0, "defaults: SSE bodies");
    is_int(cfg.auth_tokens.n, 0, "defaults: no tokens");
    is_int(cfg.allow_unauthenticated, 0, "defaults: auth required");
    is_int(cfg.allowed_hosts.n, 0, "defaults: no allowed hosts");
    is_int(cfg.allowed_origins.n, 0, "defaults: no allowed origins");
    is_int(cfg.log_level, LOG_INFO, "defaults: log level");
    is_int(cfg.log_format, LOG_TEXT, "defaults: log format");
    is_int(cfg.max_body, 4 << 20, "defaults: max body");
    is_int(cfg.max_frame, 16 << 20, "defaults: max frame");
    is_int(cfg.max_stdin_queue, 16 << 20, "defaults: stdin queue");
    is_int(cfg.max_sse_buffer, 8 << 20, "defaults: sse buffer");
    is_int(cfg.max_inflight, 1024, "defaults: inflight");
    is_int(cfg.max_connections, 1024, "defaults: connections");
    is_int(cfg.request_timeout, 300000, "defaults: request timeout");
    is_int(cfg.ready_timeout, 60000, "defaults: ready timeout");
    is_int(cfg.shutdown_timeout, 10000, "defaults: shutdown timeout");
    is_int(cfg.kill_grace, 5000, "defaults: kill grace");
    is_int(cfg.keepalive, 15000, "defaults: keepalive");
}

static void test_spellings(void)
{
    is_int(P("--stdio", "a", "--outputTransport", "streamableHttp", "--port",
             "9000", "--streamableHttpPath", "/x", "--logLevel", "debug",
             "--healthEndpoint", "/h1", "--protocolVersion", "2025-06-18"),
           0, "camelCase, spaced: parse");
    is_int(cfg.port, 9000, "camelCase: port");
    is_str(cfg.streamable_path, "/x", "camelCase: path");
    is_int(cfg.log_level, LOG_DEBUG, "camelCase: log level");
    is_int(cfg.health_paths.n, 1, "camelCase: health");
    is_str(cfg.protocol_version, "2025-06-18", "camelCase: protocol");

    is_int(P("--stdio=b", "--output-transport=streamableHttp", "--port=9001",
             "--streamable-http-path=/y", "--log-level=none",
             "--health-endpoint=/h1", "--health-endpoint=/h2",
             "--protocol-version=2024-11-05"),
           0, "kebab-case, '=': parse");
    is_str(cfg.stdio_cmd, "b", "kebab: stdio");
    is_int(cfg.port, 9001, "kebab: port");
    is_str(cfg.streamable_path, "/y", "kebab: path");
    is_int(cfg.log_level, LOG_NONE, "kebab: log level none");
    is_int(cfg.health_paths.n, 2, "kebab: two health paths");
    is_str(cfg.health_paths.v[1], "/h2", "kebab: second health path");
    is_str(cfg.protocol_version, "2024-11-05", "kebab: protocol");

    is_int(P("--stdio", "c", "--authToken", "t1", "--auth-token=t2",
             "--allowedHosts", "a.example", "--allowed-origins",
             "https://b.example", "--maxBodySize", "1M", "--max-frame-size=2M",
             "--jsonResponse", "--logFormat", "json", "--Host", "0.0.0.0",
             "--sseKeepalive=0", "--maxInflight", "8"),
           0, "our flags in camelCase: parse");
    is_int(cfg.auth_tokens.n, 2, "camel: two tokens");
    is_str(cfg.allowed_hosts.v[0], "a.example", "camel: allowed host");
    is_str(cfg.allowed_origins.v[0], "https://b.example", "camel: origin");
    is_int(cfg.max_body, 1 << 20, "camel: max body");
    is_int(cfg.max_frame, 2 << 20, "kebab '=': max frame");
    is_int(cfg.json_response, 1, "camel: json response");
    is_int(cfg.log_format, LOG_JSON, "camel: log format");
    is_str(cfg.host, "0.0.0.0", "odd case: host");
    is_int(cfg.keepalive, 0, "keepalive 0 disables");
    is_int(cfg.max_inflight, 8, "camel: inflight");

    is_int(P("--stdio", "a", "--stdio", "b", "--port", "1", "--port=2"), 0,
           "repeated scalars: parse");
    is_str(cfg.stdio_cmd, "b", "repeated stdio: last wins");
    is_int(cfg.port, 2, "repeated port: last wins");
    is_int(P("--stdio", "a", "--logLevel", "warn"), 0, "logLevel warn");
    is_int(cfg.log_level, LOG_WARN, "logLevel warn: value");
    is_int(P("--stdio", "a", "--logLevel", "error"), 0, "logLevel error");
    is_int(cfg.log_level, LOG_ERROR, "logLevel error: value");
    is_int(P("--stdio", "a", "--port", "65535"), 0, "port 65535");
    is_int(cfg.port, 65535, "port 65535: value");
    is_int(P("--stdio", "a b | c --port 1"), 0, "stdio keeps its spaces");
    is_str(cfg.stdio_cmd, "a b | c --port 1", "stdio: whole value");
    is_int(P("--stdio", "a", "--request-timeout", "30s", "--kill-grace",
             "250ms", "--ready-timeout=2m", "--shutdown-timeout", "1500"),
           0, "durations: parse");
    is_int(cfg.request_timeout, 30000, "request timeout 30s");
    is_int(cfg.kill_grace, 250, "kill grace 250ms");
    is_int(cfg.ready_timeout, 120000, "ready timeout 2m");
    is_int(cfg.shutdown_timeout, 1500, "shutdown timeout plain ms");
    is_int(P("--stdio", "a", "--max-stdin-queue", "64K", "--max-sse-buffer",
             "1G", "--max-connections", "3"),
           0, "sizes and counts: parse");
    is_int(cfg.max_stdin_queue, 64 << 10, "stdin queue 64K");
    is_int(cfg.max_sse_buffer, 1 << 30, "sse buffer 1G");
    is_int(cfg.max_connections, 3, "connections 3");
}

static void test_bools(void)
{
    is_int(P("--allow-unauthenticated", "--stdio", "cat"), 0,
           "bool does not eat the next flag");
    is_int(cfg.allow_unauthenticated, 1, "bare bool is true");
    is_str(cfg.stdio_cmd, "cat", "the next flag still parsed");
    is_err(P("--stdio", "cat", "--json-response", "yes"),
           "unexpected argument 'yes'", "bool does not eat a word");
    is_int(P("--stdio", "cat", "--json-response", "--json-response=false"), 0,
           "bool =false");
    is_int(cfg.json_response, 0, "bool =false: value");
    is_int(P("--stdio", "cat", "--json-response=1"), 0, "bool =1");
    is_int(cfg.json_response, 1, "bool =1: value");
    is_int(P("--stdio", "cat", "--json-response=true", "--json-response=0"), 0,
           "bool =0");
    is_int(cfg.json_response, 0, "bool =0: value");
    is_err(P("--stdio", "cat", "--json-response=yes"),
           "--json-response: invalid value 'yes' (want true or false)",
           "bool bad value");
}

static void test_lists(void)
{
    is_int(P("--stdio", "a", "--allowed-hosts", " a.example , ,b.example:8080,",
             "--allowed-hosts", "c.example", "--allowed-hosts", "a.example"),
           0, "host lists: parse");
    is_int(cfg.allowed_hosts.n, 3, "host lists: split, trimmed, deduped");
    is_str(cfg.allowed_hosts.v[0], "a.example", "host 0 trimmed");
    is_str(cfg.allowed_hosts.v[1], "b.example:8080", "host 1 with port");
    is_str(cfg.allowed_hosts.v[2], "c.example", "host 2 from second flag");
    is_int(P("--stdio", "a", "--allowed-origins",
             "http://a.example,https://b.example:8443"),
           0, "origin list: parse");
    is_int(cfg.allowed_origins.n, 2, "origin list: two");
    is_err(P("--stdio", "a", "--allowed-origins", "https://a.example/"),
           "--allowed-origins: invalid origin 'https://a.example/' "
           "(want scheme://host[:port])",
           "origin with a path");
    is_err(P("--stdio", "a", "--allowed-origins", "a.example"),
           "--allowed-origins: invalid origin 'a.example' "
           "(want scheme://host[:port])",
           "origin without scheme");
    is_err(P("--stdio", "a", "--allowed-hosts", "http://a.example"),
           "--allowed-hosts: invalid host 'http://a.example' "
           "(want name[:port])",
           "host given as a URL");
    is_err(P("--stdio", "a", "--healthEndpoint", "healthz"),
           "--healthEndpoint: invalid path 'healthz' (must start with '/')",
           "health path without slash");
    is_err(P("--stdio", "a", "--streamable-http-path=mcp"),
           "--streamable-http-path: invalid path 'mcp' (must start with '/')",
           "endpoint path without slash");
    is_int(P("--stdio", "a", "--healthEndpoint", "/a,b"), 0,
           "health from a flag is not split");
    is_str(cfg.health_paths.v[0], "/a,b", "health: whole value");

    char *argv[2 * CONFIG_MAX_LIST + 8] = {"mcpgw", "--stdio", "cat"};
    char names[CONFIG_MAX_LIST + 1][16];
    int argc = 3;
    for (int i = 0; i <= CONFIG_MAX_LIST; i++) {
        snprintf(names[i], sizeof names[i], "/h%d", i);
        argv[argc++] = "--healthEndpoint";
        argv[argc++] = names[i];
    }
    config_free(&cfg);
    is_int(config_parse(&cfg, argc - 2, argv, NULL, err, sizeof err), 0,
           "CONFIG_MAX_LIST values fit");
    is_int(cfg.health_paths.n, CONFIG_MAX_LIST, "all of them kept");
    config_free(&cfg);
    is_int(config_parse(&cfg, argc, argv, NULL, err, sizeof err), -EINVAL,
           "one more is too many");
    is_str(err, "--healthEndpoint: too many values (at most 32)",
           "too many: message");
}

static void test_errors(void)
{
    is_err(P("--stdio", "a", "--bogus"), "unknown flag --bogus", "unknown");
    is_err(P("--stdio", "a", "--bogus=1"), "unknown flag --bogus",
           "unknown with value");
    is_err(P("--stdio", "a", "-x"), "unknown flag -x", "unknown short");
    is_err(P("--stdio", "a", "--port"), "--port: missing value",
           "missing value at the end");
    is_err(P("--stdio", "a", "--port", "--host", "h"), "--port: missing value",
           "missing value before a flag");
    is_err(P("--stdio", "a", "--port="), "--port: missing value",
           "empty value after '='");
    is_err(P("--stdio="), "--stdio: missing value", "empty stdio");
    is_err(P("--stdio", "a", "--port", "abc"), "--port: invalid number 'abc'",
           "bad number");
    is_err(P("--stdio", "a", "--port=12ab"), "--port: invalid number '12ab'",
           "number with junk");
    is_err(P("--stdio", "a", "--port", "-1"), "--port: invalid number '-1'",
           "negative number");
    is_err(P("--stdio", "a", "--port", "+1"), "--port: invalid number '+1'",
           "signed number");
    is_err(P("--stdio", "a", "--port", "70000"), "--port: out of range '70000'",
           "port too big");
    is_err(P("--stdio", "a", "--port", "0"), "--port: out of range '0'",
           "port zero");
    is_err(P("--stdio", "a", "--port", "99999999999999999999999"),
           "--port: out of range '99999999999999999999999'",
           "port overflowing 64 bits");
    is_err(P("--stdio", "a", "--max-inflight", "0"),
           "--max-inflight: out of range '0'", "inflight zero");
    is_err(P("--stdio", "a", "--max-connections", "4294967296"),
           "--max-connections: out of range '4294967296'",
           "connections beyond unsigned");
    is_err(P("--stdio", "a", "--max-body-size", "0"),
           "--max-body-size: invalid size '0' (want e.g. 512K, 4M)",
           "size zero");
    is_err(P("--stdio", "a", "--request-timeout", "5 s"),
           "--request-timeout: invalid duration '5 s' "
           "(want e.g. 250ms, 30s, 5m)",
           "bad duration");
    is_err(P("--stdio", "a", "--logLevel", "loud"),
           "--logLevel: invalid value 'loud' "
           "(want debug, info, warn, error or none)",
           "bad log level");
    is_err(P("--stdio", "a", "--log-format", "xml"),
           "--log-format: invalid value 'xml' (want text or json)",
           "bad log format");
    is_err(P("--stdio", "a", "--protocolVersion", "latest"),
           "--protocolVersion: invalid value 'latest' (want YYYY-MM-DD)",
           "bad protocol version");
    is_err(P("--stdio", "a", "--protocolVersion", "2025-13-01"),
           "--protocolVersion: invalid value '2025-13-01' (want YYYY-MM-DD)",
           "protocol version month 13");
    is_err(P("--stdio", "a", "foo"), "unexpected argument 'foo'", "positional");
    is_err(P("--stdio", "a", "--", "foo"), "unexpected argument '--'",
           "bare --");
    is_err(P("--port", "1"), "--stdio is required (or NPM_MCP)",
           "missing stdio");
    is_err(P("--stdio", "a", "--bad\nflag"), "unknown flag --bad\\x0aflag",
           "control bytes are escaped in errors");
}

static void test_transport(void)
{
    static const char *const later[] = {"ws", "stdio"};
    char want[64];

    is_int(P("--stdio", "a", "--outputTransport", "sse"), 0, "sse transport");
    is_str(cfg.output_transport, "sse", "sse transport value");
    for (size_t i = 0; i < 2; i++) {
        snprintf(want, sizeof want, "--outputTransport %s: not supported yet",
                 later[i]);
        is_err(P("--stdio", "a", "--outputTransport", later[i]), want,
               "outputTransport later");
    }
    is_err(P("--stdio", "a", "--output-transport=ws"),
           "--output-transport ws: not supported yet",
           "output-transport kebab later");
    is_err(P("--stdio", "a", "--outputTransport", "carrier-pigeon"),
           "--outputTransport: invalid value 'carrier-pigeon' "
           "(want streamableHttp or sse)",
           "outputTransport invalid");
}

static void test_not_supported(void)
{
    static const char *const flags[] = {
        "--sse",
        "--streamableHttp",
        "--header",
        "--oauth2Bearer",
    };
    char want[80];

    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        snprintf(want, sizeof want, "%s: not supported yet", flags[i]);
        is_err(P("--stdio", "a", flags[i], "x"), want, "not supported yet");
        is_err(P("--stdio", "a", flags[i]), want, "bare: not supported yet");
    }
    is_err(P("--stdio", "a", "--o-auth2-bearer=x"),
           "unknown flag --o-auth2-bearer", "a near miss is unknown");
    is_int(P("--stdio", "a", "--base-url", "http://x/pfx", "--ssePath", "/s",
             "--message-path=/m"),
           0, "legacy SSE paths");
    is_str(cfg.base_url, "http://x/pfx", "base url");
    is_str(cfg.sse_path, "/s", "sse path");
    is_str(cfg.message_path, "/m", "message path");
    is_int(P("--stdio", "a", "--stateful", "--sessionTimeout", "60000",
             "--max-sessions", "5"),
           0, "--stateful with a session timeout");
    is_int(cfg.stateful, 1, "stateful");
    is_int(cfg.session_timeout, 60000, "session timeout in ms");
    is_int(cfg.max_sessions, 5, "max sessions");
    is_err(P("--stdio", "a", "--sessionTimeout", "0"),
           "--sessionTimeout: must be positive '0'", "zero session timeout");
}

/* Supergateway's --cors: bare is "*", values run up to the next flag. */
static void test_cors(void)
{
    is_int(P("--stdio", "a", "--cors"), 0, "bare --cors last");
    is_int(cfg.cors.n, 1, "bare --cors: one value");
    is_str(cfg.cors.v[0], "*", "bare --cors means *");
    is_int(P("--cors", "--stdio", "a"), 0, "bare --cors before a flag");
    is_str(cfg.cors.v[0], "*", "bare --cors before a flag means *");
    is_str(cfg.stdio_cmd, "a", "the next flag still parses");
    is_int(P("--stdio", "a", "--cors", "http://a.example", "/^https?:/",
             "--port", "9"),
           0, "--cors with two values then a flag");
    is_int(cfg.cors.n, 2, "two values");
    is_str(cfg.cors.v[0], "http://a.example", "first value");
    is_str(cfg.cors.v[1], "/^https?:/", "regex value");
    is_int(cfg.port, 9, "the flag after the values");
    is_int(P("--stdio", "a", "--cors=*"), 0, "--cors=*");
    is_str(cfg.cors.v[0], "*", "--cors=* value");
    is_err(P("--stdio", "a", "--cors", "not an origin"),
           "--cors: invalid origin 'not an origin' (want scheme://host[:port])",
           "bad cors value");
}

static void test_limits3(void)
{
    is_int(P("--stdio", "a"), 0, "issue-3 defaults");
    is_int(cfg.max_header_size, 16 * 1024, "default header size");
    is_int(cfg.max_json_depth, 64, "default json depth");
    is_int(cfg.idle_timeout, 30000, "default idle timeout");
    is_int(cfg.header_timeout, 10000, "default header timeout");
    is_int(cfg.parent_death, 0, "parent death off");
    is_int(P("--stdio", "a", "--max-header-size", "32K", "--max-json-depth",
             "10", "--idle-timeout", "5s", "--header-timeout=2s",
             "--parent-death", "--auth-token-file", "/t1",
             "--authTokenFile=/t2"),
           0, "issue-3 flags");
    is_int(cfg.max_header_size, 32 * 1024, "header size");
    is_int(cfg.max_json_depth, 10, "json depth");
    is_int(cfg.idle_timeout, 5000, "idle timeout");
    is_int(cfg.header_timeout, 2000, "header timeout");
    is_int(cfg.parent_death, 1, "parent death");
    is_int(cfg.auth_token_files.n, 2, "two token files");
    is_str(cfg.auth_token_files.v[1], "/t2", "camelCase token file");
    is_err(P("--stdio", "a", "--max-json-depth", "0"),
           "--max-json-depth: out of range '0'", "depth 0 refused");
}

static void test_env(void)
{
    char *e1[] = {"MCPGW_STDIO=cat",
                  "MCPGW_PORT=9000",
                  "MCPGW_HOST=::",
                  "MCPGW_LOG_LEVEL=debug",
                  "MCPGW_JSON_RESPONSE=1",
                  "MCPGW_MAX_BODY_SIZE=1K",
                  "MCPGW_REQUEST_TIMEOUT=1s",
                  "MCPGW_STREAMABLE_HTTP_PATH=/e",
                  "MCPGW_LOG_FORMAT=json",
                  "MCPGW_HEALTH_ENDPOINT=/a, /b",
                  "MCPGW_MAX_INFLIGHT=7",
                  "MCPGW_ALLOWED_HOSTS=x.example,y.example",
                  "UNRELATED=1",
                  "MCPGW_UNKNOWN_THING=1",
                  NULL};
    is_int(PE(e1, "--port", "9001"), 0, "env: parse");
    is_str(cfg.stdio_cmd, "cat", "env: stdio from env suffices");
    is_int(cfg.port, 9001, "env: flag wins over env");
    is_str(cfg.host, "::", "env: host");
    is_int(cfg.log_level, LOG_DEBUG, "env: log level");
    is_int(cfg.json_response, 1, "env: bool");
    is_int(cfg.max_body, 1024, "env: size");
    is_int(cfg.request_timeout, 1000, "env: duration");
    is_str(cfg.streamable_path, "/e", "env: path");
    is_int(cfg.log_format, LOG_JSON, "env: log format");
    is_int(cfg.health_paths.n, 2, "env: list split on commas");
    is_str(cfg.health_paths.v[1], "/b", "env: list trimmed");
    is_int(cfg.max_inflight, 7, "env: count");
    is_int(cfg.allowed_hosts.n, 2, "env: allowed hosts");

    is_int(PE(e1), 0, "env only: parse");
    is_int(cfg.port, 9000, "env only: port from env");
    is_int(PE(e1, "--healthEndpoint", "/c", "--allowed-hosts", "z.example"), 0,
           "env lists replaced: parse");
    is_int(cfg.health_paths.n, 1, "flag list replaces env list");
    is_str(cfg.health_paths.v[0], "/c", "flag list value");
    is_int(cfg.allowed_hosts.n, 1, "flag hosts replace env hosts");

    char *e2[] = {"MCPGW_PORT=abc", NULL};
    is_err(PE(e2, "--stdio", "a"), "MCPGW_PORT: invalid number 'abc'",
           "bad env names the variable");
    is_int(PE(e2, "--stdio", "a", "--port", "1"), 0,
           "a bad env value under a flag is not used");
    char *e3[] = {"MCPGW_PORT=", "MCPGW_HOST=", NULL};
    is_int(PE(e3, "--stdio", "a"), 0, "empty env values are ignored");
    is_int(cfg.port, 8000, "empty env: default port");
    is_str(cfg.host, "127.0.0.1", "empty env: default host");
    char *e4[] = {"MCPGW_CORS=http://a.example,/^x$/", NULL};
    is_int(PE(e4, "--stdio", "a"), 0, "MCPGW_CORS is a comma list");
    is_int(cfg.cors.n, 2, "MCPGW_CORS: two values");
    char *e5[] = {"MCPGW_OUTPUT_TRANSPORT=ws", NULL};
    is_err(PE(e5, "--stdio", "a"),
           "MCPGW_OUTPUT_TRANSPORT ws: not supported yet",
           "env transport not supported yet");
    char *e6[] = {"MCPGW_JSON_RESPONSE=maybe", NULL};
    is_err(PE(e6, "--stdio", "a"),
           "MCPGW_JSON_RESPONSE: invalid value 'maybe' (want true or false)",
           "env bad bool");
    char *e7[] = {"MCPGW_ALLOW_UNAUTHENTICATED=true", NULL};
    is_int(PE(e7, "--stdio", "a"), 0, "env bool true");
    is_int(cfg.allow_unauthenticated, 1, "env bool true: value");
    char *e8[] = {"MCPGW_STDIOX=cat", "XMCPGW_STDIO=cat", NULL};
    is_err(PE(e8), "--stdio is required (or NPM_MCP)",
           "env names match exactly");
}

static void test_tokens(void)
{
    char *e1[] = {"MCPGW_AUTH_TOKEN=b, c,,", "ACCESS_TOKEN=d", NULL};
    is_int(PE(e1, "--stdio", "a", "--auth-token", "a"), 0, "tokens: parse");
    is_int(cfg.auth_tokens.n, 4, "tokens: union of flag, env, ACCESS_TOKEN");
    is_str(cfg.auth_tokens.v[0], "a", "token from flag");
    is_str(cfg.auth_tokens.v[1], "b", "token from MCPGW_AUTH_TOKEN");
    is_str(cfg.auth_tokens.v[2], "c", "second from MCPGW_AUTH_TOKEN");
    is_str(cfg.auth_tokens.v[3], "d", "token from ACCESS_TOKEN");

    char *e2[] = {"ACCESS_TOKEN=", NULL};
    is_int(PE(e2, "--stdio", "a"), 0, "empty ACCESS_TOKEN: parse");
    is_int(cfg.auth_tokens.n, 0, "empty ACCESS_TOKEN is ignored");
    char *e2b[] = {"ACCESS_TOKEN= \n", NULL};
    is_int(PE(e2b, "--stdio", "a"), 0, "blank ACCESS_TOKEN: parse");
    is_int(cfg.auth_tokens.n, 0, "blank ACCESS_TOKEN is ignored");
    char *e2c[] = {"ACCESS_TOKEN=tok\n", NULL};
    is_int(PE(e2c, "--stdio", "a", "--auth-token", " tok2 "), 0,
           "tokens with spaces around: parse");
    is_str(cfg.auth_tokens.v[0], "tok2", "flag token trimmed");
    is_str(cfg.auth_tokens.v[1], "tok", "ACCESS_TOKEN trimmed");
    char *e3[] = {"ACCESS_TOKEN=a,b", "MCPGW_AUTH_TOKEN=a", NULL};
    is_int(PE(e3, "--stdio", "a", "--authToken=a"), 0, "dup tokens: parse");
    is_int(cfg.auth_tokens.n, 2, "duplicates are kept once");
    is_str(cfg.auth_tokens.v[1], "a,b", "ACCESS_TOKEN is taken whole");
    is_int(P("--stdio", "a", "--auth-token", "x,y"), 0, "flag token: parse");
    is_str(cfg.auth_tokens.v[0], "x,y", "a flag token is taken whole");
}

static void check_secret(int rc, const char *name)
{
    ok(rc < 0, name);
    ok(strstr(err, SECRET) == NULL, "  ... without the token in err");
}

static void test_secret(void)
{
    char *e1[] = {"MCPGW_AUTH_TOKEN=" SECRET, "MCPGW_LOG_FORMAT=xml", NULL};
    char *e2[] = {"ACCESS_TOKEN=" SECRET, NULL};

    check_secret(P("--stdio", "a", "--auth-token=" SECRET, "--bogus"),
                 "token then an unknown flag");
    check_secret(P("--stdio", "a", "--auth-tokn=" SECRET),
                 "misspelt token flag with '='");
    check_secret(P("--stdio", "a", "--auth-token", "--port", SECRET),
                 "token flag missing its value");
    is_str(err, "--auth-token: missing value", "  ... names only the flag");
    check_secret(P("--stdio", "a", "--authToken="), "empty token");
    check_secret(P("--stdio", "a", "--authToken", "  "), "blank token");
    is_str(err, "--authToken: missing value", "  ... names only the flag");
    check_secret(PE(e1, "--stdio", "a"), "env token then a bad log format");
    check_secret(PE(e2), "ACCESS_TOKEN and no stdio");
    check_secret(P("--auth-token", SECRET), "token and no stdio");

    char *argv[2 * CONFIG_MAX_LIST + 8] = {"mcpgw", "--stdio", "cat"};
    char toks[CONFIG_MAX_LIST + 1][32];
    int argc = 3;
    for (int i = 0; i <= CONFIG_MAX_LIST; i++) {
        snprintf(toks[i], sizeof toks[i], SECRET "%d", i);
        argv[argc++] = "--auth-token";
        argv[argc++] = toks[i];
    }
    config_free(&cfg);
    check_secret(config_parse(&cfg, argc, argv, NULL, err, sizeof err),
                 "too many tokens");
    is_str(err, "--auth-token: too many values (at most 32)",
           "  ... names only the flag");
}

static void test_help(void)
{
    char *bad[] = {"MCPGW_PORT=abc", NULL};

    is_int(P("--help"), 0, "--help: parse");
    is_int(cfg.action, CONFIG_HELP, "--help: action");
    is_int(P("-h"), 0, "-h: parse");
    is_int(cfg.action, CONFIG_HELP, "-h: action");
    is_int(P("--version"), 0, "--version: parse");
    is_int(cfg.action, CONFIG_VERSION, "--version: action");
    is_int(P("-V"), 0, "-V: parse");
    is_int(cfg.action, CONFIG_VERSION, "-V: action");
    is_int(PE(bad, "--port", "1", "--help", "--bogus"), 0,
           "--help skips the rest and the environment");
    is_int(cfg.action, CONFIG_HELP, "--help with a bad env: action");

    const char *u = config_usage();
    ok(u && strstr(u, "--stdio") && strstr(u, "--auth-token") &&
           strstr(u, "--max-body-size") && strstr(u, "MCPGW_"),
       "usage names the flags and the environment");
    size_t col = 0, widest = 0;
    for (const char *p = u; *p; p++) {
        col = *p == '\n' ? 0 : col + 1;
        widest = col > widest ? col : widest;
    }
    ok(widest <= 79, "usage fits in 80 columns");
}

static void test_free(void)
{
    is_int(P("--stdio", "a", "--healthEndpoint", "/h", "--auth-token", "t"), 0,
           "free: parse");
    config_free(&cfg);
    ok(!cfg.stdio_cmd && !cfg.host && cfg.health_paths.n == 0 &&
           cfg.auth_tokens.n == 0 && cfg.port == 0,
       "config_free zeroes");
    config_free(&cfg);
    ok(1, "config_free twice is safe");
    is_int(P("--bogus"), -EINVAL, "failed parse");
    ok(!cfg.host && !cfg.protocol_version, "a failed parse leaves nothing");
}

static void size_is(const char *s, int rc, size_t want)
{
    size_t v = 12345;
    char name[96];

    snprintf(name, sizeof name, "size '%s'", s);
    int got = config_parse_size(s, &v);
    is_int(got, rc, name);
    if (rc == 0)
        is_int(v, want, name);
}

static void test_sizes(void)
{
    size_is("1", 0, 1);
    size_is("4096", 0, 4096);
    size_is("512K", 0, 512 << 10);
    size_is("512k", 0, 512 << 10);
    size_is("16M", 0, 16 << 20);
    size_is("1G", 0, (size_t)1 << 30);
    size_is("1MiB", 0, 1 << 20);
    size_is("1mb", 0, 1 << 20);
    size_is("2KB", 0, 2048);
    size_is("10B", 0, 10);
    size_is("16777215G", 0, (size_t)16777215 << 30);
    size_is("0", -EINVAL, 0);
    size_is("0K", -EINVAL, 0);
    size_is("", -EINVAL, 0);
    size_is("K", -EINVAL, 0);
    size_is("1X", -EINVAL, 0);
    size_is("1iB", -EINVAL, 0);
    size_is("1KK", -EINVAL, 0);
    size_is("1T", -EINVAL, 0);
    size_is("-1", -EINVAL, 0);
    size_is("+1", -EINVAL, 0);
    size_is(" 1", -EINVAL, 0);
    size_is("1 ", -EINVAL, 0);
    size_is("1.5M", -EINVAL, 0);
    size_is("0x10", -EINVAL, 0);
    size_is("18446744073709551615", 0, SIZE_MAX);
    size_is("18446744073709551616", -EINVAL, 0);
    size_is("17179869184G", -EINVAL, 0);
    size_is("18014398509481984K", -EINVAL, 0);
    ok(config_parse_size(NULL, &(size_t){0}) == -EINVAL, "size NULL");
}

static void ms_is(const char *s, int rc, uint64_t want)
{
    uint64_t v = 12345;
    char name[96];

    snprintf(name, sizeof name, "duration '%s'", s);
    int got = config_parse_ms(s, &v);
    is_int(got, rc, name);
    if (rc == 0)
        ok(v == want, name);
}

static void test_durations(void)
{
    ms_is("0", 0, 0);
    ms_is("0s", 0, 0);
    ms_is("250", 0, 250);
    ms_is("250ms", 0, 250);
    ms_is("30s", 0, 30000);
    ms_is("30S", 0, 30000);
    ms_is("5m", 0, 300000);
    ms_is("2h", 0, 7200000);
    ms_is("18446744073709551615", 0, UINT64_MAX);
    ms_is("18446744073709551615ms", 0, UINT64_MAX);
    ms_is("18446744073709551615s", -EINVAL, 0);
    ms_is("18446744073709551616", -EINVAL, 0);
    ms_is("5124095576030432h", -EINVAL, 0);
    ms_is("", -EINVAL, 0);
    ms_is("s", -EINVAL, 0);
    ms_is("1x", -EINVAL, 0);
    ms_is("1sec", -EINVAL, 0);
    ms_is("1.5s", -EINVAL, 0);
    ms_is("-1", -EINVAL, 0);
    ms_is("1d", -EINVAL, 0);
    ms_is(" 1", -EINVAL, 0);
    ok(config_parse_ms(NULL, &(uint64_t){0}) == -EINVAL, "duration NULL");
}

/* Errors quote values through log_escape, so check it here too. */
static void test_escape(void)
{
    char out[4 * 8 + 4];

    is_str(log_escape("plain", 5, 8, out), "plain", "escape: plain");
    is_str(log_escape("a\"b\\c\n", 6, 8, out), "a\\x22b\\x5cc\\x0a",
           "escape: quote, backslash, newline");
    is_str(log_escape("\x7f\xff", 2, 8, out), "\\x7f\\xff", "escape: high");
    is_str(log_escape("abcdefghij", 10, 8, out), "abcdefgh...",
           "escape: cut at max");
    is_str(log_escape("a\0b", 3, 8, out), "a\\x00b", "escape: NUL byte");
    is_str(log_escape(NULL, 0, 8, out), "", "escape: NULL");
    memset(out, 'x', sizeof out);
    log_escape("\x01\x01\x01\x01\x01\x01\x01\x01\x01", 9, 8, out);
    is_int(strlen(out), 4 * 8 + 3, "escape: worst case fits 4*max+4");
}

static void test_sandbox(void)
{
    is_int(P("--stdio", "cat"), 0, "sandbox: default");
    is_int(cfg.sandbox, CONFIG_SANDBOX_OFF, "sandbox: off by default");
    is_int(cfg.child_memory, 0, "sandbox: memory default is the module's");
    is_int(P("--stdio", "cat", "--sandbox", "--no-network", "--env", "A",
             "--env", "B=x,y", "--allow-read", "/srv/a", "--allow-read",
             "/srv/b", "--allow-write", "/srv/w", "--workdir", "/srv/wd",
             "--child-memory", "512M", "--child-procs", "64", "--child-files",
             "100", "--child-cpu", "30", "--user", "1000:1000"),
           0, "sandbox: every flag");
    is_int(cfg.sandbox, CONFIG_SANDBOX_STRICT, "sandbox: bare is strict");
    is_int(cfg.no_network, 1, "sandbox: --no-network");
    is_int(cfg.child_env.n, 2, "sandbox: two --env");
    is_str(cfg.child_env.v[1], "B=x,y", "sandbox: --env keeps commas");
    is_int(cfg.allow_read.n, 2, "sandbox: --allow-read repeats");
    is_str(cfg.allow_write.v[0], "/srv/w", "sandbox: --allow-write");
    is_str(cfg.workdir, "/srv/wd", "sandbox: --workdir");
    is_int(cfg.child_memory, 512 << 20, "sandbox: --child-memory");
    is_int(cfg.child_procs, 64, "sandbox: --child-procs");
    is_int(cfg.child_files, 100, "sandbox: --child-files");
    is_int(cfg.child_cpu, 30, "sandbox: --child-cpu");
    is_str(cfg.user, "1000:1000", "sandbox: --user");
    is_int(P("--stdio", "cat", "--sandbox=best-effort"), 0,
           "sandbox: best-effort");
    is_int(cfg.sandbox, CONFIG_SANDBOX_BEST_EFFORT, "sandbox: best-effort");
    is_int(P("--stdio", "cat", "--sandbox=strict"), 0, "sandbox: =strict");
    is_int(cfg.sandbox, CONFIG_SANDBOX_STRICT, "sandbox: =strict value");
    is_err(P("--stdio", "cat", "--sandbox=loose"),
           "--sandbox: invalid value 'loose' (want strict or best-effort)",
           "sandbox: bad mode");
    is_err(P("--stdio", "cat", "--sandbox", "best-effort"),
           "unexpected argument 'best-effort'", "sandbox: the mode needs '='");
    is_err(P("--stdio", "cat", "--allow-read", "/srv"),
           "--allow-read needs --sandbox", "sandbox: needed by --allow-read");
    is_err(P("--stdio", "cat", "--no-network"), "--no-network needs --sandbox",
           "sandbox: needed by --no-network");
    is_err(P("--stdio", "cat", "--user", "nobody"), "--user needs --sandbox",
           "sandbox: needed by --user");
    is_err(P("--stdio", "cat", "--sandbox", "--allow-write", "srv"),
           "--allow-write: invalid path 'srv' (must start with '/')",
           "sandbox: relative --allow-write");
    is_err(P("--stdio", "cat", "--sandbox", "--env", "1X=2"),
           "--env: invalid variable '1X=2' (want NAME or NAME=VALUE)",
           "sandbox: bad --env name");
    is_err(P("--stdio", "cat", "--sandbox", "--env", "=x"),
           "--env: invalid variable '=x' (want NAME or NAME=VALUE)",
           "sandbox: empty --env name");
    is_err(P("--stdio", "cat", "--sandbox", "--user", "a b"),
           "--user: invalid user 'a b' (want NAME, UID or UID:GID)",
           "sandbox: bad --user");
    is_err(P("--stdio", "cat", "--sandbox", "--child-procs", "0"),
           "--child-procs: out of range '0'", "sandbox: zero procs");

    char *env[] = {"MCPGW_SANDBOX=best-effort", "MCPGW_ALLOW_READ=/a,/b",
                   "MCPGW_NO_NETWORK=1", NULL};
    is_int(PE(env, "--stdio", "cat"), 0, "sandbox: from the environment");
    is_int(cfg.sandbox, CONFIG_SANDBOX_BEST_EFFORT, "sandbox: MCPGW_SANDBOX");
    is_int(cfg.allow_read.n, 2, "sandbox: MCPGW_ALLOW_READ is a list");
    is_int(cfg.no_network, 1, "sandbox: MCPGW_NO_NETWORK");
}

static void test_pool(void)
{
    char *env[] = {"MCPGW_POOL=3", NULL};

    is_int(P("--stdio", "a"), 0, "no --pool");
    is_int(cfg.pool, 1, "one shared child by default");
    is_int(P("--stdio", "a", "--pool", "4"), 0, "--pool 4");
    is_int(cfg.pool, 4, "four children");
    is_int(PE(env, "--stdio", "a"), 0, "MCPGW_POOL");
    is_int(cfg.pool, 3, "from the environment");
    is_int(PE(env, "--stdio", "a", "--pool=2"), 0, "flag and environment");
    is_int(cfg.pool, 2, "the flag wins");
    is_err(P("--stdio", "a", "--pool", "0"), "--pool: out of range '0'",
           "no children");
    is_err(P("--stdio", "a", "--pool", "65"), "--pool: out of range '65'",
           "past CONFIG_POOL_MAX");
    is_err(P("--stdio", "a", "--stateful", "--pool", "2"),
           "--pool cannot be used with --stateful", "pool and sessions");
    is_int(P("--stdio", "a", "--stateful", "--pool", "1"), 0,
           "--pool 1 is the default, stateful or not");
}

/* --listen unix:PATH and --replica-id, which a proxy in front relies on. */
static void test_listen_replica(void)
{
    static char *env[] = {"MCPGW_REPLICA_ID=mcpgw-2",
                          "MCPGW_LISTEN=unix:/run/e.sock", NULL};
    char long_path[160] = "unix:/";

    is_int(P("--stdio", "a"), 0, "no --listen");
    ok(cfg.listen_unix == NULL && cfg.replica_id == NULL, "both unset");
    is_int(P("--stdio", "a", "--listen", "unix:/run/mcpgw/a.sock",
             "--replicaId", "r1"),
           0, "unix socket and replica");
    is_str(cfg.listen_unix, "/run/mcpgw/a.sock", "socket path");
    is_str(cfg.replica_id, "r1", "replica id");
    is_int(PE(env, "--stdio", "a"), 0, "from the environment");
    is_str(cfg.replica_id, "mcpgw-2", "replica id from env");
    is_str(cfg.listen_unix, "/run/e.sock", "socket path from env");
    is_err(P("--stdio", "a", "--listen", "127.0.0.1:8000"),
           "--listen: invalid address '127.0.0.1:8000' (want unix:/PATH, "
           "at most 107 bytes)",
           "listen tcp");
    memset(long_path + 6, 'p', 110);
    is_int(P("--stdio", "a", "--listen", long_path), -EINVAL, "path too long");
    is_err(P("--stdio", "a", "--replica-id", "r1.x"),
           "--replica-id: invalid name 'r1.x' (want 1 to 63 of A-Z a-z 0-9 - "
           "_)",
           "replica with a dot");
    is_int(P("--stdio", "a", "--replica-id", ""), -EINVAL, "empty replica");
}

int main(void)
{
    test_defaults();
    test_spellings();
    test_bools();
    test_lists();
    test_errors();
    test_transport();
    test_not_supported();
    test_env();
    test_cors();
    test_limits3();
    test_tokens();
    test_secret();
    test_help();
    test_free();
    test_sizes();
    test_durations();
    test_escape();
    test_sandbox();
    test_pool();
    test_listen_replica();
    config_free(&cfg);
    return tap_done();
}
