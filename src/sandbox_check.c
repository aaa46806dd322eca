/* SPDX-License-Identifier: MIT */
/* "mcpgw sandbox-check": what this host offers the child's sandbox. */
#include "mcpgw/sandbox.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <seccomp.h>

#include "sandbox_int.h"

static void line(const char *name, bool ok, const char *detail)
{
    printf("  %-36s %s%s%s%s\n", name, ok ? "available" : "unavailable",
           detail && *detail ? " (" : "", detail ? detail : "",
           detail && *detail ? ")" : "");
}

static void always(const struct sb_host *h)
{
    int v = 0;

    printf("always (no flag):\n");
    line("only the three pipes", true,
         h->close_range ? "close_range" : "closing /proc/self/fd");
    line("no_new_privs", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) >= 0, "");
    line("parent-death signal", prctl(PR_GET_PDEATHSIG, &v) == 0, "SIGKILL");
    line("own process group", true, "setsid");
    line("secrets kept out of the environment", true, "");
}

static void landlock(const struct sb_host *h)
{
    char d[160];
    bool net = h->landlock_abi >= 4 && !sb_pretend_missing("landlock-net");

    snprintf(d, sizeof(d), "ABI %d", h->landlock_abi);
    line("Landlock: files", h->landlock_abi > 0,
         h->landlock_abi ? d : h->landlock_why);
    line("Landlock: TCP (--no-network)", net,
         net               ? d
         : h->landlock_abi ? "needs ABI 4 (Linux 6.7)"
                           : h->landlock_why);
    line("Landlock: signals, abstract sockets", h->landlock_abi >= 6,
         h->landlock_abi >= 6 ? d : "needs ABI 6 (Linux 6.12)");
}

static void seccomp(const struct sb_host *h)
{
    const struct scmp_version *v = seccomp_version();
    char d[160];

    snprintf(d, sizeof(d), "libseccomp %u.%u.%u", v ? v->major : 0,
             v ? v->minor : 0, v ? v->micro : 0);
    line("seccomp", h->seccomp, h->seccomp ? d : h->seccomp_why);
}

static void users(const struct sb_host *h)
{
    char d[160];
    struct passwd *pw = getpwnam("nobody");

    line("network namespace (--no-network)", h->netns,
         h->netns ? (h->root ? "unshare(CLONE_NEWNET)" : "in a user namespace")
                  : h->netns_why);
    line("user namespace", h->userns, h->userns_why);
    if (h->root)
        snprintf(d, sizeof(d), "running as root; default user nobody %u:%u",
                 pw ? (unsigned)pw->pw_uid : 65534u,
                 pw ? (unsigned)pw->pw_gid : 65534u);
    else
        snprintf(d, sizeof(d), "not root: the child runs as uid %u",
                 (unsigned)getuid());
    line("another user (--user)", h->root, d);
}

int sandbox_check_main(int argc, char **argv)
{
    struct sb_host h;
    struct utsname u;
    char cg[4400];

    (void)argc;
    (void)argv;
    sb_probe(&h);
    uname(&u);
    printf("mcpgw sandbox-check: Linux %s, uid %u\n", u.release,
           (unsigned)geteuid());
    always(&h);
    printf("--sandbox:\n");
    landlock(&h);
    seccomp(&h);
    users(&h);
    sb_cgroup_describe(cg, sizeof(cg));
    bool cg_ok = strncmp(cg, "available", 9) == 0;
    char *detail = strchr(cg, '(');
    if (detail) {
        detail++;
        detail[strcspn(detail, ")")] = '\0';
    }
    line("cgroup: memory and tasks", cg_ok, detail);
    line("rlimits: files, CPU", true, "");
    line("rlimits: memory, tasks (no cgroup)", true,
         "RLIMIT_AS counts address space; RLIMIT_NPROC all of the user");
    bool net = h.netns || (h.landlock_abi >= 4 && h.seccomp &&
                           !sb_pretend_missing("landlock-net"));
    bool all = h.landlock_abi > 0 && h.seccomp && net;
    printf("--sandbox --no-network: %s\n",
           all ? "can start here"
               : "would refuse to start here (--sandbox=best-effort "
                 "would start)");
    return all ? 0 : 1;
}
