/* SPDX-License-Identifier: MIT */
/* Landlock: which files the child may read, run and write, and TCP. */
#include "sandbox_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/landlock.h>

/*
 * The build host's headers may be older than the kernel the gateway runs
 * on, so the structures and bits of later ABIs are spelled out here;
 * they are part of the kernel's stable UAPI.
 */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#define LL_NET_BIND_TCP    (1ULL << 0)
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT  (1ULL << 0)
#define LL_SCOPE_SIGNAL    (1ULL << 1)

struct ll_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net; /* ABI 4 */
    uint64_t scoped;             /* ABI 6 */
};

struct ll_path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

#define LL_READ                                                  \
    (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | \
     LANDLOCK_ACCESS_FS_READ_DIR)
/* The rights that apply to a file itself; the rest apply to directories. */
#define LL_FILE                                                   \
    (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
     LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE | \
     LANDLOCK_ACCESS_FS_IOCTL_DEV)
#define LL_DEV                                                      \
    (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
     LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)

int sb_landlock_abi(void)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
                       LANDLOCK_CREATE_RULESET_VERSION);

    return abi < 0 ? 0 : (int)abi;
}

/* Every file right this ABI knows. */
static uint64_t fs_rights(int abi)
{
    uint64_t all = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1 */

    if (abi >= 2)
        all |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        all |= LANDLOCK_ACCESS_FS_TRUNCATE;
    if (abi >= 5)
        all |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
    return all;
}

/*
 * Adds one path. A path that does not exist, or that this user cannot
 * reach, is skipped: the rule would grant nothing anyway.
 */
static int add_path(int ruleset, const char *path, uint64_t want,
                    uint64_t handled, char *err, size_t errlen)
{
    struct ll_path_beneath_attr a = {0};
    struct stat st;
    int fd = open(path, O_PATH | O_CLOEXEC);

    if (fd < 0)
        return 0;
    if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
        want &= LL_FILE;
    a.allowed_access = want & handled;
    a.parent_fd = fd;
    int rc = (int)syscall(SYS_landlock_add_rule, ruleset,
                          LANDLOCK_RULE_PATH_BENEATH, &a, 0);
    if (rc < 0)
        snprintf(err, errlen, "landlock rule for %s: %s", path,
                 strerror(errno));
    close(fd);
    return rc < 0 ? -1 : 0;
}

static int add_paths(int ruleset, const struct sb_paths *ps, uint64_t want,
                     uint64_t handled, char *err, size_t errlen)
{
    for (size_t i = 0; i < ps->n; i++) {
        if (add_path(ruleset, ps->v[i], want, handled, err, errlen) < 0)
            return -1;
    }
    return 0;
}

static int make_ruleset(const struct sb_plan *p, uint64_t handled, char *err,
                        size_t errlen)
{
    struct ll_ruleset_attr a = {.handled_access_fs = handled};
    size_t size = sizeof(uint64_t);

    if (p->landlock >= 4) {
        size = 2 * sizeof(uint64_t);
        if (p->landlock_tcp)
            a.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
    }
    if (p->landlock >= 6) {
        size = sizeof(a);
        a.scoped = LL_SCOPE_ABSTRACT | LL_SCOPE_SIGNAL;
    }
    int fd = (int)syscall(SYS_landlock_create_ruleset, &a, size, 0);
    if (fd < 0)
        snprintf(err, errlen, "landlock_create_ruleset: %s", strerror(errno));
    return fd;
}

int sb_landlock_apply(const struct sb_plan *p, char *err, size_t errlen)
{
    int abi = sb_landlock_abi();

    if (abi < p->landlock) {
        snprintf(err, errlen, "landlock ABI %d wanted, kernel has %d",
                 p->landlock, abi);
        return -1;
    }
    uint64_t handled = fs_rights(p->landlock);
    int fd = make_ruleset(p, handled, err, errlen);
    if (fd < 0)
        return -1;
    int rc = add_paths(fd, &p->ro, LL_READ, handled, err, errlen);
    if (rc == 0)
        rc = add_paths(fd, &p->rw, handled, handled, err, errlen);
    if (rc == 0)
        rc = add_paths(fd, &p->dev, LL_DEV, handled, err, errlen);
    /* no_new_privs is already set: restrict_self needs it. */
    if (rc == 0 && syscall(SYS_landlock_restrict_self, fd, 0) < 0) {
        snprintf(err, errlen, "landlock_restrict_self: %s", strerror(errno));
        rc = -1;
    }
    close(fd);
    return rc;
}
