/* SPDX-License-Identifier: MIT */
/* Builds struct gw_config from Supergateway's flags, ours, and MCPGW_* env. */
#include "mcpgw/config.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mcpgw/config_env.h"
#include "mcpgw/log.h"

#define MAX_OPTS    64 /* entries in the option table, for parser.seen */
#define NAME_BYTES  64 /* a flag name after normalising */
#define QUOTE_MAX   64 /* bytes of a bad value quoted back in an error */
#define QUOTE_BYTES (4 * QUOTE_MAX + 4)

enum arg {
    ARG_VALUE, /* --flag VALUE or --flag=VALUE */
    ARG_BOOL,  /* --flag or --flag=true|false|1|0; never takes the next word */
    ARG_NONE,  /* --flag; anything after '=' is ignored */
    ARG_ARRAY, /* --flag [V...]: the words up to the next flag, as yargs
                  arrays; bare, the option's default value */
};

enum {
    F_SPLIT = 1 << 0, /* split on commas on the command line too */
    F_UNION = 1 << 1, /* the environment adds to the command line's values */
};

struct parser;
struct opt;

typedef int (*opt_set)(struct parser *ps, const struct opt *o, const char *val);
typedef int (*opt_check)(struct parser *ps, const char *val);

struct opt {
    const char *name; /* kebab-case, without the leading "--" */
    enum arg arg;
    opt_set set;
    size_t off;      /* the field in struct gw_config that set fills */
    const char *env; /* NULL when not settable from the environment */
    opt_check check; /* validates each value, or NULL */
    unsigned flags;  /* F_* */
};

struct parser {
    struct gw_config *cfg;
    char *err;
    size_t errlen;
    const char *src;        /* the flag as typed (escaped), or the variable */
    bool from_env;          /* lists from the environment are comma lists */
    bool from_extra;        /* the words of SUPERGATEWAY_EXTRA_ARGS */
    char flag[QUOTE_BYTES]; /* storage for src when it is a flag */
    bool seen[MAX_OPTS];    /* set on the command line */
};

static int set_err(struct parser *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(struct parser *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes one line into err, whatever the source. */
static int set_err(struct parser *ps, const char *fmt, ...)
{
    va_list ap;

    if (ps->err && ps->errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(ps->err, ps->errlen, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

/* "SRC: message", SRC being the flag as typed or the variable's name. */
static int fail(struct parser *ps, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return set_err(ps, "%s: %s", ps->src, msg);
}

/* Bad values are quoted back escaped and cut short, so err stays a line. */
static const char *quote(const char *val, char *out)
{
    return log_escape(val, strlen(val), QUOTE_MAX, out);
}

static int fail_value(struct parser *ps, const char *what, const char *val,
                      const char *hint)
{
    char q[QUOTE_BYTES];

    return fail(ps, "%s '%s'%s", what, quote(val, q), hint);
}

static int oom(struct parser *ps)
{
    set_err(ps, "out of memory");
    return -ENOMEM;
}

static void *field(struct parser *ps, const struct opt *o)
{
    return (char *)ps->cfg + o->off;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/*
 * Reads one or more decimal digits. strtoull is not used because it
 * takes signs, leading spaces and "0x". Returns -ERANGE on overflow.
 */
static int scan_digits(const char *s, uint64_t *out, const char **end)
{
    uint64_t v = 0;
    const char *p = s;

    for (; is_digit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -ERANGE;
        v = v * 10 + d;
    }
    if (p == s)
        return -EINVAL;
    *out = v;
    *end = p;
    return 0;
}

/* A whole string of digits within [min, max]. */
static int parse_number(struct parser *ps, const char *val, uint64_t min,
                        uint64_t max, uint64_t *out)
{
    const char *end = val;
    int rc = scan_digits(val, out, &end);

    if (rc == -EINVAL || (rc == 0 && *end != '\0'))
        return fail_value(ps, "invalid number", val, "");
    if (rc < 0 || *out < min || *out > max)
        return fail_value(ps, "out of range", val, "");
    return 0;
}

static int replace_str(struct parser *ps, char **slot, const char *val)
{
    char *s = strdup(val);

    if (!s)
        return oom(ps);
    free(*slot);
    *slot = s;
    return 0;
}

static int set_str(struct parser *ps, const struct opt *o, const char *val)
{
    if (o->check) {
        int rc = o->check(ps, val);
        if (rc < 0)
            return rc;
    }
    return replace_str(ps, field(ps, o), val);
}

static int set_port(struct parser *ps, const struct opt *o, const char *val)
{
    uint64_t v;
    int rc = parse_number(ps, val, 1, 65535, &v);

    if (rc == 0)
        *(uint16_t *)field(ps, o) = (uint16_t)v;
    return rc;
}

static int set_count(struct parser *ps, const struct opt *o, const char *val)
{
    uint64_t v;
    int rc = parse_number(ps, val, 1, UINT_MAX, &v);

    if (rc == 0)
        *(unsigned *)field(ps, o) = (unsigned)v;
    return rc;
}

/* --pool: each child costs memory and a start. */
static int set_pool(struct parser *ps, const struct opt *o, const char *val)
{
    uint64_t v;
    int rc = parse_number(ps, val, 1, CONFIG_POOL_MAX, &v);

    if (rc == 0)
        *(unsigned *)field(ps, o) = (unsigned)v;
    return rc;
}

static int set_size(struct parser *ps, const struct opt *o, const char *val)
{
    if (config_parse_size(val, field(ps, o)) < 0)
        return fail_value(ps, "invalid size", val, " (want e.g. 512K, 4M)");
    return 0;
}

static int set_ms(struct parser *ps, const struct opt *o, const char *val)
{
    if (config_parse_ms(val, field(ps, o)) < 0)
        return fail_value(ps, "invalid duration", val,
                          " (want e.g. 250ms, 30s, 5m)");
    return 0;
}

/* NULL is the bare flag. */
/* Supergateway refuses a session timeout of 0; so do we. */
static int set_positive_ms(struct parser *ps, const struct opt *o,
                           const char *val)
{
    int rc = set_ms(ps, o, val);

    if (rc == 0 && *(uint64_t *)field(ps, o) == 0)
        return fail_value(ps, "must be positive", val, "");
    return rc;
}

static int set_bool(struct parser *ps, const struct opt *o, const char *val)
{
    bool *b = field(ps, o);

    if (!val || strcasecmp(val, "true") == 0 || strcmp(val, "1") == 0)
        *b = true;
    else if (strcasecmp(val, "false") == 0 || strcmp(val, "0") == 0)
        *b = false;
    else
        return fail_value(ps, "invalid value", val, " (want true or false)");
    return 0;
}

static int list_add(struct parser *ps, struct config_list *l, const char *s,
                    size_t n)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strlen(l->v[i]) == n && memcmp(l->v[i], s, n) == 0)
            return 0;
    }
    if (l->n == CONFIG_MAX_LIST)
        return fail(ps, "too many values (at most %d)", CONFIG_MAX_LIST);
    char *v = strndup(s, n);
    if (!v)
        return oom(ps);
    l->v[l->n++] = v;
    return 0;
}

/* Checks one value of a list, then adds it. */
static int list_put(struct parser *ps, const struct opt *o, const char *s,
                    size_t n)
{
    if (o->check) {
        char *v = strndup(s, n);
        if (!v)
            return oom(ps);
        int rc = o->check(ps, v);
        free(v);
        if (rc < 0)
            return rc;
    }
    return list_add(ps, field(ps, o), s, n);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Drops the spaces around s[0..*n). A token can never carry them (guard
 * trims the header), and a file read into a variable often ends in '\n'.
 */
static const char *trim(const char *s, size_t *n)
{
    while (*n > 0 && is_space(*s)) {
        s++;
        (*n)--;
    }
    while (*n > 0 && is_space(s[*n - 1]))
        (*n)--;
    return s;
}

/* "a, b,,c" gives a, b and c: empty items are dropped. */
static int list_split(struct parser *ps, const struct opt *o, const char *val)
{
    const char *p = val;

    for (;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *s = trim(p, &n);

        if (n > 0) {
            int rc = list_put(ps, o, s, n);
            if (rc < 0)
                return rc;
        }
        if (!end)
            return 0;
        p = end + 1;
    }
}

static int set_list(struct parser *ps, const struct opt *o, const char *val)
{
    size_t n = strlen(val);

    if (ps->from_env || (o->flags & F_SPLIT))
        return list_split(ps, o, val);
    val = trim(val, &n);
    if (n == 0)
        return fail(ps, "missing value");
    return list_put(ps, o, val, n);
}

static int check_path(struct parser *ps, const char *val)
{
    if (val[0] != '/')
        return fail_value(ps, "invalid path", val, " (must start with '/')");
    return 0;
}

/* Only the shape: a URL or a path here would never match a Host header. */
static int check_host(struct parser *ps, const char *val)
{
    if (strpbrk(val, "/@ \t"))
        return fail_value(ps, "invalid host", val, " (want name[:port])");
    return 0;
}

/* Browsers send scheme://host[:port] and nothing more, not even a '/'. */
static int check_origin(struct parser *ps, const char *val)
{
    const char *sep = strstr(val, "://");

    if (!sep || sep == val || sep[3] == '\0' || strpbrk(sep + 3, "/@ \t"))
        return fail_value(ps, "invalid origin", val,
                          " (want scheme://host[:port])");
    return 0;
}

/* "*", an exact origin, or /regex/ (Supergateway's --cors values). */
static int check_cors(struct parser *ps, const char *val)
{
    size_t n = strlen(val);

    if (strcmp(val, "*") == 0 || (n >= 2 && val[0] == '/' && val[n - 1] == '/'))
        return 0;
    return check_origin(ps, val);
}

/* unix:PATH for now; the path is absolute so it means one socket. */
static int set_listen(struct parser *ps, const struct opt *o, const char *val)
{
    if (strncmp(val, "unix:/", 6) != 0 || strlen(val + 5) >= 108)
        return fail_value(ps, "invalid address", val,
                          " (want unix:/PATH, at most 107 bytes)");
    return replace_str(ps, field(ps, o), val + 5);
}

/* The replica's name goes before a '.' in every session id a proxy
 * routes on, so it must not hold one; a pod name fits. */
static int check_replica(struct parser *ps, const char *val)
{
    size_t n = strspn(val, "abcdefghijklmnopqrstuvwxyz"
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");

    if (n == 0 || val[n] != '\0' || n > CONFIG_REPLICA_ID_MAX)
        return fail_value(ps, "invalid name", val,
                          " (want 1 to 63 of A-Z a-z 0-9 - _)");
    return 0;
}

static int set_transport(struct parser *ps, const struct opt *o,
                         const char *val)
{
    static const char *const later[] = {"ws", "stdio"};

    if (strcmp(val, "streamableHttp") == 0 ||
        strcmp(val, "streamable-http") == 0)
        return replace_str(ps, field(ps, o), "streamableHttp");
    if (strcmp(val, "sse") == 0)
        return replace_str(ps, field(ps, o), "sse");
    for (size_t i = 0; i < sizeof later / sizeof later[0]; i++) {
        if (strcmp(val, later[i]) == 0)
            return set_err(ps, "%s %s: not supported yet", ps->src, val);
    }
    return fail_value(ps, "invalid value", val,
                      " (want streamableHttp or sse)");
}

static int set_log_level(struct parser *ps, const struct opt *o,
                         const char *val)
{
    static const char *const names[] = {
        [LOG_NONE] = "none", [LOG_ERROR] = "error", [LOG_WARN] = "warn",
        [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
    };

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(val, names[i]) == 0) {
            *(enum log_level *)field(ps, o) = (enum log_level)i;
            return 0;
        }
    }
    return fail_value(ps, "invalid value", val,
                      " (want debug, info, warn, error or none)");
}

static int set_log_format(struct parser *ps, const struct opt *o,
                          const char *val)
{
    enum log_format *f = field(ps, o);

    if (strcasecmp(val, "text") == 0)
        *f = LOG_TEXT;
    else if (strcasecmp(val, "json") == 0)
        *f = LOG_JSON;
    else
        return fail_value(ps, "invalid value", val, " (want text or json)");
    return 0;
}

/* MCP protocol versions are dates: YYYY-MM-DD. */
static int set_protocol(struct parser *ps, const struct opt *o, const char *val)
{
    static const char shape[] = "dddd-dd-dd";
    bool good = strlen(val) == sizeof shape - 1;

    for (size_t i = 0; good && shape[i]; i++)
        good = shape[i] == 'd' ? is_digit(val[i]) : val[i] == shape[i];
    if (good) {
        int month = (val[5] - '0') * 10 + (val[6] - '0');
        int day = (val[8] - '0') * 10 + (val[9] - '0');
        good = month >= 1 && month <= 12 && day >= 1 && day <= 31;
    }
    if (!good)
        return fail_value(ps, "invalid value", val, " (want YYYY-MM-DD)");
    return replace_str(ps, field(ps, o), val);
}

static int set_later(struct parser *ps, const struct opt *o, const char *val)
{
    (void)o;
    (void)val;
    return fail(ps, "not supported yet");
}

static int set_help(struct parser *ps, const struct opt *o, const char *val)
{
    (void)o;
    (void)val;
    ps->cfg->action = CONFIG_HELP;
    return 0;
}

static int set_version(struct parser *ps, const struct opt *o, const char *val)
{
    (void)o;
    (void)val;
    ps->cfg->action = CONFIG_VERSION;
    return 0;
}

/* --sandbox, --sandbox=strict|best-effort|false. NULL is the bare flag. */
static int set_sandbox(struct parser *ps, const struct opt *o, const char *val)
{
    enum config_sandbox *m = field(ps, o);

    if (!val || strcasecmp(val, "true") == 0 || strcmp(val, "1") == 0 ||
        strcasecmp(val, "strict") == 0)
        *m = CONFIG_SANDBOX_STRICT;
    else if (strcasecmp(val, "best-effort") == 0)
        *m = CONFIG_SANDBOX_BEST_EFFORT;
    else if (strcasecmp(val, "false") == 0 || strcmp(val, "0") == 0)
        *m = CONFIG_SANDBOX_OFF;
    else
        return fail_value(ps, "invalid value", val,
                          " (want strict or best-effort)");
    return 0;
}

/* --env NAME or NAME=VALUE: NAME as a shell would accept it. */
static int check_env(struct parser *ps, const char *val)
{
    size_t n = strcspn(val, "=");
    bool good = n > 0 && !is_digit(val[0]);

    for (size_t i = 0; good && i < n; i++)
        good = val[i] == '_' || is_digit(val[i]) ||
               (lower(val[i]) >= 'a' && lower(val[i]) <= 'z');
    if (!good)
        return fail_value(ps, "invalid variable", val,
                          " (want NAME or NAME=VALUE)");
    return 0;
}

/* NAME, UID or UID:GID; the user is looked up at start. */
static int check_user(struct parser *ps, const char *val)
{
    if (strpbrk(val, " \t\n/") || val[0] == ':')
        return fail_value(ps, "invalid user", val,
                          " (want NAME, UID or UID:GID)");
    return 0;
}

#define OFF(f) offsetof(struct gw_config, f)

/* Every flag, in kebab-case; camelCase spellings are normalised to it. */
static const struct opt opts[] = {
    /* Supergateway's flags that mcpgw supports. */
    {"stdio", ARG_VALUE, set_str, OFF(stdio_cmd), "MCPGW_STDIO", NULL, 0},
    {"output-transport", ARG_VALUE, set_transport, OFF(output_transport),
     "MCPGW_OUTPUT_TRANSPORT", NULL, 0},
    {"port", ARG_VALUE, set_port, OFF(port), "MCPGW_PORT", NULL, 0},
    {"streamable-http-path", ARG_VALUE, set_str, OFF(streamable_path),
     "MCPGW_STREAMABLE_HTTP_PATH", check_path, 0},
    {"log-level", ARG_VALUE, set_log_level, OFF(log_level), "MCPGW_LOG_LEVEL",
     NULL, 0},
    {"health-endpoint", ARG_VALUE, set_list, OFF(health_paths),
     "MCPGW_HEALTH_ENDPOINT", check_path, 0},
    {"protocol-version", ARG_VALUE, set_protocol, OFF(protocol_version),
     "MCPGW_PROTOCOL_VERSION", NULL, 0},

    /* Supergateway's flags that mcpgw does not support yet. */
    {"sse", ARG_NONE, set_later, 0, "MCPGW_SSE", NULL, 0},
    {"streamable-http", ARG_NONE, set_later, 0, "MCPGW_STREAMABLE_HTTP", NULL,
     0},
    {"base-url", ARG_VALUE, set_str, OFF(base_url), "MCPGW_BASE_URL", NULL, 0},
    {"sse-path", ARG_VALUE, set_str, OFF(sse_path), "MCPGW_SSE_PATH",
     check_path, 0},
    {"message-path", ARG_VALUE, set_str, OFF(message_path),
     "MCPGW_MESSAGE_PATH", check_path, 0},
    {"cors", ARG_ARRAY, set_list, OFF(cors), "MCPGW_CORS", check_cors, 0},
    {"header", ARG_NONE, set_later, 0, "MCPGW_HEADER", NULL, 0},
    {"oauth2-bearer", ARG_NONE, set_later, 0, "MCPGW_OAUTH2_BEARER", NULL, 0},
    {"stateful", ARG_BOOL, set_bool, OFF(stateful), "MCPGW_STATEFUL", NULL, 0},
    {"session-timeout", ARG_VALUE, set_positive_ms, OFF(session_timeout),
     "MCPGW_SESSION_TIMEOUT", NULL, 0},
    {"max-sessions", ARG_VALUE, set_count, OFF(max_sessions),
     "MCPGW_MAX_SESSIONS", NULL, 0},
    {"replica-id", ARG_VALUE, set_str, OFF(replica_id), "MCPGW_REPLICA_ID",
     check_replica, 0},

    /* mcpgw's own. */
    {"host", ARG_VALUE, set_str, OFF(host), "MCPGW_HOST", NULL, 0},
    {"listen", ARG_VALUE, set_listen, OFF(listen_unix), "MCPGW_LISTEN", NULL,
     0},
    {"json-response", ARG_BOOL, set_bool, OFF(json_response),
     "MCPGW_JSON_RESPONSE", NULL, 0},
    {"pool", ARG_VALUE, set_pool, OFF(pool), "MCPGW_POOL", NULL, 0},
    {"auth-token", ARG_VALUE, set_list, OFF(auth_tokens), "MCPGW_AUTH_TOKEN",
     NULL, F_UNION},
    {"auth-token-file", ARG_VALUE, set_list, OFF(auth_token_files),
     "MCPGW_AUTH_TOKEN_FILE", NULL, 0},
    {"parent-death", ARG_BOOL, set_bool, OFF(parent_death),
     "MCPGW_PARENT_DEATH", NULL, 0},
    {"max-header-size", ARG_VALUE, set_size, OFF(max_header_size),
     "MCPGW_MAX_HEADER_SIZE", NULL, 0},
    {"max-json-depth", ARG_VALUE, set_count, OFF(max_json_depth),
     "MCPGW_MAX_JSON_DEPTH", NULL, 0},
    {"idle-timeout", ARG_VALUE, set_ms, OFF(idle_timeout), "MCPGW_IDLE_TIMEOUT",
     NULL, 0},
    {"header-timeout", ARG_VALUE, set_ms, OFF(header_timeout),
     "MCPGW_HEADER_TIMEOUT", NULL, 0},
    {"allow-unauthenticated", ARG_BOOL, set_bool, OFF(allow_unauthenticated),
     "MCPGW_ALLOW_UNAUTHENTICATED", NULL, 0},
    {"allowed-hosts", ARG_VALUE, set_list, OFF(allowed_hosts),
     "MCPGW_ALLOWED_HOSTS", check_host, F_SPLIT},
    {"allowed-origins", ARG_VALUE, set_list, OFF(allowed_origins),
     "MCPGW_ALLOWED_ORIGINS", check_origin, F_SPLIT},
    {"log-format", ARG_VALUE, set_log_format, OFF(log_format),
     "MCPGW_LOG_FORMAT", NULL, 0},
    {"max-body-size", ARG_VALUE, set_size, OFF(max_body), "MCPGW_MAX_BODY_SIZE",
     NULL, 0},
    {"max-frame-size", ARG_VALUE, set_size, OFF(max_frame),
     "MCPGW_MAX_FRAME_SIZE", NULL, 0},
    {"max-stdin-queue", ARG_VALUE, set_size, OFF(max_stdin_queue),
     "MCPGW_MAX_STDIN_QUEUE", NULL, 0},
    {"max-sse-buffer", ARG_VALUE, set_size, OFF(max_sse_buffer),
     "MCPGW_MAX_SSE_BUFFER", NULL, 0},
    {"max-inflight", ARG_VALUE, set_count, OFF(max_inflight),
     "MCPGW_MAX_INFLIGHT", NULL, 0},
    {"max-connections", ARG_VALUE, set_count, OFF(max_connections),
     "MCPGW_MAX_CONNECTIONS", NULL, 0},
    {"request-timeout", ARG_VALUE, set_ms, OFF(request_timeout),
     "MCPGW_REQUEST_TIMEOUT", NULL, 0},
    {"ready-timeout", ARG_VALUE, set_ms, OFF(ready_timeout),
     "MCPGW_READY_TIMEOUT", NULL, 0},
    {"shutdown-timeout", ARG_VALUE, set_ms, OFF(shutdown_timeout),
     "MCPGW_SHUTDOWN_TIMEOUT", NULL, 0},
    {"kill-grace", ARG_VALUE, set_ms, OFF(kill_grace), "MCPGW_KILL_GRACE", NULL,
     0},
    {"sse-keepalive", ARG_VALUE, set_ms, OFF(keepalive), "MCPGW_SSE_KEEPALIVE",
     NULL, 0},
    {"sse-retry", ARG_VALUE, set_ms, OFF(sse_retry), "MCPGW_SSE_RETRY", NULL,
     0},
    {"resume-events", ARG_VALUE, set_count, OFF(resume_events),
     "MCPGW_RESUME_EVENTS", NULL, 0},
    {"resume-bytes", ARG_VALUE, set_size, OFF(resume_bytes),
     "MCPGW_RESUME_BYTES", NULL, 0},
    {"sandbox", ARG_BOOL, set_sandbox, OFF(sandbox), "MCPGW_SANDBOX", NULL, 0},
    {"env", ARG_VALUE, set_list, OFF(child_env), "MCPGW_ENV", check_env, 0},
    {"workdir", ARG_VALUE, set_str, OFF(workdir), "MCPGW_WORKDIR", check_path,
     0},
    {"allow-read", ARG_VALUE, set_list, OFF(allow_read), "MCPGW_ALLOW_READ",
     check_path, 0},
    {"allow-write", ARG_VALUE, set_list, OFF(allow_write), "MCPGW_ALLOW_WRITE",
     check_path, 0},
    {"no-network", ARG_BOOL, set_bool, OFF(no_network), "MCPGW_NO_NETWORK",
     NULL, 0},
    {"child-memory", ARG_VALUE, set_size, OFF(child_memory),
     "MCPGW_CHILD_MEMORY", NULL, 0},
    {"child-procs", ARG_VALUE, set_count, OFF(child_procs), "MCPGW_CHILD_PROCS",
     NULL, 0},
    {"child-files", ARG_VALUE, set_count, OFF(child_files), "MCPGW_CHILD_FILES",
     NULL, 0},
    {"child-cpu", ARG_VALUE, set_count, OFF(child_cpu), "MCPGW_CHILD_CPU", NULL,
     0},
    {"user", ARG_VALUE, set_str, OFF(user), "MCPGW_USER", check_user, 0},
    {"help", ARG_NONE, set_help, 0, NULL, NULL, 0},
    {"version", ARG_NONE, set_version, 0, NULL, NULL, 0},
};

#define NOPTS (sizeof opts / sizeof opts[0])
static_assert(NOPTS <= MAX_OPTS, "raise MAX_OPTS");

static const char usage[] =
    "Usage: mcpgw --stdio CMD [options]\n"
    "\n"
    "Serves the MCP server that CMD runs on stdio over Streamable HTTP.\n"
    "\n"
    "Supergateway-compatible:\n"
    "  --stdio CMD                MCP server command, run by /bin/sh -c\n"
    "  --outputTransport T        streamableHttp or sse (default: both)\n"
    "  --ssePath PATH             legacy SSE stream (/sse)\n"
    "  --messagePath PATH         legacy SSE posts (/message)\n"
    "  --baseUrl URL              its path prefixes the endpoint event\n"
    "  --port N                   port to listen on (8000)\n"
    "  --streamableHttpPath PATH  the MCP endpoint (/mcp)\n"
    "  --healthEndpoint PATH      answer GET PATH with 200 ok; repeatable\n"
    "  --protocolVersion V        version for the gateway's own initialize\n"
    "                             (2025-11-25)\n"
    "  --logLevel L               debug, info, warn, error or none (info)\n"
    "  --stateful                 a child per session (Mcp-Session-Id)\n"
    "  --sessionTimeout TIME      end a session idle this long (30m)\n"
    "  --cors [ORIGIN...]         allow browsers: bare or * for any origin,\n"
    "                             else exact origins or /regex/ (POSIX ERE)\n"
    "  Not supported yet: --sse, --streamableHttp, --header,\n"
    "  --oauth2Bearer.\n"
    "\n"
    "Listening:\n"
    "  --host ADDR                address to bind (127.0.0.1)\n"
    "  --listen unix:/PATH        a Unix socket (mode 0660) instead of\n"
    "                             --host and --port\n"
    "  --replica-id NAME          prefix session ids with NAME. so a proxy\n"
    "                             keeps each session on its replica\n"
    "  --json-response            answer with JSON bodies, not SSE streams\n"
    "  --pool N                   shared children, without --stateful (1)\n"
    "\n"
    "Who may call:\n"
    "  --auth-token T             accept Authorization: Bearer T; repeatable;\n"
    "                             also MCPGW_AUTH_TOKEN (a comma list) and\n"
    "                             ACCESS_TOKEN, all accepted together\n"
    "  --auth-token-file PATH     tokens, one a line; read again on SIGHUP\n"
    "  --allow-unauthenticated    serve a non-loopback address without tokens\n"
    "  --allowed-hosts LIST       Host header values to accept: name[:port]\n"
    "  --allowed-origins LIST     Origin values to accept: "
    "scheme://host[:port]\n"
    "\n"
    "Limits (sizes take K, M, G; times take ms, s, m, h):\n"
    "  --max-body-size SIZE       largest request body (4M)\n"
    "  --max-frame-size SIZE      largest line from the MCP server (16M)\n"
    "  --max-stdin-queue SIZE     bytes queued for the server's stdin (16M)\n"
    "  --max-sse-buffer SIZE      bytes queued for one SSE client (8M)\n"
    "  --max-inflight N           requests in flight per server (1024)\n"
    "  --max-connections N        open HTTP connections (1024)\n"
    "  --max-sessions N           live sessions with --stateful (100)\n"
    "  --max-header-size SIZE     request headers, larger get 431 (16K)\n"
    "  --max-json-depth N         nesting of request bodies (64)\n"
    "  --header-timeout TIME      from request line to end of headers (10s)\n"
    "  --idle-timeout TIME        a connection waiting for a request (30s)\n"
    "  --request-timeout TIME     longest wait for a response (300s)\n"
    "  --ready-timeout TIME       longest wait for the server to start (60s)\n"
    "  --shutdown-timeout TIME    longest graceful shutdown (10s)\n"
    "  --kill-grace TIME          from SIGTERM to SIGKILL (5s)\n"
    "  --sse-keepalive TIME       SSE keep-alive comments, 0 for none (15s)\n"
    "  --sse-retry TIME           reconnect delay for resuming clients (1s)\n"
    "  --resume-events N          events kept per stream for resuming (64)\n"
    "  --resume-bytes SIZE        bytes kept per stream for resuming (1M)\n"
    "\n"
    "Logging:\n"
    "  --logLevel L               see above\n"
    "  --log-format F             text or json (text)\n"
    "\n"
    "Process:\n"
    "  --parent-death             exit when the process that started mcpgw\n"
    "                             exits\n"
    "\n"
    "Sandbox of the MCP server (the flags below need --sandbox):\n"
    "  --sandbox[=best-effort]    strict profile; a protection this host\n"
    "                             lacks stops the start, unless best-effort\n"
    "  --env NAME[=VALUE]         pass NAME (or set it); repeatable\n"
    "  --workdir DIR              its cwd and HOME (a fresh private one)\n"
    "  --allow-read PATH          may also read PATH; repeatable\n"
    "  --allow-write PATH         may also write PATH; repeatable\n"
    "  --no-network               no network at all, loopback included\n"
    "  --child-memory SIZE        memory (1G in a cgroup; else address\n"
    "                             space, 16G)\n"
    "  --child-procs N            processes and threads (256)\n"
    "  --child-files N            open files (4096)\n"
    "  --child-cpu SECONDS        CPU time (none)\n"
    "  --user NAME|UID[:GID]      run it as this user (as root: nobody)\n"
    "  mcpgw sandbox-check        what this host offers\n"
    "\n"
    "  -h, --help                 show this text\n"
    "  -V, --version              show the version\n"
    "\n"
    "Flags may be written camelCase or kebab-case (--log-level), as\n"
    "--flag VALUE or --flag=VALUE. Each may also come from the environment\n"
    "as MCPGW_ and the name in upper snake case (MCPGW_PORT,\n"
    "MCPGW_AUTH_TOKEN); lists there are comma-separated, empty variables\n"
    "are ignored, and flags win.\n"
    "\n"
    "Container workflow (Supergateway's .env):\n"
    "  SUPERGATEWAY_EXTRA_ARGS    more flags, split at blanks (no quoting);\n"
    "                             the command line wins, MCPGW_* lose\n"
    "  NPM_MCP, NPM_MCP_ARGS      without --stdio (or MCPGW_STDIO), run\n"
    "                             npx --no $NPM_MCP $NPM_MCP_ARGS\n";

/* yargs takes --logLevel and --log-level alike; the table keys on kebab. */
static bool kebab(const char *name, size_t n, char *out)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool up = c >= 'A' && c <= 'Z';
        if (up && o > 0 && out[o - 1] != '-' && o < NAME_BYTES - 1)
            out[o++] = '-';
        if (o >= NAME_BYTES - 1)
            return false;
        out[o++] = lower(c);
    }
    out[o] = '\0';
    return true;
}

static const struct opt *find_opt(const char *name, size_t n, size_t *idx)
{
    char key[NAME_BYTES];

    if (!kebab(name, n, key))
        return NULL;
    for (size_t i = 0; i < NOPTS; i++) {
        if (strcmp(opts[i].name, key) == 0) {
            *idx = i;
            return &opts[i];
        }
    }
    return NULL;
}

/* "--x" is a flag, so it is not taken as the value of the flag before it. */
static bool is_flag(const char *s)
{
    return s[0] == '-' && s[1] == '-' && s[2] != '\0';
}

/*
 * --cors a b --port 1: every word up to the next flag is a value; the
 * last is left in *val for the caller, the others are set here. A bare
 * --cors means "*", as it does for Supergateway.
 */
static int array_values(struct parser *ps, const struct opt *o, const char *eq,
                        int argc, char **argv, int *i, const char **val)
{
    *val = eq ? eq : "*";
    if (eq)
        return 0;
    for (bool first = true; *i + 1 < argc && argv[*i + 1][0] != '-';
         first = false) {
        if (!first) {
            int rc = o->set(ps, o, *val);
            if (rc < 0)
                return rc;
        }
        *val = argv[++*i];
    }
    return 0;
}

/* Finds the value of o, which was written as argv[*i]; eq follows '='. */
static int flag_value(struct parser *ps, const struct opt *o, const char *eq,
                      int argc, char **argv, int *i, const char **val)
{
    *val = eq;
    if (o->arg == ARG_ARRAY)
        return array_values(ps, o, eq, argc, argv, i, val);
    if (o->arg != ARG_VALUE)
        return 0;
    if (!eq && *i + 1 < argc && !is_flag(argv[*i + 1]))
        *val = argv[++*i];
    if (!*val || !**val)
        return fail(ps, "missing value");
    return 0;
}

static int parse_flag(struct parser *ps, int argc, char **argv, int *i)
{
    const char *w = argv[*i];
    const char *name = w + 2;
    const char *eq = strchr(name, '=');
    size_t n = eq ? (size_t)(eq - name) : strlen(name);
    size_t idx = 0;
    const char *val;

    /* Only the name: what follows '=' may be a token. */
    log_escape(w, n + 2, QUOTE_MAX, ps->flag);
    ps->src = ps->flag;
    const struct opt *o = find_opt(name, n, &idx);
    if (!o)
        return set_err(ps, "unknown flag %s", ps->flag);
    /* The MCP server inherits that variable, and argv is not wiped there. */
    if (ps->from_extra && o->off == OFF(auth_tokens) && o->set == set_list)
        return fail(ps, "not taken here, since the MCP server sees this "
                        "variable (use ACCESS_TOKEN or --auth-token-file)");
    int rc = flag_value(ps, o, eq ? eq + 1 : NULL, argc, argv, i, &val);
    if (rc == 0)
        rc = o->set(ps, o, val);
    ps->seen[idx] = true;
    return rc;
}

static int parse_word(struct parser *ps, int argc, char **argv, int *i)
{
    const char *w = argv[*i];
    char q[QUOTE_BYTES];

    if (strcmp(w, "-h") == 0)
        return set_help(ps, NULL, NULL);
    if (strcmp(w, "-V") == 0)
        return set_version(ps, NULL, NULL);
    if (is_flag(w))
        return parse_flag(ps, argc, argv, i);
    if (w[0] == '-' && w[1] != '\0' && w[1] != '-')
        return set_err(ps, "unknown flag %s", quote(w, q));
    return set_err(ps, "unexpected argument '%s'", quote(w, q));
}

static int parse_argv(struct parser *ps, int argc, char **argv)
{
    ps->from_env = false;
    for (int i = 1; i < argc && ps->cfg->action == CONFIG_RUN; i++) {
        int rc = parse_word(ps, argc, argv, &i);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Prefixes the error in ps->err with the variable it came from. */
static int blame(struct parser *ps, const char *var, int rc)
{
    char msg[512];

    if (rc == -EINVAL && ps->err && ps->errlen > 0) {
        snprintf(msg, sizeof msg, "%s", ps->err);
        set_err(ps, "%s: %s", var, msg);
    }
    return rc;
}

static const char *env_get(char **envp, const char *name)
{
    size_t n = strlen(name);

    for (char **e = envp; e && *e; e++) {
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    }
    return NULL;
}

/*
 * SUPERGATEWAY_EXTRA_ARGS holds more flags, split as the workflow's
 * unquoted expansion splits them. They are parsed before the command
 * line, so a flag given in both takes the command line's value (a
 * repeatable one takes both), and like flags they win over MCPGW_*.
 */
static int parse_extra_args(struct parser *ps, char **envp)
{
    const char *val = env_get(envp, CONFIG_ENV_EXTRA);
    struct config_words w;

    if (!val)
        return 0;
    int rc = config_env_split(val, &w, ps->err, ps->errlen);
    if (rc == -ENOMEM)
        return oom(ps);
    if (rc < 0)
        return rc;
    ps->from_extra = true;
    rc = parse_argv(ps, w.n, w.v);
    ps->from_extra = false;
    config_env_words_free(&w);
    return blame(ps, CONFIG_ENV_EXTRA, rc);
}

/* Without --stdio: `npx --no $NPM_MCP $NPM_MCP_ARGS`, as the workflow. */
static int stdio_from_npm(struct parser *ps, char **envp)
{
    const char *pkg = env_get(envp, CONFIG_ENV_NPM);
    size_t n = pkg ? strlen(pkg) : 0;

    pkg = n ? trim(pkg, &n) : pkg;
    if (n == 0)
        return 0;
    char *name = strndup(pkg, n);
    if (!name)
        return oom(ps);
    int rc = config_env_npm_command(name, env_get(envp, CONFIG_ENV_NPM_ARGS),
                                    &ps->cfg->stdio_cmd, ps->err, ps->errlen);
    free(name);
    return rc == -ENOMEM ? oom(ps) : rc;
}

/*
 * Empty variables count as unset: compose files and Helm charts often
 * write MCPGW_X= for "no value".
 */
static int parse_env(struct parser *ps, char **envp)
{
    ps->from_env = true;
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt *o = &opts[i];
        if (!o->env || (ps->seen[i] && !(o->flags & F_UNION)))
            continue;
        const char *v = env_get(envp, o->env);
        if (!v || !*v)
            continue;
        ps->src = o->env;
        int rc = o->set(ps, o, v);
        if (rc < 0)
            return rc;
    }
    /* The Docker + nginx workflow's variable: one token, not a list. */
    const char *tok = env_get(envp, "ACCESS_TOKEN");
    size_t n = tok ? strlen(tok) : 0;
    tok = n ? trim(tok, &n) : tok;
    if (n == 0)
        return 0;
    ps->src = "ACCESS_TOKEN";
    return list_add(ps, &ps->cfg->auth_tokens, tok, n);
}

static int set_defaults(struct gw_config *cfg)
{
    *cfg = (struct gw_config){
        .action = CONFIG_RUN,
        .port = 8000,
        .log_level = LOG_INFO,
        .log_format = LOG_TEXT,
        .max_body = (size_t)4 << 20,
        .max_frame = (size_t)16 << 20,
        .max_stdin_queue = (size_t)16 << 20,
        .max_sse_buffer = (size_t)8 << 20,
        .max_inflight = 1024,
        .max_connections = 1024,
        .request_timeout = 300000,
        .ready_timeout = 60000,
        .shutdown_timeout = 10000,
        .kill_grace = 5000,
        .keepalive = 15000,
        .sse_retry = 1000,
        .resume_events = 64,
        .resume_bytes = (size_t)1 << 20,
        .max_header_size = 16 * 1024,
        .max_json_depth = 64,
        .idle_timeout = 30000,
        .header_timeout = 10000,
        .session_timeout = 30 * 60 * 1000,
        .max_sessions = 100,
        .pool = 1,
    };
    cfg->protocol_version = strdup("2025-11-25");
    cfg->host = strdup("127.0.0.1");
    /* Unset: both transports, on their own paths. */
    cfg->output_transport = strdup("both");
    cfg->sse_path = strdup("/sse");
    cfg->message_path = strdup("/message");
    cfg->base_url = strdup("");
    cfg->streamable_path = strdup("/mcp");
    if (!cfg->sse_path || !cfg->message_path || !cfg->base_url)
        return -ENOMEM;
    if (!cfg->protocol_version || !cfg->host || !cfg->output_transport ||
        !cfg->streamable_path)
        return -ENOMEM;
    return 0;
}

static void list_free(struct config_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    l->n = 0;
}

/* The sandbox's flags mean nothing without it: say so, not ignore them. */
static int check_sandbox(struct parser *ps)
{
    const struct gw_config *c = ps->cfg;
    const char *flag = c->child_env.n     ? "--env"
                       : c->workdir       ? "--workdir"
                       : c->allow_read.n  ? "--allow-read"
                       : c->allow_write.n ? "--allow-write"
                       : c->no_network    ? "--no-network"
                       : c->child_memory  ? "--child-memory"
                       : c->child_procs   ? "--child-procs"
                       : c->child_files   ? "--child-files"
                       : c->child_cpu     ? "--child-cpu"
                       : c->user          ? "--user"
                                          : NULL;

    if (c->sandbox == CONFIG_SANDBOX_OFF && flag)
        return set_err(ps, "%s needs --sandbox", flag);
    return 0;
}

static int parse_all(struct parser *ps, int argc, char **argv, char **envp)
{
    if (set_defaults(ps->cfg) < 0)
        return oom(ps);
    int rc = parse_extra_args(ps, envp);
    if (rc == 0 && ps->cfg->action == CONFIG_RUN)
        rc = parse_argv(ps, argc, argv);
    if (rc < 0 || ps->cfg->action != CONFIG_RUN)
        return rc;
    rc = parse_env(ps, envp);
    if (rc == 0 && !ps->cfg->stdio_cmd)
        rc = stdio_from_npm(ps, envp);
    if (rc < 0)
        return rc;
    if (!ps->cfg->stdio_cmd)
        return set_err(ps, "--stdio is required (or NPM_MCP)");
    /* Sessions have a child each; a pool is of shared children. */
    if (ps->cfg->stateful && ps->cfg->pool > 1)
        return set_err(ps, "--pool cannot be used with --stateful");
    return check_sandbox(ps);
}

int config_parse(struct gw_config *cfg, int argc, char **argv, char **envp,
                 char *err, size_t errlen)
{
    struct parser ps = {.cfg = cfg, .err = err, .errlen = errlen};

    if (err && errlen > 0)
        err[0] = '\0';
    int rc = parse_all(&ps, argc, argv, envp);
    if (rc < 0)
        config_free(cfg);
    return rc;
}

void config_free(struct gw_config *cfg)
{
    free(cfg->stdio_cmd);
    free(cfg->protocol_version);
    free(cfg->host);
    free(cfg->listen_unix);
    free(cfg->replica_id);
    free(cfg->output_transport);
    free(cfg->sse_path);
    free(cfg->message_path);
    free(cfg->base_url);
    free(cfg->streamable_path);
    list_free(&cfg->health_paths);
    list_free(&cfg->auth_tokens);
    list_free(&cfg->allowed_hosts);
    list_free(&cfg->allowed_origins);
    list_free(&cfg->cors);
    list_free(&cfg->auth_token_files);
    list_free(&cfg->child_env);
    list_free(&cfg->allow_read);
    list_free(&cfg->allow_write);
    free(cfg->workdir);
    free(cfg->user);
    *cfg = (struct gw_config){.action = CONFIG_RUN};
}

const char *config_usage(void)
{
    return usage;
}

int config_parse_size(const char *s, size_t *out)
{
    static const char units[] = "kmg";
    uint64_t v = 0;
    const char *p = s;
    unsigned shift = 0;

    *out = 0;
    if (!s || scan_digits(s, &v, &p) < 0)
        return -EINVAL;
    const char *u = *p ? strchr(units, lower(*p)) : NULL;
    if (u) {
        shift = 10 * (unsigned)(u - units + 1);
        p++;
        if (lower(p[0]) == 'i' && lower(p[1]) == 'b')
            p += 2;
    }
    if (lower(*p) == 'b')
        p++;
    if (*p != '\0' || v == 0 || v > (SIZE_MAX >> shift))
        return -EINVAL;
    *out = (size_t)v << shift;
    return 0;
}

int config_parse_ms(const char *s, uint64_t *out)
{
    static const struct {
        const char *suffix;
        uint64_t ms;
    } units[] = {{"", 1}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
    uint64_t v = 0;
    const char *p = s;

    *out = 0;
    if (!s || scan_digits(s, &v, &p) < 0)
        return -EINVAL;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcasecmp(p, units[i].suffix) != 0)
            continue;
        if (v > UINT64_MAX / units[i].ms)
            return -EINVAL;
        *out = v * units[i].ms;
        return 0;
    }
    return -EINVAL;
}
