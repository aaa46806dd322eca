/* SPDX-License-Identifier: MIT */
/*
 * A listening Unix stream socket for --listen unix:PATH, so a proxy on the
 * same host reaches the gateway through a file whose permissions say who
 * may connect.
 */
#ifndef MCPGW_UNIX_LISTEN_H
#define MCPGW_UNIX_LISTEN_H

#include <stdbool.h>
#include <sys/types.h>

#define UNIX_LISTEN_MODE 0660 /* owner and group: see unix_listen */

/* The socket file made by unix_listen, to remove it at exit. */
struct unix_listener {
    char path[108]; /* sun_path's size */
    dev_t dev;      /* the file's identity once bound */
    ino_t ino;
    bool bound;
};

/*
 * Binds and listens on path, mode UNIX_LISTEN_MODE whatever the umask.
 * A socket file left by a gateway that died is removed first, but only
 * when nothing accepts on it; any other file there is left alone.
 * Returns the non-blocking descriptor, or a negative errno with a log
 * line saying what failed.
 */
int unix_listen(struct unix_listener *u, const char *path);

/*
 * Removes the socket file if it is still the one bound here (a newer
 * gateway may have replaced it). Safe to call more than once.
 */
void unix_unlink(struct unix_listener *u);

#endif
