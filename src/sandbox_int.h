/* SPDX-License-Identifier: MIT */
/*
 * Private to the sandbox_*.c files: the plan the gateway hands the
 * helper on its command line, and the pieces each file owns (the host
 * probes, Landlock, seccomp, cgroups, the environment).
 */
#ifndef MCPGW_SANDBOX_INT_H
#define MCPGW_SANDBOX_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mcpgw/guard.h"

#define SB_MAX_PATHS   128 /* Landlock rules of one kind */
#define SB_MAX_CGROUPS 2   /* cgroup v1: memory and pids */
#define SB_EXIT_SETUP  125 /* the helper could not apply its plan */

enum sb_mode {
    SB_OFF = 0, /* only the "always" part */
    SB_STRICT,  /* any step that fails stops the child */
    SB_BEST,    /* a step that fails is reported and skipped */
};

struct sb_paths {
    const char *v[SB_MAX_PATHS]; /* borrowed */
    size_t n;
};

/*
 * What the helper does, in its order. The gateway fills it; the helper
 * parses it back from argv (its strings then point into argv).
 */
struct sb_plan {
    enum sb_mode mode;
    pid_t ppid;                          /* the gateway: getppid() must match */
    const char *cgroups[SB_MAX_CGROUPS]; /* directories to join */
    size_t ncgroups;
    uint64_t rl_nofile, rl_cpu, rl_as, rl_nproc; /* 0: leave alone */
    bool netns;                                  /* unshare(CLONE_NEWNET) */
    const char *cwd;                             /* chdir; NULL: stay */
    bool set_user; /* setgroups/setresgid/setresuid */
    uid_t uid;
    gid_t gid;
    int landlock;                /* ABI to use; 0: none */
    bool landlock_tcp;           /* deny TCP bind and connect */
    struct sb_paths ro, rw, dev; /* read+exec, everything, devices */
    bool seccomp;
    bool seccomp_nonet; /* also refuse non-AF_UNIX sockets */
};

/* --- plan <-> argv (sandbox_plan.c) --------------------------------- */

/*
 * argv for uv_spawn: self, "sandbox-exec", the plan as KEY=VALUE words,
 * "--", cmd. Returns a NULL-terminated owned array (free each string
 * and the array), or NULL when out of memory.
 */
char **sb_plan_argv(const struct sb_plan *p, const char *self, const char *cmd);

/*
 * Parses argv[2..] back. Returns 0 and sets *cmd, or -1 with err set.
 * p's strings point into argv.
 */
int sb_plan_parse(struct sb_plan *p, int argc, char **argv, const char **cmd,
                  char *err, size_t errlen);

/* --- what the host offers (sandbox_probe.c) ------------------------- */

struct sb_host {
    int landlock_abi; /* 0: none */
    char landlock_why[128];
    bool seccomp;
    char seccomp_why[128];
    bool netns;
    char netns_why[128];
    bool userns;
    char userns_why[128];
    bool close_range;
    bool root; /* euid 0 */
};

/* Probes this host (forks short-lived children for the namespaces). */
void sb_probe(struct sb_host *h);

/* True when name is listed in MCPGW_SANDBOX_PRETEND_MISSING. */
bool sb_pretend_missing(const char *name);

/* --- Landlock (sandbox_landlock.c) ---------------------------------- */

/* The kernel's Landlock ABI, or 0 with errno set. */
int sb_landlock_abi(void);

/* Restricts this process as p says. Returns 0 or -1 with err set. */
int sb_landlock_apply(const struct sb_plan *p, char *err, size_t errlen);

/* --- seccomp (sandbox_seccomp.c) ------------------------------------ */

/* Loads the filter into this process. Returns 0 or -1 with err set. */
int sb_seccomp_apply(bool nonet, char *err, size_t errlen);

/* --- cgroups (sandbox_cgroup.c) ------------------------------------- */

struct sb_cgroup {
    int version;                    /* 0: none, 1 or 2 */
    char dir[SB_MAX_CGROUPS][4096]; /* what the child joins */
    size_t ndirs;
    bool memory, pids;  /* limits set */
    uint64_t oom_kills; /* seen so far */
};

/*
 * Makes a cgroup for the children with memory (bytes, 0: none) and
 * pids (0: none) limits, and checks that a process can join it.
 * Returns 0, or -1 with why set (cg is then empty).
 */
int sb_cgroup_create(struct sb_cgroup *cg, uint64_t memory, unsigned pids,
                     char *why, size_t whylen);

/* Removes the directories (the children must be gone). */
void sb_cgroup_remove(struct sb_cgroup *cg);

/* OOM kills in the cgroup since the last call. */
uint64_t sb_cgroup_new_oom_kills(struct sb_cgroup *cg);

/* Where a cgroup could be made, or why not, for sandbox-check. */
void sb_cgroup_describe(char *out, size_t outlen);

/* --- the environment (sandbox_env.c) -------------------------------- */

struct sb_envspec {
    bool allowlist;     /* --sandbox: allowlist only */
    const char *home;   /* HOME and TMPDIR; NULL: keep */
    char *const *extra; /* --env NAME[=VALUE] */
    size_t nextra;
    const struct guard_tokens *tokens; /* values to keep out; may be NULL */
};

/*
 * The child's environment from env, as spec says. Returns an owned
 * NULL-terminated array of owned strings, or NULL when out of memory.
 * Names of variables dropped for holding a token are logged.
 */
char **sb_env_build(char *const *env, const struct sb_envspec *spec);

/* True when value (spaces trimmed, a "Bearer " prefix allowed) is one
 * of the tokens. */
bool sb_env_is_token(const struct guard_tokens *t, const char *value);

void sb_strv_free(char **v);

#endif
