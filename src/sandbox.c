/* SPDX-License-Identifier: MIT */
/* Decides and prepares what the MCP server child may touch (sandbox.h). */
#include "mcpgw/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mcpgw/log.h"
#include "sandbox_int.h"

#define DEFAULT_MEMORY ((uint64_t)1 << 30)  /* in a cgroup */
#define DEFAULT_AS     ((uint64_t)16 << 30) /* as RLIMIT_AS, see below */
#define DEFAULT_PROCS  256 /* tasks: Node runs ~11 threads a process */
#define DEFAULT_FILES  4096
#define NOBODY         65534
#define MAX_ABI        6 /* the newest Landlock ABI this code knows */

/*
 * Read and execute: what a shell, Node and npx need to start, and the
 * few /etc files of the name service, TLS and time zones.
 */
static const char *const system_ro[] = {
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib64",
    "/lib32",
    "/libx32",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/ld.so.preload",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/host.conf",
    "/etc/resolv.conf",
    "/etc/gai.conf",
    "/etc/services",
    "/etc/protocols",
    "/etc/localtime",
    "/etc/timezone",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/ca-certificates.conf",
    "/etc/pki",
    "/etc/crypto-policies",
    "/etc/alternatives",
    "/etc/mime.types",
    "/etc/npmrc",
    "/etc/os-release",
};

/* Read and write, no more: the /dev/null-like devices. */
static const char *const devices[] = {
    "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
};

/* Set by sandbox_start, read at each spawn; loop thread only. */
static struct {
    enum sb_mode mode;
    struct sb_plan plan; /* ppid is filled at each spawn */
    struct sb_envspec env;
    char self[PATH_MAX]; /* the gateway's binary */
    char workdir[PATH_MAX];
    bool made_workdir; /* removed at stop */
    struct sb_cgroup cg;
    char *pool[3 * SB_MAX_PATHS]; /* owned strings the plan points to */
    size_t npool;
    char summary[1024];
} sb;

/* --- small helpers --------------------------------------------------- */

static const char *keep(const char *s)
{
    if (sb.npool == sizeof(sb.pool) / sizeof(sb.pool[0]))
        return NULL;
    char *c = strdup(s);
    if (c)
        sb.pool[sb.npool++] = c;
    return c;
}

static void add_path(struct sb_paths *ps, const char *path)
{
    for (size_t i = 0; i < ps->n; i++) {
        if (strcmp(ps->v[i], path) == 0)
            return;
    }
    const char *c = ps->n < SB_MAX_PATHS ? keep(path) : NULL;
    if (c)
        ps->v[ps->n++] = c;
}

static void append(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void append(char *out, size_t cap, const char *fmt, ...)
{
    size_t n = strlen(out);
    va_list ap;

    if (n + 1 >= cap)
        return;
    va_start(ap, fmt);
    vsnprintf(out + n, cap - n, fmt, ap);
    va_end(ap);
}

static void human(char *out, size_t cap, uint64_t bytes)
{
    if (bytes % (1 << 30) == 0)
        snprintf(out, cap, "%" PRIu64 "G", bytes >> 30);
    else if (bytes % (1 << 20) == 0)
        snprintf(out, cap, "%" PRIu64 "M", bytes >> 20);
    else
        snprintf(out, cap, "%" PRIu64 "K", bytes >> 10);
}

static int resolve_self(void)
{
    ssize_t n = readlink("/proc/self/exe", sb.self, sizeof(sb.self) - 1);

    if (n <= 0) {
        snprintf(sb.self, sizeof(sb.self), "/proc/self/exe");
        return -1;
    }
    sb.self[n] = '\0';
    return 0;
}

/*
 * A protection that was asked for and cannot be had: under strict,
 * the start fails naming it; under best-effort, a warning.
 */
static int missing(char *err, size_t errlen, const char *what, const char *why)
{
    if (sb.mode == SB_BEST) {
        log_warn("sandbox",
                 "%s unavailable (%s): starting without it "
                 "(--sandbox=best-effort)",
                 what, why);
        return 0;
    }
    snprintf(err, errlen,
             "--sandbox: %s is not available here (%s); refusing to start "
             "(--sandbox=best-effort starts without it)",
             what, why);
    return -1;
}

/* --- the user -------------------------------------------------------- */

static int parse_ids(const char *s, uid_t *uid, gid_t *gid, bool *has_gid)
{
    char *end;
    unsigned long u = strtoul(s, &end, 10);

    if (end == s || (*end != '\0' && *end != ':') || u >= (uid_t)-1)
        return -1;
    *uid = (uid_t)u;
    *has_gid = *end == ':';
    if (*has_gid) {
        const char *g = end + 1;
        unsigned long v = strtoul(g, &end, 10);
        if (end == g || *end != '\0' || v >= (gid_t)-1)
            return -1;
        *gid = (gid_t)v;
    }
    return 0;
}

/* --user NAME|UID[:GID]; as root without it, nobody. */
static int pick_user(const struct gw_config *cfg, char *err, size_t errlen)
{
    struct sb_plan *p = &sb.plan;
    bool has_gid = false;

    if (cfg->user == NULL) {
        if (geteuid() != 0)
            return 0; /* the child runs as the gateway's own user */
        struct passwd *pw = getpwnam("nobody");
        p->uid = pw ? pw->pw_uid : NOBODY;
        p->gid = pw ? pw->pw_gid : NOBODY;
        p->set_user = true;
        log_info("sandbox",
                 "running as root: the MCP server runs as nobody "
                 "(%u:%u); --user picks another user",
                 (unsigned)p->uid, (unsigned)p->gid);
        return 0;
    }
    if (parse_ids(cfg->user, &p->uid, &p->gid, &has_gid) == 0) {
        struct passwd *pw = has_gid ? NULL : getpwuid(p->uid);
        if (!has_gid)
            p->gid = pw ? pw->pw_gid : (gid_t)p->uid;
    } else {
        struct passwd *pw = getpwnam(cfg->user);
        if (pw == NULL) {
            snprintf(err, errlen, "--user %s: no such user", cfg->user);
            return -1;
        }
        p->uid = pw->pw_uid;
        p->gid = pw->pw_gid;
    }
    if (p->uid == 0) {
        snprintf(err, errlen,
                 "--user %s: under --sandbox the MCP server "
                 "may not run as root",
                 cfg->user);
        return -1;
    }
    if (geteuid() != 0 && (p->uid != getuid() || p->gid != getgid())) {
        snprintf(err, errlen, "--user %s: only root can switch users",
                 cfg->user);
        return -1;
    }
    p->set_user = true;
    return 0;
}

/* --- the work directory ---------------------------------------------- */

static int make_workdir(const struct gw_config *cfg, char *err, size_t errlen)
{
    struct stat st;

    if (cfg->workdir) {
        snprintf(sb.workdir, sizeof(sb.workdir), "%s", cfg->workdir);
        if (mkdir(sb.workdir, 0700) == 0)
            sb.made_workdir = true;
        else if (errno != EEXIST) {
            snprintf(err, errlen, "--workdir %s: %s", cfg->workdir,
                     strerror(errno));
            return -1;
        }
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(sb.workdir, sizeof(sb.workdir), "%s/mcpgw-XXXXXX",
                 tmp && tmp[0] == '/' ? tmp : "/tmp");
        if (mkdtemp(sb.workdir) == NULL) {
            snprintf(err, errlen,
                     "--sandbox: cannot make a work "
                     "directory in %s: %s",
                     tmp ? tmp : "/tmp", strerror(errno));
            return -1;
        }
        sb.made_workdir = true;
    }
    if (stat(sb.workdir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "--workdir %s: not a directory", sb.workdir);
        return -1;
    }
    /* The child's user must be able to write its own directory. */
    if (sb.made_workdir && sb.plan.set_user &&
        chown(sb.workdir, sb.plan.uid, sb.plan.gid) < 0) {
        snprintf(err, errlen, "--workdir %s: chown: %s", sb.workdir,
                 strerror(errno));
        return -1;
    }
    if (!sb.made_workdir && sb.plan.set_user && st.st_uid != sb.plan.uid)
        log_warn("sandbox",
                 "--workdir %s belongs to uid %u, not to the "
                 "MCP server's %u: it may not be able to write there",
                 sb.workdir, (unsigned)st.st_uid, (unsigned)sb.plan.uid);
    return 0;
}

/* Deletes a tree without following a symbolic link out of it. */
static void remove_tree(int dirfd, const char *name)
{
    int fd =
        openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd >= 0) {
        DIR *d = fdopendir(fd);
        if (d == NULL) {
            close(fd);
            return;
        }
        for (struct dirent *e; (e = readdir(d)) != NULL;) {
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                remove_tree(fd, e->d_name);
        }
        closedir(d);
        unlinkat(dirfd, name, AT_REMOVEDIR);
        return;
    }
    unlinkat(dirfd, name, 0);
}

/* --- files ----------------------------------------------------------- */

/* The directory above bin/ of the node that PATH finds. */
static void add_node_install(struct sb_paths *ro)
{
    const char *path = getenv("PATH");
    char buf[PATH_MAX], real[PATH_MAX];

    for (const char *p = path; p && *p;) {
        size_t n = strcspn(p, ":");
        snprintf(buf, sizeof(buf), "%.*s/node", (int)n, p);
        if (n > 0 && access(buf, X_OK) == 0 && realpath(buf, real)) {
            char *slash = strrchr(real, '/');
            if (slash)
                *slash = '\0'; /* .../bin */
            slash = strrchr(real, '/');
            if (slash && slash != real)
                *slash = '\0'; /* the install's prefix */
            add_path(ro, real);
            return;
        }
        p += n + (p[n] == ':');
    }
}

static void add_npm_cache(struct sb_paths *ro)
{
    const char *c = getenv("npm_config_cache");
    const char *home = getenv("HOME");
    char buf[PATH_MAX];

    if (c == NULL)
        c = getenv("NPM_CONFIG_CACHE");
    if (c == NULL && home) {
        snprintf(buf, sizeof(buf), "%s/.npm", home);
        c = buf;
    }
    if (c && c[0] == '/' && access(c, F_OK) == 0)
        add_path(ro, c);
}

static int check_paths(const struct config_list *l, const char *flag,
                       struct sb_paths *into, char *err, size_t errlen)
{
    for (size_t i = 0; i < l->n; i++) {
        if (access(l->v[i], F_OK) < 0) {
            snprintf(err, errlen, "%s %s: %s", flag, l->v[i], strerror(errno));
            return -1;
        }
        add_path(into, l->v[i]);
    }
    return 0;
}

static int plan_files(const struct gw_config *cfg, const struct sb_host *h,
                      char *err, size_t errlen)
{
    struct sb_plan *p = &sb.plan;

    if (h->landlock_abi == 0)
        return missing(err, errlen, "Landlock (file access rules)",
                       h->landlock_why);
    p->landlock = h->landlock_abi < MAX_ABI ? h->landlock_abi : MAX_ABI;
    for (size_t i = 0; i < sizeof(system_ro) / sizeof(system_ro[0]); i++)
        add_path(&p->ro, system_ro[i]);
    add_node_install(&p->ro);
    add_npm_cache(&p->ro);
    for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
        add_path(&p->dev, devices[i]);
    add_path(&p->rw, sb.workdir);
    if (check_paths(&cfg->allow_read, "--allow-read", &p->ro, err, errlen) < 0)
        return -1;
    return check_paths(&cfg->allow_write, "--allow-write", &p->rw, err, errlen);
}

/* --- network, system calls, limits ----------------------------------- */

static int plan_network(const struct gw_config *cfg, const struct sb_host *h,
                        char *err, size_t errlen)
{
    struct sb_plan *p = &sb.plan;
    bool tcp = p->landlock >= 4 && !sb_pretend_missing("landlock-net");

    if (!cfg->no_network)
        return 0;
    p->netns = h->netns;
    p->landlock_tcp = tcp;
    if (h->netns || (tcp && h->seccomp))
        return 0;
    char why[300];
    snprintf(why, sizeof(why), "no network namespace: %s; %s", h->netns_why,
             tcp ? "no seccomp for UDP" : "no Landlock TCP rules (ABI < 4)");
    return missing(err, errlen, "--no-network", why);
}

/*
 * Children alive at once: one, or one per session; twice that, as an
 * ended session's child may still be exiting when the next one starts.
 */
static size_t max_children(const struct gw_config *cfg)
{
    size_t live = cfg->stateful ? cfg->max_sessions : cfg->pool;

    return 2 * live + 2;
}

static void plan_limits(const struct gw_config *cfg)
{
    struct sb_plan *p = &sb.plan;
    uint64_t mem = cfg->child_memory ? cfg->child_memory : DEFAULT_MEMORY;
    unsigned procs = cfg->child_procs ? cfg->child_procs : DEFAULT_PROCS;
    char why[512], size[32];

    p->rl_nofile = cfg->child_files ? cfg->child_files : DEFAULT_FILES;
    p->rl_cpu = cfg->child_cpu;
    if (sb_cgroup_create(&sb.cg, mem, procs, why, sizeof(why)) == 0) {
        /* Each child's own, made at its spawn (sandbox_spawn_init). */
        sb_children_init(&sb.cg, max_children(cfg));
        return;
    }
    /*
     * No cgroup. RLIMIT_NPROC binds: the child is never root here.
     * RLIMIT_AS counts address space, not memory: Node 20 needs about
     * 0.8G to start and WebAssembly (fetch's HTTP parser) reserves 10G
     * more, so the default is 16G, which only stops a runaway.
     */
    p->rl_nproc = procs;
    p->rl_as = cfg->child_memory ? cfg->child_memory : DEFAULT_AS;
    human(size, sizeof(size), p->rl_as);
    log_warn("sandbox",
             "no cgroup for the MCP server (%s): limits are "
             "RLIMIT_AS=%s (address space, not memory; WebAssembly needs "
             "over 11G) and RLIMIT_NPROC=%u (counts every process of its "
             "user)",
             why, size, procs);
}

/* --- the summary ----------------------------------------------------- */

static void summarize(const struct gw_config *cfg)
{
    const struct sb_plan *p = &sb.plan;
    char *s = sb.summary;
    size_t cap = sizeof(sb.summary);
    char size[32];

    s[0] = '\0';
    if (sb.mode == SB_OFF) {
        append(s, cap,
               "sandbox off: the MCP server gets only its three "
               "pipes, no_new_privs, its own process group, SIGKILL when "
               "the gateway dies, no secrets in its environment");
        return;
    }
    append(s, cap, "sandbox %s: user %u:%u, workdir %s, env allowlist",
           sb.mode == SB_BEST ? "best-effort" : "strict",
           (unsigned)(p->set_user ? p->uid : getuid()),
           (unsigned)(p->set_user ? p->gid : getgid()), sb.workdir);
    if (cfg->child_env.n)
        append(s, cap, " +%zu --env", cfg->child_env.n);
    if (p->landlock)
        append(s, cap, ", Landlock ABI %d (%zu read, %zu write paths)",
               p->landlock, p->ro.n, p->rw.n);
    else
        append(s, cap, ", no Landlock");
    if (cfg->no_network)
        append(s, cap, ", no network (%s%s%s)", p->netns ? "own namespace" : "",
               p->netns && p->landlock_tcp ? " + " : "",
               p->landlock_tcp ? "Landlock TCP" : "");
    append(s, cap, p->seccomp ? ", seccomp" : ", no seccomp");
    if (sb.cg.memory) {
        human(size, sizeof(size),
              cfg->child_memory ? cfg->child_memory : DEFAULT_MEMORY);
        append(s, cap, ", memory %s", size);
    } else if (p->rl_as) {
        human(size, sizeof(size), p->rl_as);
        append(s, cap, ", address space %s", size);
    }
    append(s, cap, ", tasks %u",
           cfg->child_procs ? cfg->child_procs : DEFAULT_PROCS);
    if (sb.cg.ndirs)
        append(s, cap, " (cgroup v%d, each child its own)", sb.cg.version);
    append(s, cap, ", files %" PRIu64, p->rl_nofile);
    if (p->rl_cpu)
        append(s, cap, ", cpu %" PRIu64 "s", p->rl_cpu);
}

/* --- public ---------------------------------------------------------- */

static int plan_sandbox(const struct gw_config *cfg, char *err, size_t errlen)
{
    struct sb_host h;

    sb_probe(&h);
    if (pick_user(cfg, err, errlen) < 0 || make_workdir(cfg, err, errlen) < 0)
        return -1;
    sb.plan.cwd = sb.workdir;
    if (plan_files(cfg, &h, err, errlen) < 0 ||
        plan_network(cfg, &h, err, errlen) < 0)
        return -1;
    if (h.seccomp) {
        sb.plan.seccomp = true;
        sb.plan.seccomp_nonet = cfg->no_network;
    } else if (missing(err, errlen, "seccomp", h.seccomp_why) < 0) {
        return -1;
    }
    plan_limits(cfg);
    sb.env.allowlist = true;
    sb.env.home = sb.workdir;
    sb.env.extra = cfg->child_env.v;
    sb.env.nextra = cfg->child_env.n;
    return 0;
}

int sandbox_start(const struct gw_config *cfg,
                  const struct guard_tokens *tokens, char *err, size_t errlen)
{
    memset(&sb, 0, sizeof(sb));
    sb.env.tokens = tokens;
    resolve_self();
    sb.mode = cfg->sandbox == CONFIG_SANDBOX_STRICT        ? SB_STRICT
              : cfg->sandbox == CONFIG_SANDBOX_BEST_EFFORT ? SB_BEST
                                                           : SB_OFF;
    sb.plan.mode = sb.mode;
    if (sb.mode != SB_OFF && plan_sandbox(cfg, err, errlen) < 0) {
        sandbox_stop();
        return -1;
    }
    summarize(cfg);
    return 0;
}

const char *sandbox_summary(void)
{
    return sb.summary;
}

void sandbox_stop(void)
{
    if (sb.cg.ndirs) {
        sb_children_stop();
        sb_cgroup_remove(&sb.cg);
    }
    if (sb.made_workdir) {
        remove_tree(AT_FDCWD, sb.workdir);
        sb.made_workdir = false;
    }
    for (size_t i = 0; i < sb.npool; i++)
        free(sb.pool[i]);
    sb.npool = 0;
    memset(&sb.plan, 0, sizeof(sb.plan));
}

/*
 * The child's own cgroup, named in its plan. Without one the limits
 * would not hold: strict refuses the spawn, best-effort goes on.
 */
static int child_cgroup(struct sandbox_spawn *s, struct sb_plan *p,
                        char (*dirs)[PATH_MAX])
{
    char why[512];

    s->limit = sb_children_add(why, sizeof(why));
    if (s->limit == NULL && sb.mode == SB_BEST) {
        log_warn("sandbox",
                 "no cgroup for the next MCP server (%s): starting it "
                 "without memory and task limits (--sandbox=best-effort)",
                 why);
        return 0;
    }
    if (s->limit == NULL) {
        log_error("sandbox",
                  "no cgroup for the next MCP server (%s): not starting "
                  "it without its memory and task limits",
                  why);
        return -EAGAIN;
    }
    for (size_t i = 0; i < sb.cg.ndirs; i++) {
        if (sb_cgroup_leaf_path(&sb.cg, i, sb_child_name(s->limit), dirs[i],
                                PATH_MAX) < 0)
            return -ENAMETOOLONG;
        p->cgroups[p->ncgroups++] = dirs[i];
    }
    return 0;
}

int sandbox_spawn_init(struct sandbox_spawn *s, const char *cmd,
                       char *const *env)
{
    struct sb_plan p = sb.plan;
    char dirs[SB_MAX_CGROUPS][PATH_MAX];
    int rc;

    memset(s, 0, sizeof(*s));
    if (sb.self[0] == '\0')
        resolve_self();
    p.ppid = getpid();
    if (sb.cg.ndirs && (rc = child_cgroup(s, &p, dirs)) < 0) {
        sandbox_spawn_free(s);
        return rc;
    }
    s->file = strdup(sb.self);
    s->args = sb_plan_argv(&p, sb.self, cmd);
    s->env = sb_env_build(env, &sb.env);
    if (s->file == NULL || s->args == NULL || s->env == NULL) {
        sandbox_spawn_free(s);
        return -ENOMEM;
    }
    return 0;
}

void sandbox_spawned(struct sandbox_spawn *s, int pid)
{
    char dir[PATH_MAX], mem[32];

    if (s->limit == NULL)
        return;
    sb_children_started(s->limit, (pid_t)pid);
    if (sb_cgroup_leaf_path(&sb.cg, 0, sb_child_name(s->limit), dir,
                            sizeof(dir)) == 0) {
        human(mem, sizeof(mem), sb.cg.memory);
        log_info("sandbox", "pid=%d cgroup %s (memory %s, tasks %u)", pid, dir,
                 mem, sb.cg.pids);
    }
    s->limit = NULL;
}

void sandbox_spawn_free(struct sandbox_spawn *s)
{
    if (s->limit)
        sb_children_remove(s->limit, NULL);
    free(s->file);
    sb_strv_free(s->args);
    sb_strv_free(s->env);
    memset(s, 0, sizeof(*s));
}

/* What the child's cgroup counted: the limit that ended it, if one did. */
static void log_limits(struct sb_child *c, int pid, int sig)
{
    struct sb_leaf_events ev;
    char mem[32];

    sb_cgroup_leaf_events(&sb.cg, sb_child_name(c), &ev);
    human(mem, sizeof(mem), sb.cg.memory);
    if (sig == SIGKILL && ev.oom_kills > 0)
        log_warn("sandbox",
                 "pid=%d: killed by its memory limit (--child-memory %s, "
                 "the cgroup's OOM killer)",
                 pid, mem);
    if (ev.forks_refused > 0)
        log_info("sandbox",
                 "pid=%d: %" PRIu64 " forks were refused by its task "
                 "limit (--child-procs %u)",
                 pid, ev.forks_refused, sb.cg.pids);
}

void sandbox_child_exited(uv_loop_t *loop, int pid, int64_t status,
                          int term_signal)
{
    /* sh -c reports a command killed by a signal as 128 + the signal. */
    int sig = term_signal                    ? term_signal
              : status > 128 && status < 160 ? (int)status - 128
                                             : 0;
    struct sb_child *c = sb.cg.ndirs ? sb_children_find((pid_t)pid) : NULL;

    if (status == SB_EXIT_SETUP && term_signal == 0)
        log_error("sandbox",
                  "pid=%d: the sandbox could not be set up "
                  "(see the line above)",
                  pid);
    if (c)
        log_limits(c, pid, sig);
    if (sig == SIGXCPU)
        log_warn("sandbox",
                 "pid=%d: killed by its CPU time limit "
                 "(--child-cpu %" PRIu64 "s)",
                 pid, sb.plan.rl_cpu);
    if (c)
        sb_children_remove(c, loop);
}
