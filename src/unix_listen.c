/* SPDX-License-Identifier: MIT */
/* --listen unix:PATH: the socket file, its mode, and its removal. */
#include "mcpgw/unix_listen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "mcpgw/log.h"

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa->sun_path))
        return -ENAMETOOLONG;
    memcpy(sa->sun_path, path, strlen(path));
    return 0;
}

/* 0 when something accepts connections on path, else -errno. */
static int probe(const struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int rc = 0;

    if (fd < 0)
        return -errno;
    /* A full backlog (EAGAIN) still means a listener. */
    if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 &&
        errno != EAGAIN)
        rc = -errno;
    close(fd);
    return rc;
}

/*
 * A gateway killed with SIGKILL leaves its socket file behind, and bind
 * would fail on it for ever. Only a socket nobody accepts on is removed:
 * a live gateway's socket, or a file that is no socket, is an error.
 */
static int clear_stale(const struct sockaddr_un *sa)
{
    struct stat st;

    if (lstat(sa->sun_path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISSOCK(st.st_mode))
        return -EEXIST;
    if (probe(sa) == 0)
        return -EADDRINUSE;
    if (unlink(sa->sun_path) < 0 && errno != ENOENT)
        return -errno;
    log_info("http", "removed the stale socket %s", sa->sun_path);
    return 0;
}

/*
 * The mode is set through the umask at bind, so the socket is never
 * reachable with wider rights, and again with chmod in case the umask
 * was narrower. 0660: the group is how a proxy running as another user
 * (nginx's www-data, added to the gateway's group) gets in; other users,
 * who could reach a loopback port, cannot reach this.
 */
static int bind_listen(int fd, const struct sockaddr_un *sa)
{
    mode_t old = umask(0777 & ~UNIX_LISTEN_MODE);
    int rc = bind(fd, (const struct sockaddr *)sa, sizeof(*sa));

    umask(old);
    if (rc == 0)
        rc = chmod(sa->sun_path, UNIX_LISTEN_MODE);
    if (rc == 0)
        rc = listen(fd, 511);
    return rc < 0 ? -errno : 0;
}

static int remember(struct unix_listener *u, const char *path)
{
    struct stat st;

    if (stat(path, &st) < 0)
        return -errno;
    snprintf(u->path, sizeof(u->path), "%s", path);
    u->dev = st.st_dev;
    u->ino = st.st_ino;
    u->bound = true;
    return 0;
}

int unix_listen(struct unix_listener *u, const char *path)
{
    struct sockaddr_un sa;
    int fd = -1, rc = fill_addr(&sa, path);

    if (rc == 0)
        rc = clear_stale(&sa);
    if (rc == 0) {
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        rc = fd < 0 ? -errno : bind_listen(fd, &sa);
    }
    if (rc == 0)
        rc = remember(u, path);
    if (rc < 0) {
        log_error("http", "cannot listen on unix:%s: %s", path,
                  rc == -EADDRINUSE ? "another process is listening on it"
                  : rc == -EEXIST   ? "a file that is not a socket is there"
                                    : strerror(-rc));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    return fd;
}

void unix_unlink(struct unix_listener *u)
{
    struct stat st;

    if (!u->bound)
        return;
    u->bound = false;
    if (stat(u->path, &st) == 0 && st.st_dev == u->dev && st.st_ino == u->ino)
        unlink(u->path);
}
