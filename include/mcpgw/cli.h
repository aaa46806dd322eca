/* SPDX-License-Identifier: MIT */
/* Subcommands that run and exit: mcpgw keygen, mcpgw probe. */
#ifndef MCPGW_CLI_H
#define MCPGW_CLI_H

/*
 * mcpgw keygen [--bytes N]: prints a new random token (OpenSSL), N bytes
 * (default 32) as hex, and a newline. Returns the exit status.
 */
int cli_keygen_main(int argc, char **argv);

/*
 * mcpgw probe URL [--timeout TIME]: GETs an http:// URL (a health
 * endpoint) and exits 0 when it answers 200, 1 otherwise, so a container
 * HEALTHCHECK needs no curl. Returns the exit status.
 */
int cli_probe_main(int argc, char **argv);

#endif
