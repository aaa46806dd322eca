/* SPDX-License-Identifier: MIT */
/* Unit tests for the sandbox's pure parts: the plan, the environment. */
#include "mcpgw/sandbox.h"

#include <stdlib.h>
#include <string.h>

#include "../../src/sandbox_int.h"
#include "tap.h"

static size_t count(char **v)
{
    size_t n = 0;

    while (v && v[n])
        n++;
    return n;
}

static const char *find(char **env, const char *name)
{
    size_t n = strlen(name);

    for (char **p = env; p && *p; p++) {
        if (strncmp(*p, name, n) == 0 && (*p)[n] == '=')
            return *p + n + 1;
    }
    return NULL;
}

static void test_plan_roundtrip(void)
{
    struct sb_plan p = {
        .mode = SB_BEST,
        .ppid = 4242,
        .cgroups = {"/sys/fs/cgroup/x"},
        .ncgroups = 1,
        .rl_nofile = 100,
        .rl_as = (uint64_t)16 << 30,
        .netns = true,
        .cwd = "/tmp/w d",
        .set_user = true,
        .uid = 65534,
        .gid = 65533,
        .landlock = 6,
        .landlock_tcp = true,
        .ro = {{"/usr", "/path with=equals"}, 2},
        .rw = {{"/tmp/w d"}, 1},
        .dev = {{"/dev/null"}, 1},
        .seccomp = true,
        .seccomp_nonet = true,
    };
    char **argv = sb_plan_argv(&p, "/bin/mcpgw", "node server.js --x");
    struct sb_plan q;
    const char *cmd = NULL;
    char err[128] = "";

    ok(argv != NULL, "plan: argv built");
    is_str(argv[0], "/bin/mcpgw", "plan: self first");
    is_str(argv[1], SANDBOX_EXEC_WORD, "plan: then the helper word");
    is_int(sb_plan_parse(&q, (int)count(argv), argv, &cmd, err, sizeof(err)), 0,
           "plan: parses back");
    is_str(cmd, "node server.js --x", "plan: the command");
    is_int(q.mode, SB_BEST, "plan: mode");
    is_int(q.ppid, 4242, "plan: ppid");
    is_int(q.ncgroups, 1, "plan: cgroups");
    is_int(q.rl_nofile, 100, "plan: nofile");
    is_int(q.rl_as, p.rl_as, "plan: as");
    is_int(q.rl_cpu, 0, "plan: cpu unset");
    is_int(q.netns, 1, "plan: netns");
    is_str(q.cwd, "/tmp/w d", "plan: cwd with a space");
    is_int(q.uid, 65534, "plan: uid");
    is_int(q.gid, 65533, "plan: gid");
    is_int(q.landlock, 6, "plan: landlock");
    is_int(q.landlock_tcp, 1, "plan: lltcp");
    is_int(q.ro.n, 2, "plan: ro paths");
    is_str(q.ro.v[1], "/path with=equals", "plan: '=' in a path");
    is_int(q.seccomp_nonet, 1, "plan: seccomp nonet");
    sb_strv_free(argv);

    struct sb_plan off = {.ppid = 1};
    argv = sb_plan_argv(&off, "/m", "true");
    is_int(count(argv), 6, "plan: off is short");
    is_int(sb_plan_parse(&q, (int)count(argv), argv, &cmd, err, sizeof(err)), 0,
           "plan: off parses");
    is_int(q.mode, SB_OFF, "plan: off");
    is_int(q.landlock + q.seccomp + q.set_user, 0, "plan: nothing on");
    sb_strv_free(argv);
}

static void test_plan_errors(void)
{
    struct sb_plan q;
    const char *cmd;
    char err[128];
    char *bad_key[] = {"m", "sandbox-exec", "ppid=1", "what=1", "--", "x",
                       NULL};
    char *no_cmd[] = {"m", "sandbox-exec", "ppid=1", "--", NULL};
    char *no_ppid[] = {"m", "sandbox-exec", "--", "x", NULL};
    char *relative[] = {"m", "sandbox-exec", "ppid=1", "ro=usr", "--", "x",
                        NULL};

    is_int(sb_plan_parse(&q, 6, bad_key, &cmd, err, sizeof(err)), -1,
           "plan: unknown key");
    is_str(err, "bad plan word: what=1", "plan: unknown key message");
    is_int(sb_plan_parse(&q, 4, no_cmd, &cmd, err, sizeof(err)), -1,
           "plan: no command");
    is_int(sb_plan_parse(&q, 4, no_ppid, &cmd, err, sizeof(err)), -1,
           "plan: no ppid");
    is_int(sb_plan_parse(&q, 6, relative, &cmd, err, sizeof(err)), -1,
           "plan: relative path");
}

static void test_env(void)
{
    struct config_list list = {{"tok-abcdef", "second-token"}, 2};
    struct guard_tokens t = {0};
    char *env[] = {"PATH=/usr/bin",
                   "HOME=/root",
                   "SECRET_KEY=aws",
                   "NODE_OPTIONS=--max-old-space-size=64",
                   "LC_ALL=C",
                   "MY_TOKEN=tok-abcdef",
                   "AUTH=Bearer second-token",
                   "SPACED= tok-abcdef\n",
                   "NOT_A_TOKEN=tok-abcdefg",
                   NULL};
    char *extra[] = {"SECRET_KEY", "ADDED=1", "MISSING_ONE"};

    ok(guard_tokens_set(&t, &list) == 0, "env: tokens set");
    ok(sb_env_is_token(&t, "tok-abcdef"), "env: a token");
    ok(sb_env_is_token(&t, "Bearer second-token"), "env: a Bearer token");
    ok(!sb_env_is_token(&t, "tok-abcde"), "env: a prefix is not");
    ok(!sb_env_is_token(NULL, "tok-abcdef"), "env: no tokens");

    struct sb_envspec all = {.tokens = &t};
    char **e = sb_env_build(env, &all);
    is_str(find(e, "SECRET_KEY"), "aws", "env: others pass without sandbox");
    ok(find(e, "MY_TOKEN") == NULL, "env: a token's variable is dropped");
    ok(find(e, "AUTH") == NULL, "env: a Bearer header's too");
    ok(find(e, "SPACED") == NULL, "env: spaces around do not hide it");
    is_str(find(e, "NOT_A_TOKEN"), "tok-abcdefg", "env: near misses pass");
    is_str(find(e, "HOME"), "/root", "env: HOME kept without sandbox");
    sb_strv_free(e);

    setenv("SECRET_KEY", "from-the-gateway", 1);
    struct sb_envspec strict = {.allowlist = true,
                                .home = "/tmp/wd",
                                .extra = extra,
                                .nextra = 3,
                                .tokens = &t};
    e = sb_env_build(env, &strict);
    is_str(find(e, "PATH"), "/usr/bin", "env: PATH allowed");
    is_str(find(e, "NODE_OPTIONS"), "--max-old-space-size=64",
           "env: NODE_* allowed");
    is_str(find(e, "LC_ALL"), "C", "env: LC_* allowed");
    is_str(find(e, "HOME"), "/tmp/wd", "env: HOME is the work directory");
    is_str(find(e, "TMPDIR"), "/tmp/wd", "env: so is TMPDIR");
    is_str(find(e, "SECRET_KEY"), "from-the-gateway",
           "env: --env NAME takes the gateway's value");
    is_str(find(e, "ADDED"), "1", "env: --env NAME=VALUE");
    ok(find(e, "MISSING_ONE") == NULL, "env: --env of an unset name");
    ok(find(e, "NOT_A_TOKEN") == NULL, "env: the rest is dropped");
    is_int(count(e), 7, "env: nothing else");
    sb_strv_free(e);
    guard_tokens_free(&t);
}

int main(void)
{
    test_plan_roundtrip();
    test_plan_errors();
    test_env();
    return tap_done();
}
