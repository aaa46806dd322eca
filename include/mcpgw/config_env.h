/* SPDX-License-Identifier: MIT */
/*
 * The variables of the container workflow that Supergateway is run in
 * (`.env` with NPM_MCP, NPM_MCP_ARGS and SUPERGATEWAY_EXTRA_ARGS), read
 * by mcpgw itself so that it can be a container's ENTRYPOINT with no
 * shell in front of it.
 */
#ifndef MCPGW_CONFIG_ENV_H
#define MCPGW_CONFIG_ENV_H

#include <stddef.h>

#define CONFIG_ENV_EXTRA     "SUPERGATEWAY_EXTRA_ARGS"
#define CONFIG_ENV_NPM       "NPM_MCP"
#define CONFIG_ENV_NPM_ARGS  "NPM_MCP_ARGS"
#define CONFIG_ENV_MAX_WORDS 128   /* words in SUPERGATEWAY_EXTRA_ARGS */
#define CONFIG_ENV_MAX_BYTES 16384 /* bytes of any one of the variables */

/*
 * SUPERGATEWAY_EXTRA_ARGS split into words, shaped like argv so the flag
 * parser can walk it: v[0] is the variable's name, v[1..n) the words.
 */
struct config_words {
    char *buf; /* owned: a copy of the value, a NUL after each word */
    char *v[CONFIG_ENV_MAX_WORDS + 1]; /* point into buf, but v[0] */
    int n;                             /* entries in v, v[0] included */
};

/*
 * Splits val at spaces, tabs and newlines, as the shell splits an
 * unquoted $VAR: quotes and backslashes are ordinary characters, so a
 * word cannot hold a blank. Returns 0, or -EINVAL with one line in err
 * (too long, too many words), or -ENOMEM.
 */
int config_env_split(const char *val, struct config_words *w, char *err,
                     size_t errlen);

/* Frees what config_env_split allocated and empties w. */
void config_env_words_free(struct config_words *w);

/*
 * The MCP server command the workflow runs: `exec npx --no PKG ARGS`.
 * pkg must be one npm package spec (a name, @scope/name, an optional
 * @version or tag, or a git, file or URL spec) made of characters that
 * mean nothing to the shell; args, which may be NULL or empty, go to the
 * shell as written (it splits them, as the workflow's `sh -c` does) and
 * must hold no control characters but tabs. On success *cmd is a new
 * string the caller frees. Returns -EINVAL with one line naming the
 * variable in err, or -ENOMEM.
 */
int config_env_npm_command(const char *pkg, const char *args, char **cmd,
                           char *err, size_t errlen);

#endif
