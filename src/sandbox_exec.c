/* SPDX-License-Identifier: MIT */
/*
 * The helper: runs between uv_spawn's fork and the MCP server's exec, as
 * "mcpgw sandbox-exec PLAN... -- CMD", hardens itself in a fixed order
 * and execs /bin/sh -c CMD. Its stderr is the gateway's pipe, so what it
 * says lands in the gateway's log.
 */
#include "mcpgw/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mcpgw/shell_cmd.h"
#include "sandbox_int.h"

extern char **environ;

static enum sb_mode mode = SB_STRICT;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr, in one write. */
static void say(const char *fmt, ...)
{
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    if (write(2, line, (size_t)n) < 0) {
        /* Nobody to tell. */
    }
}

/*
 * A step failed: the end of the child under a strict plan, a warning
 * under best-effort.
 */
static void failed(const char *what, const char *why)
{
    if (mode == SB_BEST) {
        say("mcpgw sandbox: %s: %s; going on without it (best-effort)", what,
            why);
        return;
    }
    say("mcpgw sandbox: %s: %s; not starting the MCP server", what, why);
    _exit(SB_EXIT_SETUP);
}

static void failed_errno(const char *what)
{
    failed(what, strerror(errno));
}

/* Always fatal: the gateway is gone, or the child would hold its fds. */
static void die(const char *what, const char *why)
{
    say("mcpgw sandbox: %s: %s", what, why);
    _exit(SB_EXIT_SETUP);
}

/* Dies when the gateway does; a gateway already gone is checked by hand. */
static void parent_death(pid_t ppid)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        die("PR_SET_PDEATHSIG", strerror(errno));
    if (getppid() != ppid)
        die("parent", "the gateway is gone");
}

static void close_fds(void)
{
    if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
        return;
    /* Before Linux 5.9: every descriptor /proc lists. */
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        die("closing descriptors", strerror(errno));
    int self = dirfd(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        int fd = atoi(e->d_name);
        if (fd >= 3 && fd != self)
            close(fd);
    }
    closedir(d);
}

static void join_cgroups(const struct sb_plan *p)
{
    char me[32], path[4200];

    snprintf(me, sizeof(me), "%d", (int)getpid());
    for (size_t i = 0; i < p->ncgroups; i++) {
        snprintf(path, sizeof(path), "%s/cgroup.procs", p->cgroups[i]);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, me, strlen(me)) < 0)
            failed_errno("joining the cgroup (memory and task limits)");
        if (fd >= 0)
            close(fd);
    }
}

static void limit(int resource, uint64_t v, const char *what)
{
    /* At the soft CPU limit comes SIGXCPU, which says why; at the hard
     * one SIGKILL, so the hard one is a second later. */
    struct rlimit rl = {(rlim_t)v, (rlim_t)v + (resource == RLIMIT_CPU)};

    if (v > 0 && setrlimit(resource, &rl) < 0)
        failed_errno(what);
}

static void limits(const struct sb_plan *p)
{
    limit(RLIMIT_NOFILE, p->rl_nofile, "RLIMIT_NOFILE (--child-files)");
    limit(RLIMIT_CPU, p->rl_cpu, "RLIMIT_CPU (--child-cpu)");
    limit(RLIMIT_AS, p->rl_as, "RLIMIT_AS (--child-memory)");
    limit(RLIMIT_NPROC, p->rl_nproc, "RLIMIT_NPROC (--child-procs)");
    /* A core file of the server would hold what it was handed. */
    struct rlimit none = {0, 0};
    if (p->mode != SB_OFF && setrlimit(RLIMIT_CORE, &none) < 0)
        failed_errno("RLIMIT_CORE");
}

static int write_proc(const char *file, const char *s)
{
    int fd = open(file, O_WRONLY | O_CLOEXEC);
    int rc = -1;

    if (fd >= 0) {
        rc = write(fd, s, strlen(s)) < 0 ? -1 : 0;
        close(fd);
    }
    return rc;
}

/*
 * Root makes the namespace directly; anyone else inside a user
 * namespace where they stay who they are (no privilege is gained: the
 * capabilities it grants are dropped at exec, as the uid is not 0).
 */
static void new_netns(void)
{
    char map[64];
    uid_t uid = getuid();
    gid_t gid = getgid();

    if (geteuid() == 0) {
        if (unshare(CLONE_NEWNET) < 0)
            failed_errno("unshare(CLONE_NEWNET) (--no-network)");
        return;
    }
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
        failed_errno("unshare(CLONE_NEWUSER|CLONE_NEWNET) (--no-network)");
        return;
    }
    snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
    if (write_proc("/proc/self/uid_map", map) < 0)
        failed_errno("uid_map (--no-network)");
    write_proc("/proc/self/setgroups", "deny");
    snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
    if (write_proc("/proc/self/gid_map", map) < 0)
        failed_errno("gid_map (--no-network)");
}

/* setgroups, then the group, then the user; each one checked. */
static void drop_user(const struct sb_plan *p)
{
    uid_t r, e, s;

    if (geteuid() == 0 && setgroups(1, &p->gid) < 0)
        die("setgroups", strerror(errno));
    if (setresgid(p->gid, p->gid, p->gid) < 0)
        die("setresgid", strerror(errno));
    if (setresuid(p->uid, p->uid, p->uid) < 0)
        die("setresuid", strerror(errno));
    if (getresuid(&r, &e, &s) < 0 || r != p->uid || e != p->uid || s != p->uid)
        die("setresuid", "the user did not change");
    if (p->uid != 0 && setuid(0) == 0)
        die("setresuid", "root could be regained");
}

/*
 * The shell runs the command as Supergateway's does; a simple one is
 * prefixed with exec, so the server is the gateway's child itself: its
 * stdout closing and its exit status are then its own.
 */
static void exec_shell(const char *cmd)
{
    size_t n = strlen(cmd);
    char *line = shell_cmd_is_simple(cmd) ? malloc(n + 6) : NULL;
    char *args[] = {"/bin/sh", "-c", (char *)cmd, NULL};

    if (line) {
        memcpy(line, "exec ", 5);
        memcpy(line + 5, cmd, n + 1);
        args[2] = line;
    }
    execve(args[0], args, environ);
    int e = errno;
    say("mcpgw sandbox: cannot run /bin/sh: %s", strerror(e));
    _exit(e == ENOENT ? 127 : 126);
}

int sandbox_exec_main(int argc, char **argv)
{
    struct sb_plan p;
    const char *cmd = NULL;
    char err[256];

    if (sb_plan_parse(&p, argc, argv, &cmd, err, sizeof(err)) < 0) {
        say("mcpgw %s: %s", SANDBOX_EXEC_WORD, err);
        return SB_EXIT_SETUP;
    }
    mode = p.mode == SB_BEST ? SB_BEST : SB_STRICT;
    parent_death(p.ppid);
    close_fds();
    join_cgroups(&p);
    if (p.netns)
        new_netns();
    if (p.cwd && chdir(p.cwd) < 0)
        failed_errno("chdir to the work directory");
    if (p.set_user) {
        drop_user(&p);
        /* A change of credentials clears the parent-death signal. */
        parent_death(p.ppid);
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        die("PR_SET_NO_NEW_PRIVS", strerror(errno));
    if (p.landlock > 0 && sb_landlock_apply(&p, err, sizeof(err)) < 0)
        failed("Landlock", err);
    if (p.seccomp && sb_seccomp_apply(p.seccomp_nonet, err, sizeof(err)) < 0)
        failed("seccomp", err);
    /* Last: RLIMIT_AS could fail the mmaps of the steps above (an ASan
     * build's allocator). */
    limits(&p);
    exec_shell(cmd);
    return 127;
}
