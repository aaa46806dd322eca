/* SPDX-License-Identifier: MIT */
/*
 * The children's cgroups: one directory for the gateway, made once, and
 * one below it for each MCP server process, with that process's memory
 * and task limits (limits that hold for Node, and for root).
 */
#include "sandbox_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mcpgw/sandbox.h"

#define CG_ROOT "/sys/fs/cgroup"

static int join(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* snprintf that says when the path did not fit: -ENAMETOOLONG. */
static int join(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* Writes s to dir/file. Returns 0 or a negative errno. */
static int write_file(const char *dir, const char *file, const char *s)
{
    char path[PATH_MAX];
    int rc = 0;

    if (join(path, sizeof(path), "%s/%s", dir, file) < 0)
        return -ENAMETOOLONG;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (write(fd, s, strlen(s)) < 0)
        rc = -errno;
    close(fd);
    return rc;
}

/* Reads dir/file into buf. Returns the length or a negative errno. */
static ssize_t read_file(const char *dir, const char *file, char *buf,
                         size_t cap)
{
    char path[PATH_MAX];

    if (join(path, sizeof(path), "%s/%s", dir, file) < 0)
        return -ENAMETOOLONG;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, cap - 1);
    int e = errno;
    close(fd);
    if (n < 0)
        return -e;
    buf[n] = '\0';
    return n;
}

/* True when word is an item of list, items separated by sep or '\n'. */
static bool in_list(const char *list, const char *word, char sep)
{
    size_t n = strlen(word);

    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n) {
        bool start = p == list || p[-1] == sep;
        bool end = p[n] == '\0' || p[n] == sep || p[n] == '\n';
        if (start && end)
            return true;
    }
    return false;
}

/*
 * This process's cgroup in the hierarchy that has controller ("" for
 * v2's unified one), from /proc/self/cgroup. Returns 0 or -ENOENT.
 */
static int own_cgroup(const char *controller, char *out, size_t cap)
{
    char line[1024];
    FILE *f = fopen("/proc/self/cgroup", "re");
    int rc = -ENOENT;

    if (f == NULL)
        return -errno;
    while (rc < 0 && fgets(line, sizeof(line), f)) {
        char *c = strchr(line, ':'), *p = c ? strchr(c + 1, ':') : NULL;
        if (p == NULL)
            continue;
        *p++ = '\0';
        p[strcspn(p, "\n")] = '\0';
        c++;
        bool match =
            controller[0] == '\0' ? *c == '\0' : in_list(c, controller, ',');
        if (match && snprintf(out, cap, "%s", p) < (int)cap)
            rc = 0;
    }
    fclose(f);
    return rc;
}

static bool is_v2_host(void)
{
    return access(CG_ROOT "/cgroup.controllers", F_OK) == 0;
}

/*
 * v2's rule: a cgroup with processes in it cannot hand controllers to
 * its children. When the gateway's own cgroup has processes (a
 * container's root, a service), the gateway moves itself into a leaf
 * below it first.
 */
static int v2_enable(const char *parent, char *why, size_t whylen)
{
    char buf[512], leaf[PATH_MAX], pid[32];
    int rc = write_file(parent, "cgroup.subtree_control", "+memory +pids");

    if (rc == -EBUSY) {
        snprintf(pid, sizeof(pid), "%d", (int)getpid());
        if (join(leaf, sizeof(leaf), "%s/mcpgw-gateway.%s", parent, pid))
            rc = -ENAMETOOLONG;
        else if (mkdir(leaf, 0755) < 0 && errno != EEXIST)
            rc = -errno;
        else if ((rc = write_file(leaf, "cgroup.procs", pid)) == 0)
            rc = write_file(parent, "cgroup.subtree_control", "+memory +pids");
    }
    if (rc < 0) {
        snprintf(why, whylen, "cannot enable memory and pids in %s: %s", parent,
                 strerror(-rc));
        return -1;
    }
    if (read_file(parent, "cgroup.subtree_control", buf, sizeof(buf)) < 0 ||
        !in_list(buf, "memory", ' ') || !in_list(buf, "pids", ' ')) {
        snprintf(why, whylen, "memory and pids not enabled in %s", parent);
        return -1;
    }
    return 0;
}

/*
 * The gateway's directory is named after it: its pid, and its pid
 * namespace, in which that pid means something.
 */
static const char *gateway_name(char *out, size_t cap)
{
    struct stat st;
    unsigned long ns = stat("/proc/self/ns/pid", &st) == 0 ? st.st_ino : 0;

    snprintf(out, cap, "mcpgw-child.%lu.%d", ns, (int)getpid());
    return out;
}

/* Removes dir's child cgroups, then dir; what still has processes stays. */
static void remove_empty(const char *dir)
{
    char path[PATH_MAX];
    DIR *d = opendir(dir);

    if (d == NULL)
        return;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        /* In a cgroup file system, the directories are child cgroups. */
        if (e->d_type == DT_DIR && e->d_name[0] != '.' &&
            join(path, sizeof(path), "%s/%s", dir, e->d_name) == 0)
            rmdir(path);
    }
    closedir(d);
    rmdir(dir);
}

/*
 * Removes what gateways of this pid namespace that were killed with
 * SIGKILL left behind. rmdir fails on a cgroup that still has
 * processes, so nothing live is touched.
 */
static void sweep(const char *parent)
{
    char path[PATH_MAX], mine[64], prefix[64];
    DIR *d = opendir(parent);

    if (d == NULL)
        return;
    gateway_name(mine, sizeof(mine));
    snprintf(prefix, sizeof(prefix), "%.*s",
             (int)(strrchr(mine, '.') - mine + 1), mine);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        char *end;
        size_t n = strlen(prefix);
        if (strncmp(e->d_name, prefix, n) != 0)
            continue;
        long pid = strtol(e->d_name + n, &end, 10);
        if (*end != '\0' || pid <= 0 || pid == getpid() ||
            kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        if (join(path, sizeof(path), "%s/%s", parent, e->d_name) == 0)
            remove_empty(path);
    }
    closedir(d);
}

static int make_dir(const char *dir, char *why, size_t whylen)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        snprintf(why, whylen, "mkdir %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

static int set_limit(const char *dir, const char *file, uint64_t v, char *why,
                     size_t whylen)
{
    char s[32];

    snprintf(s, sizeof(s), "%" PRIu64, v);
    int rc = write_file(dir, file, s);
    if (rc < 0) {
        snprintf(why, whylen, "%s/%s: %s", dir, file, strerror(-rc));
        return -1;
    }
    return 0;
}

/* parent/NAME, NAME the gateway's; into cg->dir[cg->ndirs++], made. */
static int make_gateway_dir(struct sb_cgroup *cg, const char *parent, char *why,
                            size_t whylen)
{
    char name[64];
    char *dir = cg->dir[cg->ndirs];

    if (join(dir, sizeof(cg->dir[0]), "%s/%s", parent,
             gateway_name(name, sizeof(name))) < 0) {
        snprintf(why, whylen, "cgroup path too long");
        return -1;
    }
    sweep(parent);
    if (make_dir(dir, why, whylen) < 0)
        return -1;
    cg->ndirs++;
    return 0;
}

static int create_v2(struct sb_cgroup *cg, char *why, size_t whylen)
{
    char own[PATH_MAX], parent[PATH_MAX], buf[512];

    if (own_cgroup("", own, sizeof(own)) < 0) {
        snprintf(why, whylen, "no cgroup v2 entry in /proc/self/cgroup");
        return -1;
    }
    if (join(parent, sizeof(parent), "%s%s", CG_ROOT,
             strcmp(own, "/") == 0 ? "" : own) < 0 ||
        read_file(parent, "cgroup.controllers", buf, sizeof(buf)) < 0 ||
        !in_list(buf, "memory", ' ') || !in_list(buf, "pids", ' ')) {
        snprintf(why, whylen, "%s lacks the memory or pids controller", parent);
        return -1;
    }
    cg->version = 2;
    if (v2_enable(parent, why, whylen) < 0 ||
        make_gateway_dir(cg, parent, why, whylen) < 0)
        return -1;
    /* Empty, so it may hand the controllers on to each child's. */
    int rc = write_file(cg->dir[0], "cgroup.subtree_control", "+memory +pids");
    if (rc < 0) {
        snprintf(why, whylen, "cannot enable memory and pids in %s: %s",
                 cg->dir[0], strerror(-rc));
        return -1;
    }
    return 0;
}

/* v1: a directory in the memory hierarchy and one in the pids one. */
static int create_v1_one(struct sb_cgroup *cg, const char *controller,
                         char *why, size_t whylen)
{
    char own[PATH_MAX], base[PATH_MAX], parent[PATH_MAX];

    snprintf(base, sizeof(base), "%s/%s", CG_ROOT, controller);
    if (access(base, W_OK) < 0 || own_cgroup(controller, own, sizeof(own))) {
        snprintf(why, whylen, "no writable cgroup v1 %s hierarchy", controller);
        return -1;
    }
    if (join(parent, sizeof(parent), "%s%s", base,
             strcmp(own, "/") == 0 ? "" : own) < 0) {
        snprintf(why, whylen, "cgroup path too long");
        return -1;
    }
    return make_gateway_dir(cg, parent, why, whylen);
}

static int create_v1(struct sb_cgroup *cg, char *why, size_t whylen)
{
    cg->version = 1;
    if (cg->memory && create_v1_one(cg, "memory", why, whylen) < 0)
        return -1;
    if (cg->pids && create_v1_one(cg, "pids", why, whylen) < 0)
        return -1;
    return 0;
}

int sb_cgroup_leaf_path(const struct sb_cgroup *cg, size_t i, const char *name,
                        char *out, size_t cap)
{
    return join(out, cap, "%s/%s", cg->dir[i], name);
}

/* The limits of one child, in the directory of the hierarchy i. */
static int set_leaf_limits(const struct sb_cgroup *cg, size_t i,
                           const char *dir, char *why, size_t whylen)
{
    bool memory_dir = cg->version == 2 || (cg->memory && i == 0);
    bool pids_dir = cg->version == 2 || i == cg->ndirs - 1;

    if (cg->version == 2 && cg->memory) {
        if (set_limit(dir, "memory.max", cg->memory, why, whylen) < 0)
            return -1;
        /* Swap would let the limit be passed at disk speed. */
        write_file(dir, "memory.swap.max", "0");
        /* The whole child goes, not one of its processes. */
        write_file(dir, "memory.oom.group", "1");
    } else if (memory_dir && cg->memory) {
        if (set_limit(dir, "memory.limit_in_bytes", cg->memory, why, whylen))
            return -1;
        /* Memory plus swap: the same bound, so no swapping past it. */
        char memsw[PATH_MAX];
        if (join(memsw, sizeof(memsw), "%s/memory.memsw.limit_in_bytes", dir) ==
                0 &&
            access(memsw, F_OK) == 0 &&
            set_limit(dir, "memory.memsw.limit_in_bytes", cg->memory, why,
                      whylen) < 0)
            return -1;
    }
    if (pids_dir && cg->pids &&
        set_limit(dir, "pids.max", cg->pids, why, whylen) < 0)
        return -1;
    return 0;
}

int sb_cgroup_make_leaf(const struct sb_cgroup *cg, const char *name, char *why,
                        size_t whylen)
{
    char dir[PATH_MAX];

    /* The probe at start still works: only the children's fail. */
    if (strcmp(name, "probe") != 0 && sb_pretend_missing("cgroup-child")) {
        snprintf(why, whylen, "made missing by " SANDBOX_PRETEND_ENV);
        return -1;
    }

    for (size_t i = 0; i < cg->ndirs; i++) {
        if (sb_cgroup_leaf_path(cg, i, name, dir, sizeof(dir)) < 0) {
            snprintf(why, whylen, "cgroup path too long");
            break;
        }
        if (mkdir(dir, 0755) < 0) {
            snprintf(why, whylen, "mkdir %s: %s", dir, strerror(errno));
            break;
        }
        if (set_leaf_limits(cg, i, dir, why, whylen) < 0)
            break;
        if (i + 1 == cg->ndirs)
            return 0;
    }
    sb_cgroup_remove_leaf(cg, name);
    return -1;
}

/* Sends SIGKILL to what is left in dir. Returns how many were sent it. */
static int kill_members(const char *dir)
{
    char buf[4096];
    int n = 0;

    if (read_file(dir, "cgroup.procs", buf, sizeof(buf)) <= 0)
        return 0;
    for (char *p = buf, *end; *p; p = end) {
        long pid = strtol(p, &end, 10);
        if (end == p)
            break;
        if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
            n++;
    }
    return n;
}

int sb_cgroup_remove_leaf(const struct sb_cgroup *cg, const char *name)
{
    char dir[PATH_MAX];
    int rc = 0;

    for (size_t i = 0; i < cg->ndirs; i++) {
        if (sb_cgroup_leaf_path(cg, i, name, dir, sizeof(dir)) < 0)
            continue;
        /* What outlived the child's process group (a setsid, a double
         * fork) still counts against it, and keeps the directory. */
        kill_members(dir);
        if (rmdir(dir) < 0 && errno != ENOENT)
            rc = -errno;
    }
    return rc;
}

/* The number after key (a line's first word) in dir/file, or 0. */
static uint64_t read_counter(const char *dir, const char *file, const char *key)
{
    char buf[2048];
    size_t n = strlen(key);

    if (read_file(dir, file, buf, sizeof(buf)) < 0)
        return 0;
    for (const char *p = buf; *p;) {
        if (strncmp(p, key, n) == 0 && p[n] == ' ')
            return strtoull(p + n + 1, NULL, 10);
        const char *nl = strchr(p, '\n');
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    return 0;
}

void sb_cgroup_leaf_events(const struct sb_cgroup *cg, const char *name,
                           struct sb_leaf_events *ev)
{
    char dir[PATH_MAX];

    memset(ev, 0, sizeof(*ev));
    if (cg->memory && sb_cgroup_leaf_path(cg, 0, name, dir, sizeof(dir)) == 0)
        ev->oom_kills = read_counter(
            dir, cg->version == 2 ? "memory.events" : "memory.oom_control",
            "oom_kill");
    if (cg->pids &&
        sb_cgroup_leaf_path(cg, cg->ndirs - 1, name, dir, sizeof(dir)) == 0)
        ev->forks_refused = read_counter(dir, "pids.events", "max");
}

/* Forks a process that joins every directory and exits: 0 when it could. */
static int try_join(const struct sb_cgroup *cg, const char *name, char *why,
                    size_t whylen)
{
    int status = 0;

    /* Whatever stdio holds must not be written twice. */
    fflush(NULL);
    pid_t pid = fork();

    if (pid < 0) {
        snprintf(why, whylen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        char me[32], dir[PATH_MAX];
        snprintf(me, sizeof(me), "%d", (int)getpid());
        for (size_t i = 0; i < cg->ndirs; i++) {
            if (sb_cgroup_leaf_path(cg, i, name, dir, sizeof(dir)) < 0 ||
                write_file(dir, "cgroup.procs", me) < 0)
                _exit(1);
        }
        _exit(0);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(why, whylen, "cannot move a process into %s/%s", cg->dir[0],
                 name);
        return -1;
    }
    return 0;
}

int sb_cgroup_create(struct sb_cgroup *cg, uint64_t memory, unsigned pids,
                     char *why, size_t whylen)
{
    static const char probe[] = "probe";
    int rc;

    memset(cg, 0, sizeof(*cg));
    if (sb_pretend_missing("cgroup")) {
        snprintf(why, whylen, "made missing by " SANDBOX_PRETEND_ENV);
        return -1;
    }
    cg->memory = memory;
    cg->pids = pids;
    rc = is_v2_host() ? create_v2(cg, why, whylen) : create_v1(cg, why, whylen);
    /* A child's cgroup, made, joined and removed, as at each spawn. */
    if (rc == 0 && cg->ndirs > 0 &&
        (rc = sb_cgroup_make_leaf(cg, probe, why, whylen)) == 0) {
        rc = try_join(cg, probe, why, whylen);
        for (int i = 0; i < 100 && sb_cgroup_remove_leaf(cg, probe) < 0; i++)
            usleep(1000);
    }
    if (rc < 0 || cg->ndirs == 0) {
        if (rc == 0)
            snprintf(why, whylen, "no limit to set");
        sb_cgroup_remove(cg);
        return -1;
    }
    return 0;
}

void sb_cgroup_remove(struct sb_cgroup *cg)
{
    for (size_t i = 0; i < cg->ndirs; i++)
        remove_empty(cg->dir[i]);
    memset(cg, 0, sizeof(*cg));
}

void sb_cgroup_describe(char *out, size_t outlen)
{
    struct sb_cgroup cg;
    char why[256];

    if (sb_cgroup_create(&cg, (uint64_t)1 << 30, 64, why, sizeof(why)) < 0) {
        snprintf(out, outlen, "unavailable (%s)", why);
        return;
    }
    snprintf(out, outlen, "available (cgroup v%d, one per child in %s)",
             cg.version, cg.dir[0]);
    sb_cgroup_remove(&cg);
}
