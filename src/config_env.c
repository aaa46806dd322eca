/* SPDX-License-Identifier: MIT */
/* NPM_MCP, NPM_MCP_ARGS and SUPERGATEWAY_EXTRA_ARGS, parsed without a shell. */
#include "mcpgw/config_env.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcpgw/log.h"

#define QUOTE_MAX   64 /* bytes of a bad value quoted back in an error */
#define QUOTE_BYTES (4 * QUOTE_MAX + 4)

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

int config_env_split(const char *val, struct config_words *w, char *err,
                     size_t errlen)
{
    size_t len = strlen(val);

    *w = (struct config_words){.v = {CONFIG_ENV_EXTRA}, .n = 1};
    if (len > CONFIG_ENV_MAX_BYTES)
        return fail(err, errlen, "%s: too long (at most %d bytes)",
                    CONFIG_ENV_EXTRA, CONFIG_ENV_MAX_BYTES);
    w->buf = strdup(val);
    if (!w->buf)
        return -ENOMEM;
    for (char *p = w->buf; *p;) {
        if (is_blank(*p)) {
            *p++ = '\0';
            continue;
        }
        if (w->n == CONFIG_ENV_MAX_WORDS + 1) {
            config_env_words_free(w);
            return fail(err, errlen, "%s: too many words (at most %d)",
                        CONFIG_ENV_EXTRA, CONFIG_ENV_MAX_WORDS);
        }
        w->v[w->n++] = p;
        while (*p && !is_blank(*p))
            p++;
    }
    return 0;
}

void config_env_words_free(struct config_words *w)
{
    free(w->buf);
    *w = (struct config_words){.n = 0};
}

/*
 * What npm package specs are written with (names, scopes, versions and
 * ranges without spaces, tags, git+https://host/x.git#ref, file:dir),
 * and nothing the shell would act on: no blanks, quotes, $, `, ;, |, &,
 * <, >, globs or parentheses.
 */
static bool is_spec_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || strchr("@/._-~^:+#=%,", c);
}

static int check_package(const char *pkg, char *err, size_t errlen)
{
    char q[QUOTE_BYTES];
    bool good = pkg[0] != '-' && strlen(pkg) <= CONFIG_ENV_MAX_BYTES;

    for (const char *p = pkg; good && *p; p++)
        good = is_spec_char(*p);
    if (good)
        return 0;
    return fail(err, errlen,
                "%s: invalid package '%s' (want one npm package such as "
                "@scope/name@1.2.3; its arguments go in %s)",
                CONFIG_ENV_NPM, log_escape(pkg, strlen(pkg), QUOTE_MAX, q),
                CONFIG_ENV_NPM_ARGS);
}

/* A newline would end the command and start another one in the shell. */
static int check_args(const char *args, char *err, size_t errlen)
{
    if (strlen(args) > CONFIG_ENV_MAX_BYTES)
        return fail(err, errlen, "%s: too long (at most %d bytes)",
                    CONFIG_ENV_NPM_ARGS, CONFIG_ENV_MAX_BYTES);
    for (const unsigned char *p = (const unsigned char *)args; *p; p++) {
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return fail(err, errlen,
                        "%s: control character 0x%02x (the arguments are "
                        "one shell command line)",
                        CONFIG_ENV_NPM_ARGS, *p);
    }
    return 0;
}

int config_env_npm_command(const char *pkg, const char *args, char **cmd,
                           char *err, size_t errlen)
{
    *cmd = NULL;
    if (!args)
        args = "";
    int rc = check_package(pkg, err, errlen);
    if (rc == 0)
        rc = check_args(args, err, errlen);
    if (rc < 0)
        return rc;
    /* exec: the server, not a shell, is the process mcpgw supervises. */
    if (asprintf(cmd, "exec npx --no %s%s%s", pkg, *args ? " " : "", args) <
        0) {
        *cmd = NULL;
        return -ENOMEM;
    }
    return 0;
}
