/* SPDX-License-Identifier: MIT */
/*
 * json_validate, the span readers and json_escape, against one another
 * and against a small independent reader of valid documents.
 */
#include "mcpgw/json.h"

#include <errno.h>
#include <inttypes.h>

#include "fuzz_util.h"

#define MAX_DEPTH   64
#define MAX_MEMBERS 64 /* per object checked with json_member (O(n^2)) */

struct walk {
    const char *doc;
    size_t budget;      /* bytes json_member may still scan, per input */
    unsigned max_depth; /* deepest nesting seen */
};

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_ws(const char *p, size_t i, size_t end)
{
    while (i < end && is_ws((unsigned char)p[i]))
        i++;
    return i;
}

/* The end of the string whose quote is at p[i], past its closing quote. */
static size_t string_end(const char *p, size_t i, size_t end)
{
    for (i++; i < end; i++) {
        if (p[i] == '\\')
            i++;
        else if (p[i] == '"')
            return i + 1;
    }
    CHECK(!"unterminated string in a valid document");
    return end;
}

/* The end of the value at p[i] of a valid document. */
static size_t value_end(const char *p, size_t i, size_t end)
{
    size_t depth = 0;

    if (p[i] == '"')
        return string_end(p, i, end);
    if (p[i] != '{' && p[i] != '[') {
        while (i < end && !is_ws((unsigned char)p[i]) && p[i] != ',' &&
               p[i] != '}' && p[i] != ']')
            i++;
        return i;
    }
    do {
        if (p[i] == '"') {
            i = string_end(p, i, end);
            continue;
        }
        if (p[i] == '{' || p[i] == '[')
            depth++;
        else if (p[i] == '}' || p[i] == ']')
            depth--;
        i++;
    } while (depth > 0 && i < end);
    CHECK(depth == 0);
    return i;
}

static enum json_type type_of(unsigned char c)
{
    switch (c) {
    case '{':
        return JSON_OBJECT;
    case '[':
        return JSON_ARRAY;
    case '"':
        return JSON_STRING;
    case 't':
        return JSON_TRUE;
    case 'f':
        return JSON_FALSE;
    case 'n':
        return JSON_NULL;
    default:
        return (c == '-' || (c >= '0' && c <= '9')) ? JSON_NUMBER : JSON_NONE;
    }
}

/* A span handed out by the library must be a valid value of its type. */
static void check_span(const char *doc, struct json_span s)
{
    struct json_span r;

    CHECK(s.type != JSON_NONE && s.len > 0);
    CHECK(type_of((unsigned char)doc[s.off]) == s.type);
    CHECK(json_validate(doc + s.off, s.len, MAX_DEPTH, &r) == 0);
    CHECK(r.off == 0 && r.len == s.len && r.type == s.type);
}

/* Decoded text escaped again and quoted must decode to the same bytes. */
static void check_roundtrip(const char *text, size_t n)
{
    char *q = xmalloc(6 * n + 3), *back = xmalloc(n + 1);
    struct json_span r;

    q[0] = '"';
    size_t e = json_escape(text, n, q + 1);
    CHECK(e <= 6 * n);
    q[e + 1] = '"';
    CHECK(json_validate(q, e + 2, MAX_DEPTH, &r) == 0);
    CHECK(r.type == JSON_STRING && r.off == 0 && r.len == e + 2);
    int k = json_string_decode(q, r, back, n + 1);
    CHECK(k >= 0 && (size_t)k == n && memcmp(back, text, n) == 0);
    free(q);
    free(back);
}

static void check_string(struct walk *w, struct json_span s)
{
    size_t cap = s.len; /* decoded text is never longer than the raw body */
    char *out = xmalloc(cap);
    int n = json_string_decode(w->doc, s, out, cap);

    if (n < 0) {
        /* Only an escaped NUL may refuse (no room is not possible here). */
        CHECK(has_bytes(w->doc + s.off, s.len, "\\u0000"));
        CHECK(out[0] == '\0');
    } else {
        CHECK((size_t)n < cap && out[n] == '\0' && strlen(out) == (size_t)n);
        CHECK(utf8_valid((const unsigned char *)out, (size_t)n));
        CHECK(json_string_eq(w->doc, s, out));
        check_roundtrip(out, (size_t)n);
        /* One byte short of room must refuse, not truncate. */
        if (n > 0)
            CHECK(json_string_decode(w->doc, s, out, (size_t)n) == -1);
    }
    free(out);
}

static void check_number(struct walk *w, struct json_span s)
{
    const char *p = w->doc + s.off;
    bool plain = !(p[0] == '0' && s.len > 1) && s.len <= 20;
    uint64_t v = 0;

    for (size_t i = 0; i < s.len; i++) {
        CHECK(strchr("-+.eE0123456789", p[i]) != NULL && p[i] != '\0');
        plain = plain && p[i] >= '0' && p[i] <= '9';
    }
    if (json_uint64(w->doc, s, &v)) {
        char txt[24];
        int n = snprintf(txt, sizeof txt, "%" PRIu64, v);
        CHECK(n > 0 && (size_t)n == s.len && memcmp(txt, p, s.len) == 0);
    } else if (plain) {
        /* All digits, no leading zero: refused only when above 2^64-1. */
        CHECK(s.len == 20 && memcmp(p, "18446744073709551615", 20) > 0);
    }
}

static void walk(struct walk *w, struct json_span s, unsigned depth);

static void walk_array(struct walk *w, struct json_span s, unsigned depth)
{
    size_t cursor = 0, n = 0, prev_end = s.off + 1;
    size_t end = s.off + s.len - 1;
    struct json_span e;

    while (json_array_next(w->doc, s, &cursor, &e)) {
        CHECK(++n <= s.len);
        CHECK(e.off >= prev_end && e.off + e.len <= end);
        /* Between two elements: whitespace, and one comma after the
         * first; nothing else was skipped. */
        size_t i = skip_ws(w->doc, prev_end, e.off);
        if (n > 1) {
            CHECK(i < e.off && w->doc[i] == ',');
            i = skip_ws(w->doc, i + 1, e.off);
        }
        CHECK(i == e.off);
        CHECK(value_end(w->doc, e.off, end) == e.off + e.len);
        walk(w, e, depth + 1);
        prev_end = e.off + e.len;
    }
    CHECK(e.type == JSON_NONE);
    CHECK(skip_ws(w->doc, prev_end, end) == end);
    CHECK(json_array_len(w->doc, s) == n);
    /* Asking again at the end keeps saying no. */
    CHECK(!json_array_next(w->doc, s, &cursor, &e));
}

struct member {
    struct json_span key, val;
    char *name; /* decoded key, NULL when it holds a NUL */
};

static void walk_object(struct walk *w, struct json_span s, unsigned depth)
{
    const char *p = w->doc;
    size_t end = s.off + s.len - 1, i = skip_ws(p, s.off + 1, end);
    struct member *m = NULL;
    size_t n = 0, cap = 0;

    while (i < end) {
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            m = realloc(m, cap * sizeof *m);
            CHECK(m != NULL);
        }
        CHECK(p[i] == '"');
        struct member *k = &m[n++];
        k->key = (struct json_span){i, string_end(p, i, end) - i, JSON_STRING};
        i = skip_ws(p, k->key.off + k->key.len, end);
        CHECK(i < end && p[i] == ':');
        i = skip_ws(p, i + 1, end);
        size_t ve = value_end(p, i, end);
        k->val = (struct json_span){i, ve - i, type_of((unsigned char)p[i])};
        k->name = xmalloc(k->key.len);
        if (json_string_decode(p, k->key, k->name, k->key.len) < 0) {
            free(k->name);
            k->name = NULL;
        }
        i = skip_ws(p, ve, end);
        if (i < end) {
            CHECK(p[i] == ',');
            i = skip_ws(p, i + 1, end);
        }
    }

    for (size_t a = 0; a < n; a++) {
        check_span(p, m[a].key);
        check_string(w, m[a].key);
        walk(w, m[a].val, depth + 1);
        if (a >= MAX_MEMBERS || !m[a].name || w->budget < s.len)
            continue;
        w->budget -= s.len;
        size_t first = a, same = 0;
        for (size_t b = 0; b < n; b++) {
            if (m[b].name && strcmp(m[b].name, m[a].name) == 0) {
                if (same++ == 0)
                    first = b;
            }
        }
        struct json_span v;
        int got = json_member(p, s, m[a].name, &v);
        CHECK(got == (same < 2 ? (int)same : 2));
        CHECK(v.off == m[first].val.off && v.len == m[first].val.len &&
              v.type == m[first].val.type);
        check_span(p, v);
    }
    if (w->budget >= s.len) {
        struct json_span v;
        w->budget -= s.len;
        /* No valid key decodes to this: its bytes are not UTF-8. */
        CHECK(json_member(p, s, "\xff", &v) == 0 && v.type == JSON_NONE);
    }
    for (size_t a = 0; a < n; a++)
        free(m[a].name);
    free(m);
}

static void walk(struct walk *w, struct json_span s, unsigned depth)
{
    const char *p = w->doc + s.off;

    check_span(w->doc, s);
    switch (s.type) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        CHECK(depth + 1 <= MAX_DEPTH);
        if (depth + 1 > w->max_depth)
            w->max_depth = depth + 1;
        if (s.type == JSON_OBJECT)
            walk_object(w, s, depth);
        else
            walk_array(w, s, depth);
        break;
    case JSON_STRING:
        check_string(w, s);
        break;
    case JSON_NUMBER:
        check_number(w, s);
        break;
    case JSON_TRUE:
        CHECK(s.len == 4 && memcmp(p, "true", 4) == 0);
        break;
    case JSON_FALSE:
        CHECK(s.len == 5 && memcmp(p, "false", 5) == 0);
        break;
    case JSON_NULL:
        CHECK(s.len == 4 && memcmp(p, "null", 4) == 0);
        break;
    default:
        CHECK(!"span of no type");
    }
}

static void check_escape(const uint8_t *data, size_t size)
{
    char *q = xmalloc(6 * size + 2);
    struct json_span r;

    q[0] = '"';
    size_t n = json_escape((const char *)data, size, q + 1);
    CHECK(n <= 6 * size);
    q[n + 1] = '"';
    for (size_t i = 1; i <= n; i++)
        CHECK((unsigned char)q[i] >= 0x20 && q[i] != 0x7f);
    CHECK(json_validate(q, n + 2, MAX_DEPTH, &r) == 0);
    CHECK(r.type == JSON_STRING && r.off == 0 && r.len == n + 2);

    char *back = xmalloc(n + 1);
    int k = json_string_decode(q, r, back, n + 1);
    if (memchr(data, 0, size)) {
        CHECK(k == -1);
    } else {
        CHECK(k >= 0);
        CHECK(utf8_valid((const unsigned char *)back, (size_t)k));
        if (utf8_valid(data, size))
            CHECK((size_t)k == size && memcmp(back, data, size) == 0);
    }
    free(back);
    free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so ASan sees any read past the end. */
    char *doc = xmalloc(size);
    struct json_span root, again;

    memcpy(doc, data, size);
    int rc = json_validate(doc, size, MAX_DEPTH, &root);
    CHECK(rc == 0 || rc == -JSON_ESYNTAX || rc == -JSON_EDEPTH ||
          rc == -JSON_EUTF8);
    if (rc != 0) {
        CHECK(root.type == JSON_NONE);
        /* The limit changes the answer only for a document too deep. */
        if (rc != -JSON_EDEPTH)
            CHECK(json_validate(doc, size, 1024, &again) == rc);
    } else {
        CHECK(root.off + root.len <= size);
        for (size_t i = 0; i < size; i++)
            if (i < root.off || i >= root.off + root.len)
                CHECK(is_ws((unsigned char)doc[i]));
        CHECK(json_validate(doc, size, 1024, &again) == 0);
        CHECK(again.off == root.off && again.len == root.len);

        struct walk w = {.doc = doc, .budget = 4u << 20};
        walk(&w, root, 0);
        /* The limit is exact: the deepest nesting passes, one less not. */
        CHECK(json_validate(doc, size, w.max_depth, &again) == 0);
        if (w.max_depth > 0)
            CHECK(json_validate(doc, size, w.max_depth - 1, &again) ==
                  -JSON_EDEPTH);
    }
    check_escape(data, size);
    free(doc);
    return 0;
}
