/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the libFuzzer targets: an invariant check that aborts
 * (so libFuzzer keeps the input), a growable byte vector, and small
 * independent oracles that the targets compare the library against.
 */
#ifndef MCPGW_FUZZ_UTIL_H
#define MCPGW_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant: on violation print where and why, then abort. */
#define CHECK(cond)                                                    \
    do {                                                               \
        if (!(cond)) {                                                 \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
                    __LINE__, #cond);                                  \
            abort();                                                   \
        }                                                              \
    } while (0)

/* malloc that never returns NULL: the fuzzer's own memory is not tested. */
static inline void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    return p;
}

/* A NUL-terminated copy of p[0..n). */
static inline char *xstrndup(const void *p, size_t n)
{
    char *s = xmalloc(n + 1);
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

struct vec {
    unsigned char *p;
    size_t len, cap;
};

static inline void vec_add(struct vec *v, const void *p, size_t n)
{
    if (n > v->cap - v->len || !v->p) {
        size_t cap = v->cap ? v->cap : 64;
        while (cap - v->len < n)
            cap *= 2;
        unsigned char *q = realloc(v->p, cap);
        if (!q)
            abort();
        v->p = q;
        v->cap = cap;
    }
    if (n)
        memcpy(v->p + v->len, p, n);
    v->len += n;
}

static inline void vec_free(struct vec *v)
{
    free(v->p);
    v->p = NULL;
    v->len = v->cap = 0;
}

/*
 * True when p[0..n) is well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). Written from the RFC's table, not
 * from src/json.c, so the two can disagree.
 */
static inline bool utf8_valid(const unsigned char *p, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = p[i];
        uint32_t cp;
        size_t k;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            k = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            k = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            k = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i < k)
            return false;
        for (size_t j = 1; j < k; j++) {
            if ((p[i + j] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (p[i + j] & 0x3F);
        }
        static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += k;
    }
    return true;
}

static inline bool has_bytes(const void *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);

    if (m == 0)
        return true;
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp((const char *)hay + i, needle, m) == 0)
            return true;
    return false;
}

#endif
