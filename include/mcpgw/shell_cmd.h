/* SPDX-License-Identifier: MIT */
/*
 * What /bin/sh -c will make of a --stdio command, as far as the gateway
 * needs to know: whether it is one simple command, which "exec" can
 * prefix so the shell replaces itself with the MCP server instead of
 * staying its parent (dash forks, and then holds the server's stdout
 * open and hides its exit status behind its own).
 */
#ifndef MCPGW_SHELL_CMD_H
#define MCPGW_SHELL_CMD_H

#include <stdbool.h>

/*
 * True when cmd is one simple command: words of plain characters and
 * quoted strings, and nothing the shell would expand, redirect, chain or
 * assign; its first word is not a reserved word or a builtin that exec
 * cannot run. False whenever in doubt: the command then runs as given.
 */
bool shell_cmd_is_simple(const char *cmd);

#endif
