/* SPDX-License-Identifier: MIT */
/*
 * config_parse over arbitrary argv and envp. Whatever the words, an error
 * is one printable line, NUL-terminated inside err, and never shows the
 * token given by --auth-token (or by MCPGW_AUTH_TOKEN / ACCESS_TOKEN);
 * a success holds sane values and the token.
 *
 * Input: byte 0 picks how and where the token "FUZZSECRET" goes in (bits
 * 0-1 the flag's spelling, 2-3 an environment variable instead or too,
 * 4-7 the position among the words, 15 for last), byte 1 the size of
 * err (0: 512).
 * The rest is split at NUL bytes into words: argv up to the first empty
 * word, then envp (the words that hold a '=').
 */
#include "mcpgw/config.h"

#include <errno.h>

#include "fuzz_util.h"

#define MAX_WORDS 32
#define SECRET    "FUZZSECRET"

static void check_list(const struct config_list *l)
{
    CHECK(l->n <= CONFIG_MAX_LIST);
    for (size_t i = 0; i < l->n; i++) {
        CHECK(l->v[i] != NULL && l->v[i][0] != '\0');
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(l->v[i], l->v[j]) != 0);
    }
}

static bool list_has(const struct config_list *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

static void check_ok(const struct gw_config *c, bool token_given)
{
    const struct config_list *lists[] = {
        &c->health_paths,     &c->cors,          &c->auth_tokens,
        &c->auth_token_files, &c->allowed_hosts, &c->allowed_origins,
    };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        check_list(lists[i]);
    for (size_t i = 0; i < c->auth_tokens.n; i++) {
        const char *t = c->auth_tokens.v[i];
        size_t n = strlen(t);
        /* Tokens are compared with the trimmed header value. */
        CHECK(!strchr(" \t\r\n", t[0]) && !strchr(" \t\r\n", t[n - 1]));
    }
    for (size_t i = 0; i < c->health_paths.n; i++)
        CHECK(c->health_paths.v[i][0] == '/');
    if (c->action != CONFIG_RUN)
        return;
    CHECK(c->stdio_cmd && c->stdio_cmd[0]);
    CHECK(c->host && c->protocol_version && c->streamable_path &&
          c->output_transport);
    CHECK(c->streamable_path[0] == '/');
    CHECK(c->output_transport[0] != '\0'); /* streamableHttp, sse, both */
    CHECK(c->port >= 1);
    CHECK(c->max_body > 0 && c->max_frame > 0 && c->max_stdin_queue > 0 &&
          c->max_sse_buffer > 0 && c->max_header_size > 0);
    CHECK(c->max_inflight >= 1 && c->max_connections >= 1 &&
          c->max_json_depth >= 1);
    if (token_given)
        CHECK(list_has(&c->auth_tokens, SECRET));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned ctl = data[0];
    size_t errlen = data[1] ? data[1] : 512;
    char *words = xstrndup(data + 2, size - 2);
    size_t wlen = size - 2;

    /* argv[0], up to MAX_WORDS words, the token's (at most 2), NULL. */
    char *argv[MAX_WORDS + 4];
    char *envp[MAX_WORDS + 2];
    int argc = 0, envc = 0;
    char *fuzz_argv[MAX_WORDS];
    int nfuzz = 0;
    bool in_env = false;

    for (size_t i = 0; i <= wlen;) {
        char *w = words + i;
        size_t n = strlen(w);
        if (n == 0 && !in_env && i < wlen) {
            in_env = true;
        } else if (in_env) {
            if (strchr(w, '=') && envc < MAX_WORDS)
                envp[1 + envc++] = w;
        } else if (n > 0 && nfuzz < MAX_WORDS) {
            fuzz_argv[nfuzz++] = w;
        }
        i += n + 1;
    }

    static const char *const forms[][2] = {
        {"--auth-token", SECRET},
        {"--auth-token=" SECRET, NULL},
        {"--authToken", SECRET},
        {"--authToken=" SECRET, NULL},
    };
    static const char *const env_forms[] = {
        NULL,
        "MCPGW_AUTH_TOKEN=" SECRET,
        "ACCESS_TOKEN=  " SECRET "\n",
        "MCPGW_AUTH_TOKEN=, " SECRET " ,x,",
    };
    const char *const *form = forms[ctl & 3];
    const char *env_form = env_forms[(ctl >> 2) & 3];
    /* 15 puts it last, where a full list makes it the one refused. */
    int at = ctl >> 4 == 15 ? nfuzz : (int)(ctl >> 4) % (nfuzz + 1);

    argv[argc++] = "mcpgw";
    for (int i = 0; i <= nfuzz; i++) {
        if (i == at) {
            argv[argc++] = (char *)form[0];
            if (form[1])
                argv[argc++] = (char *)form[1];
        }
        if (i < nfuzz)
            argv[argc++] = fuzz_argv[i];
    }
    argv[argc] = NULL;
    /* First, so that a fuzzed variable of the same name does not hide it. */
    envp[0] = (char *)(env_form ? env_form : "HOME=/root");
    envp[1 + envc] = NULL;

    char *err = xmalloc(errlen);
    memset(err, 0xA5, errlen);
    struct gw_config cfg;
    int rc = config_parse(&cfg, argc, argv, envp, err, errlen);
    CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);

    /* err is a C string inside its buffer, on success too ("" then). */
    char *nul = memchr(err, '\0', errlen);
    CHECK(nul != NULL);
    size_t elen = (size_t)(nul - err);
    if (rc == 0) {
        CHECK(elen == 0);
        check_ok(&cfg, true);
    } else {
        CHECK(errlen == 1 || elen > 0);
        for (size_t i = 0; i < elen; i++)
            CHECK(err[i] >= 0x20 && err[i] < 0x7f); /* one printable line */
        if (!has_bytes(data, size, SECRET))
            CHECK(!has_bytes(err, elen, SECRET));
        /* Nothing is left behind, tokens least of all. */
        CHECK(cfg.auth_tokens.n == 0 && cfg.stdio_cmd == NULL);
    }
    config_free(&cfg);
    CHECK(cfg.stdio_cmd == NULL && cfg.host == NULL && cfg.auth_tokens.n == 0);

    free(err);
    free(words);
    return 0;
}
