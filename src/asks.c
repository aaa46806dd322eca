/* SPDX-License-Identifier: MIT */
/* Server requests waiting for a client's answer, by the gateway's id. */
#include "mcpgw/asks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

static int new_id(char out[ASK_ID_LEN + 1])
{
    unsigned char raw[16];

    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return -EIO;
    char *p = out + sprintf(out, "\"mcpgw-");
    for (size_t i = 0; i < sizeof(raw); i++)
        p += sprintf(p, "%02x", raw[i]);
    p[0] = '"';
    p[1] = '\0';
    return 0;
}

struct ask *ask_add(struct ask_table *t, const char *child_id, size_t n,
                    struct rt_entry *holder, int *err)
{
    struct ask *a = NULL;

    for (size_t i = 0; i < ASKS_MAX && a == NULL; i++)
        if (!t->slots[i].used)
            a = &t->slots[i];
    *err = -ENOSPC;
    if (a == NULL)
        return NULL;
    *err = new_id(a->id);
    if (*err < 0)
        return NULL;
    a->child_id = malloc(n + 1);
    *err = -ENOMEM;
    if (a->child_id == NULL)
        return NULL;
    memcpy(a->child_id, child_id, n);
    a->child_id[n] = '\0';
    a->child_id_len = n;
    a->holder = holder;
    a->used = true;
    holder->asks++;
    t->count++;
    *err = 0;
    return a;
}

struct ask *ask_find(struct ask_table *t, const char *id, size_t n)
{
    if (n != ASK_ID_LEN)
        return NULL;
    for (size_t i = 0; i < ASKS_MAX; i++)
        if (t->slots[i].used && memcmp(t->slots[i].id, id, n) == 0)
            return &t->slots[i];
    return NULL;
}

struct ask *ask_find_child(struct ask_table *t, const char *id, size_t n)
{
    for (size_t i = 0; i < ASKS_MAX; i++) {
        struct ask *a = &t->slots[i];
        if (a->used && a->child_id_len == n && memcmp(a->child_id, id, n) == 0)
            return a;
    }
    return NULL;
}

struct ask *ask_of_holder(struct ask_table *t, const struct rt_entry *holder)
{
    for (size_t i = 0; i < ASKS_MAX; i++)
        if (t->slots[i].used && t->slots[i].holder == holder)
            return &t->slots[i];
    return NULL;
}

void ask_remove(struct ask_table *t, struct ask *a)
{
    a->holder->asks--;
    free(a->child_id);
    memset(a, 0, sizeof(*a));
    t->count--;
}

void ask_clear(struct ask_table *t)
{
    for (size_t i = 0; i < ASKS_MAX; i++)
        if (t->slots[i].used)
            ask_remove(t, &t->slots[i]);
}
