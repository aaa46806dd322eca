/* SPDX-License-Identifier: MIT */
/* mcpgw: start-up order, signals, and graceful shutdown. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <uv.h>

#include "mcpgw/backend.h"
#include "mcpgw/cli.h"
#include "mcpgw/config.h"
#include "mcpgw/gate.h"
#include "mcpgw/guard.h"
#include "mcpgw/health.h"
#include "mcpgw/http.h"
#include "mcpgw/legacy_sse.h"
#include "mcpgw/log.h"
#include "mcpgw/pool.h"
#include "mcpgw/reaper.h"
#include "mcpgw/sandbox.h"
#include "mcpgw/session.h"
#include "mcpgw/streamable.h"

#define MAX_ROUTES     (CONFIG_MAX_LIST + 6)
#define DRAIN_POLL_MS  50
#define FLUSH_GRACE_MS 1000 /* after failing the rest, to send the errors */

enum phase {
    PHASE_RUNNING = 0,
    PHASE_DRAINING, /* not accepting; requests in flight may finish */
    PHASE_STOPPING, /* the rest answered with errors; the child ending */
    PHASE_FLUSHING, /* child gone; last answers going out */
    PHASE_CLOSING,  /* the server and the loop's handles closing */
};

struct gateway {
    uv_loop_t *loop;
    struct gw_config cfg;
    struct gate gate;
    struct pool pool;              /* the shared children, unless stateful */
    struct session_table sessions; /* --stateful: a child per session */
    struct streamable streamable;
    struct legacy_sse legacy;
    struct http_server *http;
    struct http_route routes[MAX_ROUTES];
    uv_signal_t sigterm, sigint, sighup;
    uv_timer_t drain_poll;
    enum phase phase;
    uint64_t phase_deadline;
};

static struct gateway gw;

/* --- shutdown ------------------------------------------------------- */

static void on_handle_closed(uv_handle_t *h)
{
}

static void on_http_stopped(void *arg)
{
    reaper_kill_orphans();
    reaper_stop();
    uv_close((uv_handle_t *)&gw.sigterm, on_handle_closed);
    uv_close((uv_handle_t *)&gw.sigint, on_handle_closed);
    uv_close((uv_handle_t *)&gw.sighup, on_handle_closed);
    uv_close((uv_handle_t *)&gw.drain_poll, on_handle_closed);
}

static void close_http(void)
{
    gw.phase = PHASE_CLOSING;
    uv_timer_stop(&gw.drain_poll);
    http_stop(gw.http, on_http_stopped, NULL);
}

static void on_backend_stopped(void *arg)
{
    log_info("main", "MCP server stopped");
    /* The errors for calls that were cut short are queued on their
     * streams; give them a moment to reach the clients. */
    gw.phase = PHASE_FLUSHING;
    gw.phase_deadline = uv_now(gw.loop) + FLUSH_GRACE_MS;
}

/* Ends the sessions and the children; done(NULL) once all are gone. */
static void stop_children(struct gateway *g, void (*done)(void *arg))
{
    if (g->cfg.stateful) {
        session_table_stop(&g->sessions, done, NULL);
        return;
    }
    /* Shared sessions have no children: they end at once. */
    session_table_stop(&g->sessions, NULL, NULL);
    pool_stop(&g->pool, done, NULL);
}

static void stop_backend(void)
{
    gw.phase = PHASE_STOPPING;
    stop_children(&gw, on_backend_stopped);
}

/* Moves the shutdown on when its phase is over or out of time. */
/* Calls still waiting for their MCP server. Streams that only wait for
 * server messages (GET, legacy SSE) do not hold the shutdown up. */
static size_t calls_in_flight(void)
{
    return gw.cfg.stateful ? session_table_pending(&gw.sessions)
                           : pool_pending(&gw.pool);
}

static void on_drain_poll(uv_timer_t *t)
{
    bool idle = gw.phase == PHASE_DRAINING ? calls_in_flight() == 0
                                           : http_active(gw.http) == 0;
    bool late = uv_now(gw.loop) >= gw.phase_deadline;

    if (gw.phase == PHASE_DRAINING && (idle || late)) {
        if (!idle)
            log_warn("main",
                     "%zu calls still open after %llu ms; "
                     "answering them with errors",
                     calls_in_flight(),
                     (unsigned long long)gw.cfg.shutdown_timeout);
        stop_backend();
    } else if (gw.phase == PHASE_FLUSHING && (idle || late)) {
        close_http();
    }
}

static void begin_shutdown(const char *why)
{
    if (gw.phase == PHASE_DRAINING) {
        log_info("main", "%s again: not waiting any longer", why);
        stop_backend();
    }
    if (gw.phase != PHASE_RUNNING)
        return;
    log_info("main", "%s: shutting down, %zu requests in progress", why,
             http_active(gw.http));
    gw.phase = PHASE_DRAINING;
    gw.phase_deadline = uv_now(gw.loop) + gw.cfg.shutdown_timeout;
    http_quiesce(gw.http);
    uv_timer_start(&gw.drain_poll, on_drain_poll, 0, DRAIN_POLL_MS);
}

static void on_signal(uv_signal_t *s, int signum)
{
    char err[256];

    if (signum == SIGHUP) {
        if (gate_load_tokens(&gw.gate, &gw.cfg, err, sizeof(err)) < 0)
            log_error("main", "SIGHUP: %s; the tokens in force are kept", err);
        else
            log_info("main", "SIGHUP: %zu tokens in force", gw.gate.tokens.n);
        return;
    }
    begin_shutdown(signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* --- start-up ------------------------------------------------------- */

static size_t build_routes(struct gateway *g)
{
    size_t n = 0;

    /* With --stateful every session has its own child: nothing shared
     * has to be ready, so readiness is the loop's. */
    struct pool *shared = g->cfg.stateful ? NULL : &g->pool;

    g->streamable = (struct streamable){
        .cfg = &g->cfg,
        .pool = shared,
        .gate = &g->gate,
        .sessions = &g->sessions,
    };
    g->legacy = (struct legacy_sse){
        .cfg = &g->cfg,
        .pool = shared,
        .gate = &g->gate,
        .sessions = g->cfg.stateful ? &g->sessions : NULL,
    };
    if (strcmp(g->cfg.output_transport, "sse") != 0)
        g->routes[n++] = (struct http_route){g->cfg.streamable_path,
                                             streamable_handle, &g->streamable};
    if (strcmp(g->cfg.output_transport, "streamableHttp") != 0) {
        g->routes[n++] =
            (struct http_route){g->cfg.sse_path, legacy_sse_stream, &g->legacy};
        g->routes[n++] = (struct http_route){g->cfg.message_path,
                                             legacy_sse_message, &g->legacy};
    }
    g->routes[n++] = (struct http_route){"/healthz", health_live, NULL};
    g->routes[n++] = (struct http_route){"/readyz", health_ready, shared};
    for (size_t i = 0; i < g->cfg.health_paths.n; i++)
        g->routes[n++] =
            (struct http_route){g->cfg.health_paths.v[i], health_ready, shared};
    return n;
}

static int start_http(struct gateway *g)
{
    struct http_options o = {
        .host = g->cfg.host,
        .port = g->cfg.port,
        .unix_path = g->cfg.listen_unix,
        .max_connections = g->cfg.max_connections,
        .idle_timeout_ms = g->cfg.idle_timeout,
        .header_timeout_ms = g->cfg.header_timeout,
        .max_header_size = g->cfg.max_header_size,
        .max_body = g->cfg.max_body,
        .max_stream_buffer = g->cfg.max_sse_buffer,
        .keepalive_ms = g->cfg.keepalive,
        .not_found = health_not_found,
    };
    size_t n = build_routes(g);

    return http_start(&g->http, g->loop, &o, g->routes, n);
}

static void start_signals(struct gateway *g)
{
    uv_signal_init(g->loop, &g->sigterm);
    uv_signal_init(g->loop, &g->sigint);
    uv_signal_init(g->loop, &g->sighup);
    uv_signal_start(&g->sigterm, on_signal, SIGTERM);
    uv_signal_start(&g->sigint, on_signal, SIGINT);
    uv_signal_start(&g->sighup, on_signal, SIGHUP);
    uv_timer_init(g->loop, &g->drain_poll);
}

/*
 * --parent-death: the kernel sends SIGTERM when the parent goes, which
 * starts the usual shutdown. A parent already gone by now is checked by
 * hand, since the signal would never come.
 */
static bool parent_gone(struct gateway *g, pid_t parent)
{
    if (!g->cfg.parent_death)
        return false;
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
        fatal("main", "--parent-death: %s", strerror(errno));
    return getppid() != parent;
}

/* Parses the command line; exits for --help, --version and errors. */
static void configure(struct gateway *g, int argc, char **argv)
{
    extern char **environ;
    char err[256];

    if (config_parse(&g->cfg, argc, argv, environ, err, sizeof(err)) < 0) {
        fprintf(stderr, "mcpgw: %s (see mcpgw --help)\n", err);
        exit(2);
    }
    if (g->cfg.action == CONFIG_HELP) {
        fputs(config_usage(), stdout);
        exit(0);
    }
    if (g->cfg.action == CONFIG_VERSION) {
        printf("mcpgw %s\n", MCPGW_VERSION);
        exit(0);
    }
}

/* The gate reads token files, so the token check comes after it. */
static void open_gate(struct gateway *g)
{
    char err[256] = "";

    if (gate_init(&g->gate, &g->cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "mcpgw: %s\n", err[0] ? err : "out of memory");
        exit(2);
    }
    if (!gate_is_local(&g->cfg) && g->gate.tokens.n == 0 &&
        !g->cfg.allow_unauthenticated) {
        fprintf(stderr,
                "mcpgw: --host %s is not a loopback address: give "
                "--auth-token (or ACCESS_TOKEN), or --allow-unauthenticated\n",
                g->cfg.host);
        exit(2);
    }
}

static bool is_token_flag(const char *w, size_t n)
{
    return (strlen("--auth-token") == n &&
            strncmp(w, "--auth-token", n) == 0) ||
           (strlen("--authToken") == n && strncmp(w, "--authToken", n) == 0);
}

static void wipe(char *s)
{
    memset(s, 'x', strlen(s));
}

/*
 * Tokens were copied into the configuration. Their text in argv and in
 * the initial environment is still readable in /proc/<pid>/cmdline and
 * /proc/<pid>/environ, so it is overwritten; and the gateway is made
 * undumpable, which closes its /proc files (environ, mem) to processes of
 * the same user, such as an MCP server run without --sandbox.
 */
static void hide_secrets(int argc, char **argv)
{
    extern char **environ;

    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq && is_token_flag(argv[i], (size_t)(eq - argv[i])))
            wipe(eq + 1);
        else if (is_token_flag(argv[i], strlen(argv[i])) && i + 1 < argc)
            wipe(argv[++i]);
    }
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "ACCESS_TOKEN=", 13) == 0 ||
            strncmp(*e, "MCPGW_AUTH_TOKEN=", 17) == 0)
            wipe(strchr(*e, '=') + 1);
    if (prctl(PR_SET_DUMPABLE, 0) < 0)
        log_warn("main", "cannot make the gateway undumpable: %s",
                 strerror(errno));
}

/* The helper between fork and the MCP server's exec, and the report. */
static void dispatch_sandbox(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], SANDBOX_EXEC_WORD) == 0)
        exit(sandbox_exec_main(argc, argv));
    if (argc > 1 && strcmp(argv[1], SANDBOX_CHECK_WORD) == 0)
        exit(sandbox_check_main(argc, argv));
}

static void start_sandbox(struct gateway *g)
{
    char err[512] = "";

    if (sandbox_start(&g->cfg, &g->gate.tokens, err, sizeof(err)) < 0) {
        fprintf(stderr, "mcpgw: %s\n", err[0] ? err : "out of memory");
        exit(2);
    }
    log_info("main", "%s", sandbox_summary());
}

int main(int argc, char **argv)
{
    struct gateway *g = &gw;
    pid_t parent = getppid();

    dispatch_sandbox(argc, argv);
    if (argc > 1 && strcmp(argv[1], "keygen") == 0)
        return cli_keygen_main(argc, argv);
    if (argc > 1 && strcmp(argv[1], "probe") == 0)
        return cli_probe_main(argc, argv);
    configure(g, argc, argv);
    open_gate(g);
    log_init(g->cfg.log_level, g->cfg.log_format);
    hide_secrets(argc, argv);
    start_sandbox(g);
    /* A child that dies mid-write must cost an error, not the gateway. */
    signal(SIGPIPE, SIG_IGN);
    g->loop = uv_default_loop();
    /* Signals are caught from here on and handled once the loop runs. */
    start_signals(g);
    bool orphaned = parent_gone(g, parent);

    if (reaper_start(g->loop) < 0)
        log_warn("main", "cannot become the child subreaper: %s",
                 strerror(errno));
    if (session_table_init(&g->sessions, g->loop, &g->cfg, !g->cfg.stateful) ||
        (!g->cfg.stateful && pool_start(&g->pool, g->loop, &g->cfg)))
        fatal("main", "out of memory");
    if (start_http(g) < 0) {
        stop_children(g, on_http_stopped);
        uv_run(g->loop, UV_RUN_DEFAULT);
        sandbox_stop();
        return 1;
    }
    log_info("main", "mcpgw %s listening on http://%s (%s: %s, sse: %s)%s",
             MCPGW_VERSION, http_bound(g->http), "streamable",
             strcmp(g->cfg.output_transport, "sse") ? g->cfg.streamable_path
                                                    : "off",
             strcmp(g->cfg.output_transport, "streamableHttp") ? g->cfg.sse_path
                                                               : "off",
             g->gate.tokens.n ? ", bearer token required" : "");
    if (orphaned)
        begin_shutdown("parent gone");

    uv_run(g->loop, UV_RUN_DEFAULT);
    sandbox_stop();
    gate_free(&g->gate);
    config_free(&g->cfg);
    uv_loop_close(g->loop);
    log_info("main", "stopped");
    return 0;
}
