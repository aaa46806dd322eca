/* SPDX-License-Identifier: MIT */
/* Unit tests for the choice of a shared child for each call. */
#include "mcpgw/pool.h"

#include "tap.h"

#define L(ready, calls, holders)    \
    {                               \
        (ready), (calls), (holders) \
    }

static void test_one(void)
{
    struct pool_load one[] = {L(false, 5, 5)};

    is_int(pool_choose(one, 1, true), 0, "one member: always it");
    is_int(pool_choose(one, 1, false), 0, "one member, not holding");
}

static void test_holding(void)
{
    /* Member 0 is busy with a holder; 1 has more calls but no holder. */
    struct pool_load v[] = {L(true, 1, 1), L(true, 3, 0), L(true, 2, 0)};

    is_int(pool_choose(v, 3, true), 2,
           "a holding call: no holder, then fewest calls");
    is_int(pool_choose(v, 3, false), 0, "another call: fewest calls");

    struct pool_load all[] = {L(true, 4, 2), L(true, 9, 1), L(true, 2, 2)};
    is_int(pool_choose(all, 3, true), 1,
           "every member held: the fewest holders first");

    struct pool_load tie[] = {L(true, 2, 1), L(true, 2, 1)};
    is_int(pool_choose(tie, 2, true), 0, "a tie goes to the lowest index");
}

static void test_readiness(void)
{
    /* The idle member is restarting: a ready one is better, held or not. */
    struct pool_load v[] = {L(false, 0, 0), L(true, 7, 1)};

    is_int(pool_choose(v, 2, true), 1, "ready members before idle ones");
    is_int(pool_choose(v, 2, false), 1, "ready first for any call");

    struct pool_load none[] = {L(false, 3, 1), L(false, 1, 0), L(false, 1, 1)};
    is_int(pool_choose(none, 3, true), 1,
           "none ready: the same rules over all (the call waits)");
    is_int(pool_choose(none, 3, false), 1, "none ready, not holding");
}

static void test_may_ask(void)
{
    ok(backend_may_ask("tools/call"), "tools/call holds");
    ok(backend_may_ask("prompts/get"), "prompts/get holds");
    ok(backend_may_ask("resources/read"), "resources/read holds");
    ok(backend_may_ask("completion/complete"), "completion/complete holds");
    ok(!backend_may_ask("tools/list"), "tools/list does not");
    ok(!backend_may_ask("ping"), "ping does not");
    ok(!backend_may_ask("initialize"), "initialize does not");
    ok(!backend_may_ask("logging/setLevel"), "logging/setLevel does not");
}

int main(void)
{
    test_one();
    test_holding();
    test_readiness();
    test_may_ask();
    return tap_done();
}
