/* SPDX-License-Identifier: MIT */
/* The seccomp filter: system calls an MCP server never needs get EPERM. */
#include "sandbox_int.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <seccomp.h>

/*
 * Debugging and other processes' memory, mounts and namespaces, the
 * kernel's own state (modules, kexec, reboot, swap, keys, BPF, perf),
 * handles that bypass path checks, and userfaultfd (a common exploit
 * aid). Names unknown to this libseccomp or architecture are skipped.
 */
static const char *const refused[] = {
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "fsopen",
    "fsmount",
    "fsconfig",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "kexec_load",
    "kexec_file_load",
    "bpf",
    "perf_event_open",
    "keyctl",
    "add_key",
    "request_key",
    "unshare",
    "setns",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "open_by_handle_at",
    "name_to_handle_at",
    "userfaultfd",
    "acct",
    "quotactl",
    "lookup_dcookie",
    "uselib",
    "personality",
    "syslog",
    "io_uring_setup",
    "chroot",
    "iopl",
    "ioperm",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "nfsservctl",
    "vm86",
    "vm86old",
};

/* clone() flags that would make new namespaces. */
static const unsigned long clone_ns[] = {
    CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
    CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET,
};

static int refuse_names(scmp_filter_ctx ctx, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        int nr = seccomp_syscall_resolve_name(refused[i]);
        if (nr == __NR_SCMP_ERROR)
            continue;
        int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
        /* -EDOM, -EFAULT: not a call on this architecture. */
        if (rc < 0 && rc != -EDOM && rc != -EFAULT) {
            snprintf(err, errlen, "seccomp rule for %s: %s", refused[i],
                     strerror(-rc));
            return -1;
        }
    }
    return 0;
}

/*
 * clone3 passes its flags in memory a filter cannot read: ENOSYS makes
 * glibc and libuv fall back to clone, whose flags it can.
 */
static int refuse_clone_ns(scmp_filter_ctx ctx)
{
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);

    for (size_t i = 0; rc == 0 && i < sizeof(clone_ns) / sizeof(*clone_ns); i++)
        rc = seccomp_rule_add(
            ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
            SCMP_A0(SCMP_CMP_MASKED_EQ, clone_ns[i], clone_ns[i]));
    return rc;
}

/* --no-network: only AF_UNIX sockets (socketpair stays allowed). */
static int refuse_sockets(scmp_filter_ctx ctx)
{
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
                              SCMP_A0(SCMP_CMP_NE, AF_UNIX));

    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socketpair),
                              1, SCMP_A0(SCMP_CMP_NE, AF_UNIX));
    return rc;
}

int sb_seccomp_apply(bool nonet, char *err, size_t errlen)
{
    /* Other architectures' calls (int 0x80, x32) kill: see libseccomp's
     * SCMP_FLTATR_ACT_BADARCH, whose default is to kill. */
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    int rc = -ENOMEM;

    if (ctx == NULL) {
        snprintf(err, errlen, "seccomp_init failed");
        return -1;
    }
    if (refuse_names(ctx, err, errlen) < 0)
        goto fail_quiet;
    rc = refuse_clone_ns(ctx);
    if (rc == 0 && nonet)
        rc = refuse_sockets(ctx);
    if (rc == 0)
        rc = seccomp_load(ctx);
    if (rc < 0)
        goto fail;
    seccomp_release(ctx);
    return 0;
fail:
    snprintf(err, errlen, "seccomp: %s", strerror(-rc));
fail_quiet:
    seccomp_release(ctx);
    return -1;
}
