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

#include <uv.h>

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

/*
 * The gateway's cgroup for its children (one directory per hierarchy:
 * v2's one, or v1's memory and pids), and below it one cgroup per MCP
 * server process, a "leaf", which holds that process's limits.
 */
struct sb_cgroup {
    int version;                    /* 0: none, 1 or 2 */
    char dir[SB_MAX_CGROUPS][4096]; /* the gateway's: mcpgw-child.NS.PID */
    size_t ndirs;
    uint64_t memory; /* each child's, in bytes; 0: none */
    unsigned pids;   /* each child's tasks; 0: none */
};

/*
 * Makes the gateway's directories for children with memory (bytes, 0:
 * none) and pids (0: none) limits each, and checks that a child's can
 * be made and joined. Returns 0, or -1 with why set (cg is then empty).
 */
int sb_cgroup_create(struct sb_cgroup *cg, uint64_t memory, unsigned pids,
                     char *why, size_t whylen);

/* Removes the gateway's directories, with any empty leaf left in them. */
void sb_cgroup_remove(struct sb_cgroup *cg);

/* The path of leaf name in the hierarchy i. Returns 0 or -ENAMETOOLONG. */
int sb_cgroup_leaf_path(const struct sb_cgroup *cg, size_t i, const char *name,
                        char *out, size_t cap);

/*
 * Makes leaf name with the limits in every hierarchy. Returns 0, or -1
 * with why set and nothing left behind.
 */
int sb_cgroup_make_leaf(const struct sb_cgroup *cg, const char *name, char *why,
                        size_t whylen);

/*
 * Sends SIGKILL to what is still in leaf name and removes it. Returns 0
 * when it is gone, or a negative errno (-EBUSY while the killed linger).
 */
int sb_cgroup_remove_leaf(const struct sb_cgroup *cg, const char *name);

/* What the kernel counted against a leaf's limits. */
struct sb_leaf_events {
    uint64_t oom_kills;     /* processes the OOM killer ended */
    uint64_t forks_refused; /* forks and clones past pids.max */
};

void sb_cgroup_leaf_events(const struct sb_cgroup *cg, const char *name,
                           struct sb_leaf_events *ev);

/* Where the cgroups could be made, or why not, for sandbox-check. */
void sb_cgroup_describe(char *out, size_t outlen);

/* --- a cgroup per child (sandbox_children.c) ------------------------ */

struct sb_child; /* one MCP server process and its leaf */

/* Keeps leaves in cg (borrowed for the gateway's life), max at once. */
void sb_children_init(const struct sb_cgroup *cg, size_t max);

/* Makes the leaf for a process about to start. NULL with why set. */
struct sb_child *sb_children_add(char *why, size_t whylen);

const char *sb_child_name(const struct sb_child *c);

/* The spawn worked: c is pid's. */
void sb_children_started(struct sb_child *c, pid_t pid);

/* The leaf of pid, a child that has not exited; NULL: none. */
struct sb_child *sb_children_find(pid_t pid);

/*
 * The process is gone, or never started: removes its leaf now or, while
 * what it left behind is dying, from a timer on loop (NULL: at the next
 * add). c is freed.
 */
void sb_children_remove(struct sb_child *c, uv_loop_t *loop);

/* Removes every leaf, waiting up to a second. Call once the loop ended. */
void sb_children_stop(void);

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
