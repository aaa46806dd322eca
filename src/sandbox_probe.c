/* SPDX-License-Identifier: MIT */
/* What this kernel, in this container, lets the gateway do to its child. */
#include "sandbox_int.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mcpgw/sandbox.h"

bool sb_pretend_missing(const char *name)
{
    const char *list = getenv(SANDBOX_PRETEND_ENV);
    size_t n = strlen(name);

    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

static const char pretend[] = "made missing by " SANDBOX_PRETEND_ENV;

/*
 * Runs fn in a forked child, so that what it changes (a namespace, a
 * filter) dies with it. Returns 0 when fn returned 0, else the errno it
 * returned.
 */
static int in_child(int (*fn)(void))
{
    int status = 0;

    /* Whatever stdio holds must not be written twice. */
    fflush(NULL);
    pid_t pid = fork();

    if (pid < 0)
        return errno;
    if (pid == 0)
        _exit(fn());
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status))
        return EINTR;
    return WEXITSTATUS(status);
}

static int try_netns(void)
{
    return unshare(CLONE_NEWNET) < 0 ? errno : 0;
}

static int try_userns(void)
{
    return unshare(CLONE_NEWUSER) < 0 ? errno : 0;
}

/* A non-root gateway gets its network namespace inside a user one. */
static int try_userns_netns(void)
{
    return unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0 ? errno : 0;
}

static int try_seccomp(void)
{
    char err[128];

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return errno;
    return sb_seccomp_apply(true, err, sizeof(err)) < 0 ? EPERM : 0;
}

static void why_errno(char *why, size_t len, const char *what, int e)
{
    snprintf(why, len, "%s: %s", what, strerror(e));
}

static void probe_landlock(struct sb_host *h)
{
    if (sb_pretend_missing("landlock")) {
        snprintf(h->landlock_why, sizeof(h->landlock_why), "%s", pretend);
        return;
    }
    h->landlock_abi = sb_landlock_abi();
    if (h->landlock_abi == 0)
        why_errno(h->landlock_why, sizeof(h->landlock_why),
                  "landlock_create_ruleset", errno);
}

static void probe_namespaces(struct sb_host *h)
{
    int e;

    if (sb_pretend_missing("userns"))
        snprintf(h->userns_why, sizeof(h->userns_why), "%s", pretend);
    else if ((e = in_child(try_userns)) != 0)
        why_errno(h->userns_why, sizeof(h->userns_why),
                  "unshare(CLONE_NEWUSER)", e);
    else
        h->userns = true;

    if (sb_pretend_missing("netns")) {
        snprintf(h->netns_why, sizeof(h->netns_why), "%s", pretend);
        return;
    }
    e = in_child(h->root ? try_netns : try_userns_netns);
    if (e != 0)
        why_errno(h->netns_why, sizeof(h->netns_why),
                  h->root ? "unshare(CLONE_NEWNET)"
                          : "unshare(CLONE_NEWUSER|CLONE_NEWNET)",
                  e);
    else
        h->netns = true;
}

void sb_probe(struct sb_host *h)
{
    int e;

    memset(h, 0, sizeof(*h));
    h->root = geteuid() == 0;
    h->close_range =
        syscall(SYS_close_range, ~0U, ~0U, 0) == 0 || errno != ENOSYS;
    probe_landlock(h);
    if (sb_pretend_missing("seccomp"))
        snprintf(h->seccomp_why, sizeof(h->seccomp_why), "%s", pretend);
    else if ((e = in_child(try_seccomp)) != 0)
        why_errno(h->seccomp_why, sizeof(h->seccomp_why), "loading a filter",
                  e);
    else
        h->seccomp = true;
    probe_namespaces(h);
}
