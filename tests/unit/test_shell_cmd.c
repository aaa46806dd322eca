/* SPDX-License-Identifier: MIT */
/* Unit tests for telling a simple shell command from anything more. */
#include "mcpgw/shell_cmd.h"

#include "tap.h"

static void test_simple(void)
{
    const char *yes[] = {
        "node server.js",
        "npx -y @modelcontextprotocol/server-filesystem /home",
        "  uvx mcp-server-fetch --flag=value",
        "'/usr/bin/node' '/work/my dir/fixture.mjs'",
        "node \"/path with spaces/s.js\" a,b:c%d~e+f",
        "/opt/bin/server --port=8000 -v",
    };

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        ok(shell_cmd_is_simple(yes[i]), yes[i]);
}

static void test_not_simple(void)
{
    const char *no[] = {
        "",
        "   ",
        "FOO=1 node s.js",
        "node a.js; node b.js",
        "node a.js && echo done",
        "node a.js | tee log",
        "node a.js > out",
        "node a.js 2>&1",
        "node $HOME/s.js",
        "node \"$HOME/s.js\"",
        "node `which x`",
        "node \"a\\\"b\"",
        "node 'unterminated",
        "node \"unterminated",
        "node a.js &",
        "(node a.js)",
        "{ node a.js; }",
        "node *.js",
        "node a.js # comment",
        "if true; then node a.js; fi",
        "exec node a.js",
        "cd /srv",
        "export X",
        "node a.js\nnode b.js",
        "! node a.js",
    };

    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        ok(!shell_cmd_is_simple(no[i]), no[i]);
}

int main(void)
{
    test_simple();
    test_not_simple();
    return tap_done();
}
