/* SPDX-License-Identifier: MIT */
/*
 * The gateway's configuration: Supergateway's flags, mcpgw's own flags,
 * and MCPGW_* environment variables, in one struct.
 */
#ifndef MCPGW_CONFIG_H
#define MCPGW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcpgw/log.h"

#define CONFIG_MAX_LIST       32 /* entries in one repeatable flag */
#define CONFIG_REPLICA_ID_MAX 63 /* a DNS label, as a pod name is */
#define CONFIG_POOL_MAX       64 /* --pool: shared children */

/* A repeatable flag's values; each string is owned by the list. */
struct config_list {
    char *v[CONFIG_MAX_LIST];
    size_t n;
};

/* --sandbox: off, strict (fail closed), or best-effort (sandbox.h). */
enum config_sandbox {
    CONFIG_SANDBOX_OFF = 0,
    CONFIG_SANDBOX_STRICT,
    CONFIG_SANDBOX_BEST_EFFORT,
};

enum config_action {
    CONFIG_RUN = 0, /* start the gateway */
    CONFIG_HELP,    /* --help was given: print usage, exit 0 */
    CONFIG_VERSION, /* --version was given: print version, exit 0 */
};

struct gw_config {
    enum config_action action;

    /* What to run. */
    char *stdio_cmd;        /* --stdio: run as /bin/sh -c CMD; owned */
    char *protocol_version; /* --protocolVersion; owned, default 2025-11-25 */

    /* Where to listen. */
    char *host;             /* --host; owned, default 127.0.0.1 */
    uint16_t port;          /* --port; default 8000 */
    char *listen_unix;      /* --listen unix:PATH: the socket's path, which
                               replaces --host and --port; owned or NULL */
    char *output_transport; /* --outputTransport; owned: "streamableHttp",
                               "sse", or "both" when not given */
    char *sse_path;         /* --ssePath; owned, default /sse */
    char *message_path;     /* --messagePath; owned, default /message */
    char *base_url;         /* --baseUrl; owned, default "" */
    char *streamable_path;  /* --streamableHttpPath; owned, default /mcp */
    struct config_list health_paths; /* --healthEndpoint, repeatable */
    bool json_response;              /* --json-response: JSON bodies, not SSE */
    bool stateful;            /* --stateful: a child per Mcp-Session-Id */
    unsigned pool;            /* --pool: shared children, default 1, at
                                 most CONFIG_POOL_MAX */
    uint64_t session_timeout; /* --sessionTimeout, ms, default 30 min */
    unsigned max_sessions;    /* --max-sessions, default 100 */
    char *replica_id;         /* --replica-id: prefixes session ids so a
                                 proxy can route them; owned or NULL */
    struct config_list cors;  /* --cors: "*", exact origins, or /regex/;
                                 empty: no CORS */

    /* Who may call. */
    struct config_list auth_tokens;      /* --auth-token, MCPGW_AUTH_TOKEN,
                                            ACCESS_TOKEN; secrets */
    bool allow_unauthenticated;          /* --allow-unauthenticated */
    struct config_list auth_token_files; /* --auth-token-file: one token a
                                            line, read again on SIGHUP */
    struct config_list allowed_hosts;    /* --allowed-hosts, comma lists */
    struct config_list allowed_origins;  /* --allowed-origins, comma lists */

    /* Logging. */
    enum log_level log_level;   /* --logLevel debug|info|none (+warn|error) */
    enum log_format log_format; /* --log-format text|json */

    /* Bounds. Sizes in bytes, times in milliseconds. */
    size_t max_body;           /* --max-body-size, default 4 MiB */
    size_t max_frame;          /* --max-frame-size, default 16 MiB */
    size_t max_stdin_queue;    /* --max-stdin-queue, default 16 MiB */
    size_t max_sse_buffer;     /* --max-sse-buffer, default 8 MiB */
    unsigned max_inflight;     /* --max-inflight per child, default 1024 */
    unsigned max_connections;  /* --max-connections, default 1024 */
    size_t max_header_size;    /* --max-header-size, default 16 KiB */
    unsigned max_json_depth;   /* --max-json-depth of bodies, default 64 */
    uint64_t request_timeout;  /* --request-timeout, default 300000 */
    uint64_t ready_timeout;    /* --ready-timeout: how long a request waits
                                  for the child to be ready, default 60000 */
    uint64_t shutdown_timeout; /* --shutdown-timeout, default 10000 */
    uint64_t kill_grace;       /* --kill-grace: TERM to KILL, default 5000 */
    uint64_t keepalive;        /* --sse-keepalive, default 15000 */
    uint64_t sse_retry;        /* --sse-retry: reconnect delay asked of
                                  clients that may resume, default 1000 */
    unsigned resume_events;    /* --resume-events kept per stream, 64 */
    size_t resume_bytes;       /* --resume-bytes kept per stream, 1 MiB */
    uint64_t idle_timeout;     /* --idle-timeout of a connection, 30000 */
    uint64_t header_timeout;   /* --header-timeout: a request's headers must
                                  be in by then, default 10000 */

    /* Process. */
    bool parent_death; /* --parent-death: exit with the parent */

    /* The child's sandbox (sandbox.h); all but --sandbox need it. */
    enum config_sandbox sandbox;    /* --sandbox[=best-effort] */
    struct config_list child_env;   /* --env NAME[=VALUE] */
    char *workdir;                  /* --workdir; owned; NULL: a fresh one */
    struct config_list allow_read;  /* --allow-read PATH */
    struct config_list allow_write; /* --allow-write PATH */
    bool no_network;                /* --no-network */
    size_t child_memory;            /* --child-memory; 0: the default */
    unsigned child_procs;           /* --child-procs (tasks); 0: default */
    unsigned child_files;           /* --child-files; 0: the default */
    unsigned child_cpu;             /* --child-cpu seconds; 0: none */
    char *user;                     /* --user NAME|UID[:GID]; owned */
};

/*
 * Fills cfg from argv and envp. Flags win over environment variables.
 * Returns 0 on success. On any error (an unknown flag, a missing value, a
 * bad number, a flag that mcpgw does not support yet, a missing --stdio)
 * writes one line naming the flag into err (at most errlen bytes) and
 * returns -EINVAL; the caller prints it and exits with status 2.
 * Secrets (tokens) never appear in err.
 */
int config_parse(struct gw_config *cfg, int argc, char **argv, char **envp,
                 char *err, size_t errlen);

/* Frees every string cfg owns and zeroes it. */
void config_free(struct gw_config *cfg);

/* The text printed by --help. */
const char *config_usage(void);

/*
 * Parses a size such as "4194304", "512K", "16M" or "1G" (powers of 1024).
 * Returns 0 or -EINVAL.
 */
int config_parse_size(const char *s, size_t *out);

/*
 * Parses a duration in milliseconds; "30s", "5m" and "250ms" are accepted
 * too. Returns 0 or -EINVAL.
 */
int config_parse_ms(const char *s, uint64_t *out);

#endif
