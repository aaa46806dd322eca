/* SPDX-License-Identifier: MIT */
/* mcpgw keygen and mcpgw probe: small tools that run and exit. */
#include "mcpgw/cli.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "mcpgw/config.h"

#define KEY_MAX_BYTES 1024

int cli_keygen_main(int argc, char **argv)
{
    unsigned char key[KEY_MAX_BYTES];
    size_t n = 32;

    for (int i = 2; i < argc; i++) {
        char *end;
        if (strcmp(argv[i], "--bytes") == 0 && i + 1 < argc)
            n = strtoul(argv[++i], &end, 10);
        else
            n = 0;
        if (n == 0 || n > KEY_MAX_BYTES) {
            fprintf(stderr, "usage: mcpgw keygen [--bytes 1..%d]\n",
                    KEY_MAX_BYTES);
            return 2;
        }
    }
    if (RAND_bytes(key, (int)n) != 1) {
        fprintf(stderr, "mcpgw keygen: no randomness from OpenSSL\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        printf("%02x", key[i]);
    printf("\n");
    OPENSSL_cleanse(key, n);
    return 0;
}

struct url {
    char host[256];
    char port[8];
    const char *path;
};

/* http://host[:port][/path], with [v6] hosts; nothing else. */
static int parse_url(const char *s, struct url *u)
{
    const char *p = s + 7, *end, *colon;
    size_t hn;

    if (strncmp(s, "http://", 7) != 0)
        return -EINVAL;
    end = strchr(p, '/');
    u->path = end ? end : "/";
    if (!end)
        end = p + strlen(p);
    colon = *p == '[' ? strchr(p, ']') : memchr(p, ':', (size_t)(end - p));
    if (*p == '[' && colon) {
        p++;
        hn = (size_t)(colon - p);
        colon = colon[1] == ':' ? colon + 1 : NULL;
    } else {
        hn = (size_t)((colon ? colon : end) - p);
    }
    if (hn == 0 || hn >= sizeof(u->host))
        return -EINVAL;
    memcpy(u->host, p, hn);
    u->host[hn] = '\0';
    snprintf(u->port, sizeof(u->port), "%.*s",
             colon ? (int)(end - colon - 1) : 2, colon ? colon + 1 : "80");
    return 0;
}

static int connect_to(const struct url *u, int timeout_ms)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
    int fd = -1;

    if (getaddrinfo(u->host, u->port, &hints, &res) != 0)
        return -1;
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

/* Sends the GET and reads the status code of the answer, or -1. */
static int get_status(const struct url *u, int timeout_ms)
{
    char req[512], resp[64];
    int fd = connect_to(u, timeout_ms), n, status = -1;

    if (fd < 0)
        return -1;
    n = snprintf(req, sizeof(req),
                 "GET %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n"
                 "\r\n",
                 u->path, u->host, u->port);
    if (n > 0 && (size_t)n < sizeof(req) && write(fd, req, (size_t)n) == n) {
        ssize_t got = read(fd, resp, sizeof(resp) - 1);
        if (got > 12) {
            resp[got] = '\0';
            if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
                status = -1;
        }
    }
    close(fd);
    return status;
}

extern char **environ;

/*
 * The /readyz of the gateway this environment configures (MCPGW_*,
 * SUPERGATEWAY_EXTRA_ARGS), for a HEALTHCHECK that cannot see the
 * arguments the gateway was started with. Returns 0 or -1, said.
 */
static int own_url(char *out, size_t cap)
{
    struct gw_config cfg;
    char err[256];
    /* Only where it listens matters; the command is not run. */
    char *args[] = {"mcpgw", "--stdio", "true", NULL};
    const char *host;

    if (config_parse(&cfg, 3, args, environ, err, sizeof(err)) < 0) {
        fprintf(stderr, "mcpgw probe: %s\n", err);
        return -1;
    }
    host = cfg.host;
    if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "") == 0)
        host = "127.0.0.1";
    else if (strcmp(host, "::") == 0)
        host = "::1";
    snprintf(out, cap,
             strchr(host, ':') ? "http://[%s]:%u/readyz"
                               : "http://%s:%u/readyz",
             host, (unsigned)cfg.port);
    int unix_only = cfg.listen_unix != NULL;
    config_free(&cfg);
    if (unix_only) {
        fprintf(stderr, "mcpgw probe: the gateway listens on a Unix "
                        "socket; give a URL\n");
        return -1;
    }
    return 0;
}

int cli_probe_main(int argc, char **argv)
{
    struct url u;
    uint64_t timeout = 3000;
    char own[300];
    const char *url =
        argc > 2 && strncmp(argv[2], "--", 2) != 0 ? argv[2] : NULL;
    int first_opt = url ? 3 : 2, status;

    if (argc == first_opt + 2 && strcmp(argv[first_opt], "--timeout") == 0 &&
        config_parse_ms(argv[first_opt + 1], &timeout) < 0)
        argc = 0;
    if ((argc != first_opt && argc != first_opt + 2) ||
        (url && parse_url(url, &u) < 0)) {
        fprintf(stderr, "usage: mcpgw probe [http://HOST:PORT/PATH] "
                        "[--timeout TIME]\n");
        return 2;
    }
    if (url == NULL) {
        if (own_url(own, sizeof(own)) < 0 || parse_url(own, &u) < 0)
            return 2;
        url = own;
    }
    status = get_status(&u, (int)timeout);
    if (status < 0)
        fprintf(stderr, "mcpgw probe: %s: no answer\n", url);
    else if (status != 200)
        fprintf(stderr, "mcpgw probe: %s: status %d\n", url, status);
    return status == 200 ? 0 : 1;
}
