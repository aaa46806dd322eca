/* SPDX-License-Identifier: MIT */
/*
 * Orphans. As PID 1 (a container's entrypoint) the gateway inherits every
 * orphaned process in the container; anywhere else it makes itself the
 * child subreaper, so what an MCP server spawns and abandons is
 * reparented to the gateway instead of escaping it. Either way those
 * orphans are reaped here, while the children libuv spawned are left to
 * libuv, which waits for each by pid.
 */
#ifndef MCPGW_REAPER_H
#define MCPGW_REAPER_H

#include <stdbool.h>
#include <sys/types.h>

#include <uv.h>

/*
 * Becomes the subreaper (when not PID 1) and starts reaping on SIGCHLD.
 * Returns 0 or a negative errno.
 */
int reaper_start(uv_loop_t *loop);

/* Marks pid as a child libuv waits for: the reaper must not take it. */
void reaper_own(pid_t pid);

/* Forgets pid (libuv has reaped it). */
void reaper_disown(pid_t pid);

/* Reaps every exited orphan now. Returns how many were reaped. */
int reaper_sweep(void);

/* Sends SIGKILL to every child the gateway did not spawn (shutdown). */
void reaper_kill_orphans(void);

/* Stops watching SIGCHLD. */
void reaper_stop(void);

#endif
