/* SPDX-License-Identifier: MIT */
/*
 * Requests a shared child made of a client (sampling, elicitation,
 * roots), waiting for that client's answer. Each goes out under an id of
 * the gateway's (a random string no other client can guess), so the
 * answer, which arrives on a POST that names no session, can be matched
 * to the child that asked and given back the child's own id.
 */
#ifndef MCPGW_ASKS_H
#define MCPGW_ASKS_H

#include <stdbool.h>
#include <stddef.h>

#include "mcpgw/router.h"

#define ASKS_MAX 32 /* per child: past it the child gets an error */
/* The id as JSON text: a quote, "mcpgw-", 32 hex digits, a quote. */
#define ASK_ID_LEN (1 + 6 + 32 + 1)

struct ask {
    bool used;
    char id[ASK_ID_LEN + 1]; /* the gateway's id, JSON text */
    char *child_id;          /* owned: the child's id, raw JSON text */
    size_t child_id_len;
    struct rt_entry *holder; /* borrowed: the call it was made for */
};

struct ask_table {
    struct ask slots[ASKS_MAX];
    size_t count;
};

/*
 * Remembers a request of the child's (its id: child_id, n bytes of JSON
 * text) made for the call `holder`. Returns the entry, with a fresh id;
 * NULL with *err set: -ENOSPC when ASKS_MAX are waiting, -ENOMEM, or -EIO
 * when no random bytes could be had.
 */
struct ask *ask_add(struct ask_table *t, const char *child_id, size_t n,
                    struct rt_entry *holder, int *err);

/* The entry whose gateway id is the JSON text id[0..n), or NULL. */
struct ask *ask_find(struct ask_table *t, const char *id, size_t n);

/* The entry of the child's own id (raw JSON text), or NULL. */
struct ask *ask_find_child(struct ask_table *t, const char *id, size_t n);

/* The first entry made for holder, or NULL. */
struct ask *ask_of_holder(struct ask_table *t, const struct rt_entry *holder);

/* Forgets a (its holder's count of asks goes down). */
void ask_remove(struct ask_table *t, struct ask *a);

/* Forgets every entry (the child is gone: nothing to answer). */
void ask_clear(struct ask_table *t);

#endif
