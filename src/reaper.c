/* SPDX-License-Identifier: MIT */
/* Reaps orphans reparented to the gateway, leaving libuv its own. */
#include "mcpgw/reaper.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mcpgw/log.h"

#define MAX_CHILDREN_LIST 4096 /* pids read from one children file */

static uv_signal_t sigchld;
static bool started;
static pid_t *owned; /* owned array of the pids libuv spawned */
static size_t nowned, capowned;

void reaper_own(pid_t pid)
{
    if (nowned == capowned) {
        size_t cap = capowned ? 2 * capowned : 16;
        pid_t *p = realloc(owned, cap * sizeof(*p));
        if (p == NULL)
            return;
        owned = p;
        capowned = cap;
    }
    owned[nowned++] = pid;
}

void reaper_disown(pid_t pid)
{
    for (size_t i = 0; i < nowned; i++) {
        if (owned[i] == pid) {
            owned[i] = owned[--nowned];
            return;
        }
    }
}

static bool is_owned(pid_t pid)
{
    for (size_t i = 0; i < nowned; i++)
        if (owned[i] == pid)
            return true;
    return false;
}

/*
 * Lists our children (zombies included) from the kernel's children file
 * of our one thread. Returns the count, or -1 when the file is missing.
 */
static int list_children(pid_t *out, int max)
{
    char path[64];
    FILE *f;
    int n = 0;
    long pid;

    snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
    f = fopen(path, "re");
    if (f == NULL)
        return -1;
    while (n < max && fscanf(f, "%ld", &pid) == 1)
        out[n++] = (pid_t)pid;
    fclose(f);
    return n;
}

static bool reap(pid_t pid)
{
    int status;

    if (waitpid(pid, &status, WNOHANG) != pid)
        return false;
    log_debug("reaper", "reaped orphan pid=%d status=%d", (int)pid,
              WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return true;
}

int reaper_sweep(void)
{
    static pid_t kids[MAX_CHILDREN_LIST];
    int n = list_children(kids, MAX_CHILDREN_LIST), reaped = 0;

    for (int i = 0; i < n; i++)
        if (!is_owned(kids[i]) && reap(kids[i]))
            reaped++;
    return reaped;
}

void reaper_kill_orphans(void)
{
    static pid_t kids[MAX_CHILDREN_LIST];
    int n = list_children(kids, MAX_CHILDREN_LIST);

    for (int i = 0; i < n; i++)
        if (!is_owned(kids[i]))
            kill(kids[i], SIGKILL);
}

static void on_sigchld(uv_signal_t *h, int signum)
{
    reaper_sweep();
}

int reaper_start(uv_loop_t *loop)
{
    pid_t probe[1];

    if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        return -errno;
    if (list_children(probe, 1) < 0)
        log_warn("reaper", "no /proc/self/task/*/children: orphans are "
                           "not reaped");
    uv_signal_init(loop, &sigchld);
    uv_signal_start(&sigchld, on_sigchld, SIGCHLD);
    started = true;
    log_debug("reaper", "%s",
              getpid() == 1 ? "PID 1: reaping orphans" : "child subreaper");
    return 0;
}

static void on_closed(uv_handle_t *h)
{
    free(owned);
    owned = NULL;
    nowned = capowned = 0;
}

void reaper_stop(void)
{
    if (!started)
        return;
    started = false;
    uv_close((uv_handle_t *)&sigchld, on_closed);
}
