/* SPDX-License-Identifier: MIT */
/*
 * What the MCP server child may touch. libuv's uv_spawn has no hook
 * between fork and exec, so the child is started as the gateway's own
 * binary in a helper mode ("mcpgw sandbox-exec PLAN -- CMD") that hardens
 * itself and then execs /bin/sh -c CMD.
 *
 * Always: only the three pipes are inherited, no_new_privs, a process
 * group of its own (child.c), SIGKILL when the gateway dies, and no
 * secret in the environment (MCPGW_*, ACCESS_TOKEN, and any variable
 * whose value is an accepted token, from a flag or a token file).
 *
 * With --sandbox: an environment allowlist, a private work directory as
 * cwd and HOME, Landlock file rules, --no-network (a network namespace
 * of its own, else Landlock's TCP rules), a seccomp filter, resource
 * limits (cgroup, else rlimits) and an unprivileged user. What was asked
 * for and cannot be had stops the start (fail closed), unless
 * --sandbox=best-effort.
 *
 * Everything here runs on the loop thread, or in the helper process.
 */
#ifndef MCPGW_SANDBOX_H
#define MCPGW_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "mcpgw/config.h"
#include "mcpgw/guard.h"

/* argv[1] of the helper mode and of the host report. */
#define SANDBOX_EXEC_WORD  "sandbox-exec"
#define SANDBOX_CHECK_WORD "sandbox-check"

/*
 * Test hook: a comma list of protections the host is made to look like
 * it lacks (landlock, landlock-net, seccomp, netns, userns, cgroup; and
 * cgroup-child: a child's own cgroup cannot be made at its spawn), so
 * the fail-closed path can be tested on a kernel that has them all.
 */
#define SANDBOX_PRETEND_ENV "MCPGW_SANDBOX_PRETEND_MISSING"

/*
 * Decides what the child gets, from cfg and what this host offers, and
 * prepares it: the work directory, the cgroup, the user. tokens is
 * borrowed for the gateway's life (it changes on SIGHUP; only its
 * digests are read). Returns 0, or -1 with one line in err naming the
 * protection that was asked for and is missing (the caller exits 2).
 * Call once, before the first child starts.
 */
int sandbox_start(const struct gw_config *cfg,
                  const struct guard_tokens *tokens, char *err, size_t errlen);

/* One line saying what is in force, for the start-up log. */
const char *sandbox_summary(void);

/*
 * Removes what sandbox_start made (the work directory if it created
 * it, the cgroup). Call after the child is gone.
 */
void sandbox_stop(void);

struct sb_child;

/* What uv_spawn runs; every member is owned, freed by _free. */
struct sandbox_spawn {
    char *file;             /* the gateway's own binary */
    char **args;            /* mcpgw sandbox-exec PLAN... -- CMD */
    char **env;             /* the child's environment */
    struct sb_child *limit; /* its cgroup, until sandbox_spawned; or NULL */
};

/*
 * Builds the helper command line for cmd and the child's environment
 * from env (the gateway's, secrets already removed), and under --sandbox
 * makes the child's own cgroup, which the plan names. Works without
 * sandbox_start too (then only the "always" part applies). Returns 0,
 * -ENOMEM, or -EAGAIN when no cgroup could be made (logged).
 */
int sandbox_spawn_init(struct sandbox_spawn *s, const char *cmd,
                       char *const *env);

/* uv_spawn started s as pid: its cgroup is pid's until it exits. */
void sandbox_spawned(struct sandbox_spawn *s, int pid);

/* Frees s; a cgroup no process was started in is removed. */
void sandbox_spawn_free(struct sandbox_spawn *s);

/*
 * Called when the child exits: logs at warn when a limit killed it
 * (the memory cgroup's OOM killer, RLIMIT_CPU) and removes its cgroup,
 * from a timer on loop while what it left behind is dying.
 */
void sandbox_child_exited(uv_loop_t *loop, int pid, int64_t status,
                          int term_signal);

/*
 * The helper mode: argv is "mcpgw sandbox-exec PLAN... -- CMD". Hardens
 * this process and execs /bin/sh -c CMD; returns only on failure, with
 * the exit status to use (125 set-up failed, 126/127 exec failed).
 */
int sandbox_exec_main(int argc, char **argv);

/*
 * "mcpgw sandbox-check": prints each protection and whether this host
 * offers it, or why not. Returns 0 when all --sandbox needs is here,
 * else 1.
 */
int sandbox_check_main(int argc, char **argv);

#endif
