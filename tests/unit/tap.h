/* SPDX-License-Identifier: MIT */
/*
 * A minimal TAP producer for the unit tests: each check prints one
 * "ok N - name" or "not ok N - name" line; tap_done prints the plan and
 * returns the exit status (non-zero when any check failed).
 */
#ifndef MCPGW_TAP_H
#define MCPGW_TAP_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

static inline int tap_ok(int cond, const char *name, const char *file,
                         int line)
{
    tap_count++;
    if (cond) {
        printf("ok %d - %s\n", tap_count, name);
    } else {
        tap_failed++;
        printf("not ok %d - %s\n#   at %s:%d\n", tap_count, name, file,
               line);
    }
    return cond;
}

#define ok(cond, name) tap_ok(!!(cond), name, __FILE__, __LINE__)

#define is_int(got, want, name)                                            \
    do {                                                                   \
        long long g_ = (long long)(got), w_ = (long long)(want);           \
        if (!ok(g_ == w_, name))                                           \
            printf("#   got %lld, want %lld\n", g_, w_);                   \
    } while (0)

#define is_str(got, want, name)                                            \
    do {                                                                   \
        const char *g_ = (got), *w_ = (want);                              \
        if (!ok(g_ && w_ && strcmp(g_, w_) == 0, name))                    \
            printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)",     \
                   w_ ? w_ : "(null)");                                    \
    } while (0)

#define is_mem(got, glen, want, name)                                      \
    do {                                                                   \
        const char *w_ = (want);                                           \
        size_t gl_ = (glen), wl_ = strlen(w_);                             \
        if (!ok(gl_ == wl_ && memcmp((got), w_, wl_) == 0, name))          \
            printf("#   got \"%.*s\", want \"%s\"\n", (int)gl_,            \
                   (const char *)(got), w_);                               \
    } while (0)

static inline int tap_done(void)
{
    printf("1..%d\n", tap_count);
    if (tap_failed)
        printf("# %d of %d checks failed\n", tap_failed, tap_count);
    return tap_failed ? 1 : 0;
}

#endif
