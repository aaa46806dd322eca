/* SPDX-License-Identifier: MIT */
/* The helper's plan, written as KEY=VALUE words on its command line. */
#include "sandbox_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcpgw/sandbox.h"

#define MAX_WORDS (16 + 3 * SB_MAX_PATHS + SB_MAX_CGROUPS)

struct words {
    char **v;
    size_t n;
    bool oom;
};

static void add(struct words *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add(struct words *w, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    if (w->oom || w->n + 1 >= MAX_WORDS)
        return;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    if (s == NULL)
        w->oom = true;
    else
        w->v[w->n++] = s;
}

static void add_num(struct words *w, const char *key, uint64_t v)
{
    if (v > 0)
        add(w, "%s=%" PRIu64, key, v);
}

static void add_paths(struct words *w, const char *key,
                      const struct sb_paths *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        add(w, "%s=%s", key, ps->v[i]);
}

static const char *mode_name(enum sb_mode m)
{
    return m == SB_STRICT ? "strict" : m == SB_BEST ? "best" : "off";
}

char **sb_plan_argv(const struct sb_plan *p, const char *self, const char *cmd)
{
    struct words w = {calloc(MAX_WORDS + 1, sizeof(char *)), 0, false};

    if (w.v == NULL)
        return NULL;
    add(&w, "%s", self);
    add(&w, "%s", SANDBOX_EXEC_WORD);
    add(&w, "mode=%s", mode_name(p->mode));
    add(&w, "ppid=%d", (int)p->ppid);
    for (size_t i = 0; i < p->ncgroups; i++)
        add(&w, "cgroup=%s", p->cgroups[i]);
    add_num(&w, "nofile", p->rl_nofile);
    add_num(&w, "cpu", p->rl_cpu);
    add_num(&w, "as", p->rl_as);
    add_num(&w, "nproc", p->rl_nproc);
    if (p->netns)
        add(&w, "netns=1");
    if (p->cwd)
        add(&w, "cwd=%s", p->cwd);
    if (p->set_user)
        add(&w, "user=%u:%u", (unsigned)p->uid, (unsigned)p->gid);
    if (p->landlock > 0) {
        add(&w, "landlock=%d", p->landlock);
        if (p->landlock_tcp)
            add(&w, "lltcp=1");
        add_paths(&w, "ro", &p->ro);
        add_paths(&w, "rw", &p->rw);
        add_paths(&w, "dev", &p->dev);
    }
    if (p->seccomp)
        add(&w, "seccomp=%s", p->seccomp_nonet ? "nonet" : "1");
    add(&w, "--");
    add(&w, "%s", cmd);
    if (w.oom) {
        sb_strv_free(w.v);
        return NULL;
    }
    return w.v;
}

static int bad(char *err, size_t errlen, const char *what, const char *word)
{
    snprintf(err, errlen, "%s: %.200s", what, word);
    return -1;
}

static int num(const char *s, uint64_t *out)
{
    char *end;

    errno = 0;
    if (*s < '0' || *s > '9')
        return -1;
    *out = strtoull(s, &end, 10);
    return errno || *end ? -1 : 0;
}

static int put_path(struct sb_paths *ps, const char *v)
{
    if (ps->n == SB_MAX_PATHS || v[0] != '/')
        return -1;
    ps->v[ps->n++] = v;
    return 0;
}

static int parse_user(struct sb_plan *p, const char *v)
{
    unsigned u, g;
    int end = 0;

    if (sscanf(v, "%u:%u%n", &u, &g, &end) != 2 || v[end] != '\0')
        return -1;
    p->set_user = true;
    p->uid = (uid_t)u;
    p->gid = (gid_t)g;
    return 0;
}

static int parse_mode(struct sb_plan *p, const char *v)
{
    if (strcmp(v, "strict") == 0)
        p->mode = SB_STRICT;
    else if (strcmp(v, "best") == 0)
        p->mode = SB_BEST;
    else if (strcmp(v, "off") == 0)
        p->mode = SB_OFF;
    else
        return -1;
    return 0;
}

/* One KEY=VALUE word; returns -1 when the key or its value is bad. */
static int parse_word(struct sb_plan *p, const char *key, size_t klen,
                      const char *v)
{
    uint64_t n = 0;

#define KEY(k) (klen == sizeof(k) - 1 && memcmp(key, k, klen) == 0)
    if (KEY("mode"))
        return parse_mode(p, v);
    if (KEY("ppid")) {
        if (num(v, &n) < 0 || n == 0 || n > INT32_MAX)
            return -1;
        p->ppid = (pid_t)n;
        return 0;
    }
    if (KEY("cgroup")) {
        if (p->ncgroups == SB_MAX_CGROUPS || v[0] != '/')
            return -1;
        p->cgroups[p->ncgroups++] = v;
        return 0;
    }
    if (KEY("nofile"))
        return num(v, &p->rl_nofile);
    if (KEY("cpu"))
        return num(v, &p->rl_cpu);
    if (KEY("as"))
        return num(v, &p->rl_as);
    if (KEY("nproc"))
        return num(v, &p->rl_nproc);
    if (KEY("netns"))
        return (p->netns = strcmp(v, "1") == 0) ? 0 : -1;
    if (KEY("cwd")) {
        p->cwd = v;
        return v[0] == '/' ? 0 : -1;
    }
    if (KEY("user"))
        return parse_user(p, v);
    if (KEY("landlock")) {
        if (num(v, &n) < 0 || n == 0 || n > 1000)
            return -1;
        p->landlock = (int)n;
        return 0;
    }
    if (KEY("lltcp"))
        return (p->landlock_tcp = strcmp(v, "1") == 0) ? 0 : -1;
    if (KEY("ro"))
        return put_path(&p->ro, v);
    if (KEY("rw"))
        return put_path(&p->rw, v);
    if (KEY("dev"))
        return put_path(&p->dev, v);
    if (KEY("seccomp")) {
        p->seccomp = true;
        p->seccomp_nonet = strcmp(v, "nonet") == 0;
        return p->seccomp_nonet || strcmp(v, "1") == 0 ? 0 : -1;
    }
#undef KEY
    return -1;
}

int sb_plan_parse(struct sb_plan *p, int argc, char **argv, const char **cmd,
                  char *err, size_t errlen)
{
    int i = 2;

    memset(p, 0, sizeof(*p));
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *eq = strchr(argv[i], '=');
        if (eq == NULL ||
            parse_word(p, argv[i], (size_t)(eq - argv[i]), eq + 1) < 0)
            return bad(err, errlen, "bad plan word", argv[i]);
    }
    if (i + 2 != argc)
        return bad(err, errlen, "want", "PLAN... -- CMD");
    if (p->ppid == 0)
        return bad(err, errlen, "missing", "ppid=");
    *cmd = argv[i + 1];
    return 0;
}
