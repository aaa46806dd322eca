/* SPDX-License-Identifier: MIT */
/* Unit tests for NPM_MCP, NPM_MCP_ARGS and SUPERGATEWAY_EXTRA_ARGS. */
#include "mcpgw/config_env.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcpgw/config.h"
#include "tap.h"

#define SECRET "s3cr3t-T0KEN"

static struct gw_config cfg;
static char err[256];

/* Parses "mcpgw" followed by the NULL-terminated words, with env. */
static int parse(char **env, ...)
{
    char *argv[32] = {"mcpgw"};
    int argc = 1;
    va_list ap;

    va_start(ap, env);
    for (char *w; argc < 31 && (w = va_arg(ap, char *));)
        argv[argc++] = w;
    va_end(ap);
    config_free(&cfg);
    err[0] = '\0';
    return config_parse(&cfg, argc, argv, env, err, sizeof err);
}

#define PE(...) parse(__VA_ARGS__, (char *)NULL)

#define is_err(rc, want, name)              \
    do {                                    \
        is_int(rc, -EINVAL, name " fails"); \
        is_str(err, want, name " message"); \
    } while (0)

static void test_split(void)
{
    struct config_words w;

    is_int(config_env_split(" --stateful\t--port  9000\n", &w, err, sizeof err),
           0, "split: parse");
    is_int(w.n, 4, "split: three words after the name");
    is_str(w.v[0], CONFIG_ENV_EXTRA, "split: v[0] is the variable");
    is_str(w.v[1], "--stateful", "split: first word");
    is_str(w.v[2], "--port", "split: tab and spaces separate");
    is_str(w.v[3], "9000", "split: trailing newline dropped");
    config_env_words_free(&w);

    is_int(config_env_split("--cors \"a b\"", &w, err, sizeof err), 0,
           "split quotes: parse");
    is_int(w.n, 4, "split: quotes do not group, as in sh");
    is_str(w.v[2], "\"a", "split: the quote stays in the word");
    config_env_words_free(&w);

    is_int(config_env_split("   ", &w, err, sizeof err), 0, "split blank");
    is_int(w.n, 1, "split: blank gives no words");
    config_env_words_free(&w);

    char many[3 * (CONFIG_ENV_MAX_WORDS + 1) + 1];
    for (int i = 0; i <= CONFIG_ENV_MAX_WORDS; i++)
        memcpy(many + 3 * i, "-x ", 3);
    many[sizeof many - 1] = '\0';
    is_err(config_env_split(many, &w, err, sizeof err),
           "SUPERGATEWAY_EXTRA_ARGS: too many words (at most 128)",
           "split: too many words");
    ok(w.buf == NULL, "split: nothing kept after an error");

    char *big = malloc(CONFIG_ENV_MAX_BYTES + 2);
    memset(big, 'a', CONFIG_ENV_MAX_BYTES + 1);
    big[CONFIG_ENV_MAX_BYTES + 1] = '\0';
    is_err(config_env_split(big, &w, err, sizeof err),
           "SUPERGATEWAY_EXTRA_ARGS: too long (at most 16384 bytes)",
           "split: too long");
    free(big);
}

static void test_npm_command(void)
{
    char *cmd = NULL;

    is_int(config_env_npm_command("@modelcontextprotocol/server-filesystem",
                                  "/data /srv", &cmd, err, sizeof err),
           0, "npm: parse");
    is_str(cmd,
           "exec npx --no @modelcontextprotocol/server-filesystem /data "
           "/srv",
           "npm: the workflow's command");
    free(cmd);
    is_int(config_env_npm_command("pkg@^1.2.3", NULL, &cmd, err, sizeof err), 0,
           "npm without args: parse");
    is_str(cmd, "exec npx --no pkg@^1.2.3", "npm: no trailing blank");
    free(cmd);
    is_int(config_env_npm_command("git+https://h.example/x.git#v1", "'a b'",
                                  &cmd, err, sizeof err),
           0, "npm git spec, quoted args: parse");
    is_str(cmd, "exec npx --no git+https://h.example/x.git#v1 'a b'",
           "npm: args go to the shell as written");
    free(cmd);

    is_err(config_env_npm_command("pkg;id", "", &cmd, err, sizeof err),
           "NPM_MCP: invalid package 'pkg;id' (want one npm package such as "
           "@scope/name@1.2.3; its arguments go in NPM_MCP_ARGS)",
           "npm: shell syntax in the package");
    ok(cmd == NULL, "npm: no command after an error");
    is_int(config_env_npm_command("pkg /data", "", &cmd, err, sizeof err),
           -EINVAL, "npm: a blank in the package");
    is_int(config_env_npm_command("-y", "", &cmd, err, sizeof err), -EINVAL,
           "npm: an npx option as the package");
    is_int(config_env_npm_command("pkg@$(id)", "", &cmd, err, sizeof err),
           -EINVAL, "npm: a substitution in the package");
    is_err(config_env_npm_command("pkg", "/a\nid", &cmd, err, sizeof err),
           "NPM_MCP_ARGS: control character 0x0a (the arguments are one "
           "shell command line)",
           "npm: a newline in the args");
}

static void test_extra_args(void)
{
    char *e1[] = {"SUPERGATEWAY_EXTRA_ARGS=--stateful --port 9000 "
                  "--healthEndpoint /a --logLevel debug",
                  "MCPGW_PORT=7000", "MCPGW_SESSION_TIMEOUT=5s", NULL};

    is_int(PE(e1, "--stdio", "cat"), 0, "extra: parse");
    is_int(cfg.stateful, 1, "extra: a bool flag");
    is_int(cfg.port, 9000, "extra: wins over MCPGW_PORT");
    is_int(cfg.session_timeout, 5000, "extra: other MCPGW_* still apply");
    is_int(cfg.log_level, LOG_DEBUG, "extra: camelCase flag");

    is_int(PE(e1, "--stdio", "cat", "--port", "9001", "--healthEndpoint", "/b"),
           0, "extra and flags: parse");
    is_int(cfg.port, 9001, "extra: the command line wins");
    is_int(cfg.health_paths.n, 2, "extra: repeatable flags add up");

    char *e2[] = {"SUPERGATEWAY_EXTRA_ARGS=--stdio cat --host ::", NULL};
    is_int(PE(e2), 0, "extra with --stdio: parse");
    is_str(cfg.stdio_cmd, "cat", "extra: --stdio may come from it");
    is_str(cfg.host, "::", "extra: --host may come from it");

    char *e3[] = {"SUPERGATEWAY_EXTRA_ARGS=--stateful --port abc", NULL};
    is_err(PE(e3, "--stdio", "cat"),
           "SUPERGATEWAY_EXTRA_ARGS: --port: invalid number 'abc'",
           "extra: a bad value names the variable");
    char *e4[] = {"SUPERGATEWAY_EXTRA_ARGS=--port", NULL};
    is_err(PE(e4, "--stdio", "cat"),
           "SUPERGATEWAY_EXTRA_ARGS: --port: missing value",
           "extra: a value is not taken from the command line");
    char *e5[] = {"SUPERGATEWAY_EXTRA_ARGS=--statefull", NULL};
    is_err(PE(e5, "--stdio", "cat"),
           "SUPERGATEWAY_EXTRA_ARGS: unknown flag --statefull",
           "extra: an unknown flag names the variable");
    char *e6[] = {"SUPERGATEWAY_EXTRA_ARGS=\"--stateful\"", NULL};
    is_err(PE(e6, "--stdio", "cat"),
           "SUPERGATEWAY_EXTRA_ARGS: unexpected argument "
           "'\\x22--stateful\\x22'",
           "extra: quotes are not removed");
    char *e7[] = {"SUPERGATEWAY_EXTRA_ARGS=--auth-token " SECRET, NULL};
    is_int(PE(e7, "--stdio", "cat"), -EINVAL, "extra: a token is refused");
    ok(!strstr(err, SECRET), "extra: the token is not in the error");
    ok(strstr(err, "SUPERGATEWAY_EXTRA_ARGS: --auth-token: ") == err,
       "extra: the token error names the variable and the flag");
    char *e8[] = {"SUPERGATEWAY_EXTRA_ARGS=", "MCPGW_PORT=7000", NULL};
    is_int(PE(e8, "--stdio", "cat"), 0, "extra: empty is nothing");
    is_int(cfg.port, 7000, "extra: empty leaves MCPGW_PORT alone");
    char *e9[] = {"SUPERGATEWAY_EXTRA_ARGS=--help", NULL};
    is_int(PE(e9), 0, "extra: --help parse");
    is_int(cfg.action, CONFIG_HELP, "extra: --help");
    char *e10[] = {"SUPERGATEWAY_EXTRA_ARGS=--env X", NULL};
    is_err(PE(e10, "--stdio", "cat"), "--env needs --sandbox",
           "extra: checks after parsing still apply");
}

static void test_npm_stdio(void)
{
    char *e1[] = {"NPM_MCP= @modelcontextprotocol/server-filesystem ",
                  "NPM_MCP_ARGS=/data", NULL};

    is_int(PE(e1), 0, "NPM_MCP: parse");
    is_str(cfg.stdio_cmd,
           "exec npx --no @modelcontextprotocol/server-filesystem /data",
           "NPM_MCP: the command, the package trimmed");
    is_int(PE(e1, "--stdio", "cat"), 0, "NPM_MCP and --stdio: parse");
    is_str(cfg.stdio_cmd, "cat", "NPM_MCP: --stdio wins");

    char *e2[] = {"NPM_MCP=pkg", "MCPGW_STDIO=cat", NULL};
    is_int(PE(e2), 0, "NPM_MCP and MCPGW_STDIO: parse");
    is_str(cfg.stdio_cmd, "cat", "NPM_MCP: MCPGW_STDIO wins");

    char *e3[] = {"NPM_MCP=", "NPM_MCP_ARGS=/data", NULL};
    is_err(PE(e3), "--stdio is required (or NPM_MCP)",
           "NPM_MCP empty: no command");
    char *e4[] = {"NPM_MCP=a|b", NULL};
    is_err(PE(e4),
           "NPM_MCP: invalid package 'a|b' (want one npm package such as "
           "@scope/name@1.2.3; its arguments go in NPM_MCP_ARGS)",
           "NPM_MCP: a bad package names the variable");
    char *e5[] = {"NPM_MCP=a|b", NULL};
    is_int(PE(e5, "--stdio", "cat"), 0, "NPM_MCP unused is not checked");
}

int main(void)
{
    test_split();
    test_npm_command();
    test_extra_args();
    test_npm_stdio();
    config_free(&cfg);
    return tap_done();
}
