/* SPDX-License-Identifier: MIT */
/* Unit tests for the table of server requests waiting for a client. */
#include "mcpgw/asks.h"

#include <errno.h>
#include <string.h>

#include "tap.h"

static bool id_shaped(const char *id)
{
    if (strlen(id) != ASK_ID_LEN || strncmp(id, "\"mcpgw-", 7) != 0 ||
        id[ASK_ID_LEN - 1] != '"')
        return false;
    for (size_t i = 7; i < ASK_ID_LEN - 1; i++)
        if (!strchr("0123456789abcdef", id[i]))
            return false;
    return true;
}

static void test_add_find(void)
{
    struct ask_table t = {0};
    struct rt_entry h1 = {0}, h2 = {0};
    int err;

    struct ask *a = ask_add(&t, "0", 1, &h1, &err);
    struct ask *b = ask_add(&t, "\"s1\"", 4, &h2, &err);
    ok(a && b && err == 0, "two asks");
    ok(a && id_shaped(a->id), "a quoted mcpgw- id of 32 hex digits");
    ok(a && b && strcmp(a->id, b->id) != 0, "fresh ids differ");
    is_int(t.count, 2, "count");
    is_int(h1.asks, 1, "the holder counts its asks");

    ok(ask_find(&t, a->id, strlen(a->id)) == a, "found by the gateway's id");
    ok(ask_find(&t, "0", 1) == NULL, "not by the child's id");
    ok(ask_find(&t, a->id, strlen(a->id) - 1) == NULL, "a prefix is no id");
    ok(ask_find_child(&t, "\"s1\"", 4) == b, "found by the child's id");
    ok(ask_find_child(&t, "\"s2\"", 4) == NULL, "another child id");
    ok(ask_of_holder(&t, &h2) == b, "found by its holder");

    char old[ASK_ID_LEN + 1];
    memcpy(old, a->id, sizeof(old));
    ask_remove(&t, a);
    is_int(h1.asks, 0, "removed: the holder's count goes down");
    ok(ask_find(&t, old, strlen(old)) == NULL, "an answered id is gone");
    ok(ask_of_holder(&t, &h1) == NULL, "nothing left for h1");
    ask_clear(&t);
    is_int(t.count, 0, "cleared");
    is_int(h2.asks, 0, "cleared: counts down too");
}

static void test_bound(void)
{
    struct ask_table t = {0};
    struct rt_entry h = {0};
    int err = 0;

    for (int i = 0; i < ASKS_MAX; i++)
        if (ask_add(&t, "1", 1, &h, &err) == NULL)
            break;
    is_int(t.count, ASKS_MAX, "fills up to ASKS_MAX");
    ok(ask_add(&t, "1", 1, &h, &err) == NULL, "then refuses");
    is_int(err, -ENOSPC, "with -ENOSPC");
    ask_remove(&t, &t.slots[3]);
    ok(ask_add(&t, "1", 1, &h, &err) != NULL, "a freed slot is reused");
    ask_clear(&t);
    is_int(h.asks, 0, "all gone");
}

int main(void)
{
    test_add_find();
    test_bound();
    return tap_done();
}
