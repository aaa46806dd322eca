/* SPDX-License-Identifier: MIT */
/* A strict JSON validator and span reader, so messages forward byte-exact. */
#include "mcpgw/json.h"

#include <limits.h>
#include <string.h>

/*
 * Nesting is tracked in a fixed bit stack (one bit per level: object or
 * array), so validation neither recurses nor allocates. Deeper limits are
 * clamped to this; no sane JSON-RPC message nests anywhere near it.
 */
#define STACK_LEVELS 1024

struct scanner {
    const unsigned char *p;
    size_t len;
    size_t i;       /* next byte to look at */
    unsigned depth; /* open arrays and objects */
    unsigned max;   /* depth limit, at most STACK_LEVELS */
    unsigned char stack[STACK_LEVELS / 8]; /* bit set: object at level */
};

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_ws(const unsigned char *p, size_t i, size_t end)
{
    while (i < end && is_ws(p[i]))
        i++;
    return i;
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(unsigned char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads four hex digits at p[i]; returns 0, or -1 if they are not there. */
static int read_hex4(const unsigned char *p, size_t i, size_t end,
                     uint32_t *out)
{
    uint32_t v = 0;

    if (i > end || end - i < 4)
        return -1;
    for (size_t k = 0; k < 4; k++) {
        int h = hex_value(p[i + k]);
        if (h < 0)
            return -1;
        v = v << 4 | (uint32_t)h;
    }
    *out = v;
    return 0;
}

/*
 * Decodes "\uXXXX" at p[*i], joining a surrogate pair into one code point.
 * A surrogate that does not pair is an encoding error, not a syntax error:
 * it could not be converted to UTF-8 by the peer that reads it next.
 */
static int decode_u(const unsigned char *p, size_t *i, size_t end, uint32_t *cp)
{
    uint32_t hi, lo;
    size_t j = *i + 2;

    if (read_hex4(p, j, end, &hi))
        return -JSON_ESYNTAX;
    j += 4;
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return -JSON_EUTF8;
    if (hi >= 0xD800 && hi <= 0xDBFF) {
        if (end - j < 2 || p[j] != '\\' || p[j + 1] != 'u')
            return -JSON_EUTF8;
        if (read_hex4(p, j + 2, end, &lo))
            return -JSON_ESYNTAX;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return -JSON_EUTF8;
        hi = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
        j += 6;
    }
    *cp = hi;
    *i = j;
    return 0;
}

/* Decodes the escape starting at the backslash p[*i] and moves past it. */
static int decode_escape(const unsigned char *p, size_t *i, size_t end,
                         uint32_t *cp)
{
    if (end - *i < 2)
        return -JSON_ESYNTAX;
    switch (p[*i + 1]) {
    case '"':
    case '\\':
    case '/':
        *cp = p[*i + 1];
        break;
    case 'b':
        *cp = '\b';
        break;
    case 'f':
        *cp = '\f';
        break;
    case 'n':
        *cp = '\n';
        break;
    case 'r':
        *cp = '\r';
        break;
    case 't':
        *cp = '\t';
        break;
    case 'u':
        return decode_u(p, i, end, cp);
    default:
        return -JSON_ESYNTAX;
    }
    *i += 2;
    return 0;
}

/*
 * Returns the length of the well-formed UTF-8 sequence at p[0..n), or 0.
 * The narrowed second-byte ranges exclude overlongs (E0, F0), UTF-16
 * surrogates (ED) and code points above U+10FFFF (F4).
 */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    size_t need;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        lo = c == 0xE0 ? 0xA0 : lo;
        hi = c == 0xED ? 0x9F : hi;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        lo = c == 0xF0 ? 0x90 : lo;
        hi = c == 0xF4 ? 0x8F : hi;
    } else {
        return 0;
    }
    if (n < need || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t k = 2; k < need; k++)
        if ((p[k] & 0xC0) != 0x80)
            return 0;
    return need;
}

/* Encodes a code point (at most U+10FFFF) as UTF-8; returns the length. */
static size_t utf8_put(uint32_t cp, unsigned char *out)
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | cp >> 6);
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | cp >> 12);
        out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | cp >> 18);
    out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
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
        return c == '-' || is_digit(c) ? JSON_NUMBER : JSON_NONE;
    }
}

/* Validates the string whose opening quote is at s->i. */
static int scan_string(struct scanner *s)
{
    const unsigned char *p = s->p;
    size_t i = s->i + 1;

    while (i < s->len) {
        unsigned char c = p[i];
        if (c == '"') {
            s->i = i + 1;
            return 0;
        }
        if (c == '\\') {
            uint32_t cp;
            int rc = decode_escape(p, &i, s->len, &cp);
            if (rc)
                return rc;
        } else if (c < 0x20) {
            return -JSON_ESYNTAX;
        } else if (c < 0x80) {
            i++;
        } else {
            size_t n = utf8_len(p + i, s->len - i);
            if (n == 0)
                return -JSON_EUTF8;
            i += n;
        }
    }
    return -JSON_ESYNTAX;
}

static size_t scan_digits(struct scanner *s)
{
    size_t start = s->i;

    while (s->i < s->len && is_digit(s->p[s->i]))
        s->i++;
    return s->i - start;
}

static bool scan_char(struct scanner *s, unsigned char c)
{
    if (s->i < s->len && s->p[s->i] == c) {
        s->i++;
        return true;
    }
    return false;
}

/* RFC 8259 numbers: no leading zeros, digits on both sides of the '.'. */
static int scan_number(struct scanner *s)
{
    scan_char(s, '-');
    if (!scan_char(s, '0') && scan_digits(s) == 0)
        return -JSON_ESYNTAX;
    if (scan_char(s, '.') && scan_digits(s) == 0)
        return -JSON_ESYNTAX;
    if (scan_char(s, 'e') || scan_char(s, 'E')) {
        if (!scan_char(s, '+'))
            scan_char(s, '-');
        if (scan_digits(s) == 0)
            return -JSON_ESYNTAX;
    }
    return 0;
}

static int scan_word(struct scanner *s, const char *word)
{
    size_t n = strlen(word);

    if (s->len - s->i < n || memcmp(s->p + s->i, word, n) != 0)
        return -JSON_ESYNTAX;
    s->i += n;
    return 0;
}

/* Validates a string, number or literal at s->i. */
static int scan_scalar(struct scanner *s)
{
    switch (type_of(s->p[s->i])) {
    case JSON_STRING:
        return scan_string(s);
    case JSON_NUMBER:
        return scan_number(s);
    case JSON_TRUE:
        return scan_word(s, "true");
    case JSON_FALSE:
        return scan_word(s, "false");
    case JSON_NULL:
        return scan_word(s, "null");
    default:
        return -JSON_ESYNTAX;
    }
}

static bool top_is_object(const struct scanner *s)
{
    unsigned d = s->depth - 1;

    return s->stack[d / 8] >> (d % 8) & 1;
}

/* Validates `"key" :` and the whitespace after it, up to the value. */
static int scan_key(struct scanner *s)
{
    if (s->i >= s->len || s->p[s->i] != '"')
        return -JSON_ESYNTAX;
    int rc = scan_string(s);
    if (rc)
        return rc;
    s->i = skip_ws(s->p, s->i, s->len);
    if (!scan_char(s, ':'))
        return -JSON_ESYNTAX;
    s->i = skip_ws(s->p, s->i, s->len);
    return 0;
}

/*
 * Enters the array or object at s->i. Returns 1 when it was empty and is
 * already closed, 0 when a value (after its key, for an object) follows.
 */
static int scan_open(struct scanner *s)
{
    bool obj = s->p[s->i] == '{';
    unsigned d = s->depth;

    if (d >= s->max)
        return -JSON_EDEPTH;
    if (obj)
        s->stack[d / 8] |= (unsigned char)(1u << (d % 8));
    else
        s->stack[d / 8] &= (unsigned char)~(1u << (d % 8));
    s->depth++;
    s->i = skip_ws(s->p, s->i + 1, s->len);
    if (scan_char(s, obj ? '}' : ']')) {
        s->depth--;
        return 1;
    }
    return obj ? scan_key(s) : 0;
}

/*
 * After a value: closes every container that ends here. Returns 1 when the
 * root value is complete, 0 when another value (or key) follows a comma.
 */
static int scan_after(struct scanner *s)
{
    while (s->depth > 0) {
        bool obj = top_is_object(s);
        s->i = skip_ws(s->p, s->i, s->len);
        if (scan_char(s, ',')) {
            s->i = skip_ws(s->p, s->i, s->len);
            return obj ? scan_key(s) : 0;
        }
        if (!scan_char(s, obj ? '}' : ']'))
            return -JSON_ESYNTAX;
        s->depth--;
    }
    return 1;
}

/* Validates one value at s->i, nested values included, without recursion. */
static int scan_value(struct scanner *s)
{
    for (;;) {
        int rc;
        if (s->i >= s->len)
            return -JSON_ESYNTAX;
        if (s->p[s->i] == '[' || s->p[s->i] == '{') {
            rc = scan_open(s);
            if (rc == 0)
                continue;
        } else {
            rc = scan_scalar(s);
        }
        if (rc < 0)
            return rc;
        rc = scan_after(s);
        if (rc != 0)
            return rc < 0 ? rc : 0;
    }
}

/*
 * The readers below trust that the document passed json_validate: they
 * find the end of a value by counting brackets outside strings. They still
 * stop at end, so a wrong span cannot make them read past it.
 */
static size_t skip_string(const unsigned char *p, size_t i, size_t end)
{
    for (i++; i < end; i++) {
        if (p[i] == '\\')
            i++;
        else if (p[i] == '"')
            return i + 1;
    }
    return end;
}

static size_t skip_value(const unsigned char *p, size_t i, size_t end)
{
    size_t depth = 0;

    if (i < end && p[i] == '"')
        return skip_string(p, i, end);
    if (i < end && p[i] != '[' && p[i] != '{') {
        while (i < end && !is_ws(p[i]) && p[i] != ',' && p[i] != ']' &&
               p[i] != '}')
            i++;
        return i;
    }
    while (i < end) {
        unsigned char c = p[i];
        if (c == '"') {
            i = skip_string(p, i, end);
            continue;
        }
        i++;
        if (c == '[' || c == '{')
            depth++;
        else if ((c == ']' || c == '}') && --depth == 0)
            break;
    }
    return i;
}

static void span_at(const unsigned char *p, size_t i, size_t end,
                    struct json_span *v)
{
    v->off = i;
    v->len = skip_value(p, i, end) - i;
    v->type = v->len ? type_of(p[i]) : JSON_NONE;
}

static void span_none(struct json_span *v)
{
    v->off = 0;
    v->len = 0;
    v->type = JSON_NONE;
}

/* Finds the inside of a string span, between its quotes. */
static bool string_body(const char *doc, struct json_span s, size_t *begin,
                        size_t *end)
{
    if (s.type != JSON_STRING || s.len < 2 || doc[s.off] != '"' ||
        doc[s.off + s.len - 1] != '"')
        return false;
    *begin = s.off + 1;
    *end = s.off + s.len - 1;
    return true;
}

/*
 * Decodes one character of a string body at p[*i] into out as UTF-8.
 * Returns its length, or 0 for a malformed escape.
 */
static size_t next_char(const unsigned char *p, size_t *i, size_t end,
                        unsigned char out[4])
{
    uint32_t cp;

    if (p[*i] != '\\') {
        out[0] = p[(*i)++];
        return 1;
    }
    if (decode_escape(p, i, end, &cp))
        return 0;
    return utf8_put(cp, out);
}

/* The two-character escapes JSON has, or NULL for any other byte. */
static const char *short_escape(unsigned char c)
{
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\b':
        return "\\b";
    case '\f':
        return "\\f";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    default:
        return NULL;
    }
}

/* Writes the JSON form of an ASCII byte to out; returns its length. */
static size_t escape_ascii(unsigned char c, char *out)
{
    static const char hex[] = "0123456789abcdef";
    const char *esc = short_escape(c);

    if (esc) {
        memcpy(out, esc, 2);
        return 2;
    }
    /* DEL is legal JSON but escaped too: the output often ends up in logs. */
    if (c < 0x20 || c == 0x7F) {
        memcpy(out, "\\u00", 4);
        out[4] = hex[c >> 4];
        out[5] = hex[c & 0xF];
        return 6;
    }
    out[0] = (char)c;
    return 1;
}

int json_validate(const char *doc, size_t len, unsigned max_depth,
                  struct json_span *root)
{
    struct scanner s = {
        .p = (const unsigned char *)doc,
        .len = len,
        .max = max_depth < STACK_LEVELS ? max_depth : STACK_LEVELS,
    };

    span_none(root);
    s.i = skip_ws(s.p, 0, len);
    size_t start = s.i;
    int rc = scan_value(&s);
    if (rc)
        return rc;
    size_t stop = s.i;
    if (skip_ws(s.p, stop, len) != len)
        return -JSON_ESYNTAX;
    root->off = start;
    root->len = stop - start;
    root->type = type_of(s.p[start]);
    return 0;
}

bool json_object_next(const char *doc, struct json_span obj, size_t *cursor,
                      struct json_span *key, struct json_span *val)
{
    const unsigned char *p = (const unsigned char *)doc;

    span_none(key);
    span_none(val);
    if (obj.type != JSON_OBJECT || obj.len < 2)
        return false;
    size_t end = obj.off + obj.len - 1; /* the closing brace */
    /* 0 means "start"; any later cursor is past the opening brace. */
    size_t i = *cursor ? *cursor : skip_ws(p, obj.off + 1, end);
    if (i <= obj.off || i >= end || p[i] != '"') {
        *cursor = end;
        return false;
    }
    *key = (struct json_span){i, skip_string(p, i, end) - i, JSON_STRING};
    i = skip_ws(p, key->off + key->len, end);
    if (i >= end || p[i] != ':') {
        span_none(key);
        *cursor = end;
        return false;
    }
    span_at(p, skip_ws(p, i + 1, end), end, val);
    i = skip_ws(p, val->off + val->len, end);
    if (i < end && p[i] == ',')
        i = skip_ws(p, i + 1, end);
    *cursor = i;
    return true;
}

int json_member(const char *doc, struct json_span obj, const char *key,
                struct json_span *val)
{
    struct json_span k, v;
    size_t cursor = 0;
    int count = 0;

    span_none(val);
    while (json_object_next(doc, obj, &cursor, &k, &v)) {
        if (!json_string_eq(doc, k, key))
            continue;
        if (count == 0)
            *val = v;
        /* Two is all callers need to reject a duplicate. */
        if (++count == 2)
            break;
    }
    return count;
}

bool json_array_next(const char *doc, struct json_span arr, size_t *cursor,
                     struct json_span *elem)
{
    const unsigned char *p = (const unsigned char *)doc;

    span_none(elem);
    if (arr.type != JSON_ARRAY || arr.len < 2)
        return false;
    size_t end = arr.off + arr.len - 1; /* the closing bracket */
    /* 0 means "start"; any later cursor is past the opening bracket. */
    size_t i = *cursor ? *cursor : arr.off + 1;
    if (i <= arr.off || i >= end)
        return false;
    i = skip_ws(p, i, end);
    if (i < end && p[i] != ']')
        span_at(p, i, end, elem);
    if (elem->len == 0) {
        span_none(elem);
        *cursor = end;
        return false;
    }
    i = skip_ws(p, elem->off + elem->len, end);
    if (i < end && p[i] == ',')
        i++;
    *cursor = i;
    return true;
}

size_t json_array_len(const char *doc, struct json_span arr)
{
    struct json_span elem;
    size_t cursor = 0, n = 0;

    while (json_array_next(doc, arr, &cursor, &elem))
        n++;
    return n;
}

bool json_string_eq(const char *doc, struct json_span s, const char *lit)
{
    const unsigned char *p = (const unsigned char *)doc;
    size_t i, end, k = 0, lit_len = strlen(lit);

    if (!string_body(doc, s, &i, &end))
        return false;
    while (i < end) {
        unsigned char c[4];
        size_t n = next_char(p, &i, end, c);
        if (n == 0 || n > lit_len - k || memcmp(lit + k, c, n) != 0)
            return false;
        k += n;
    }
    return k == lit_len;
}

int json_string_decode(const char *doc, struct json_span s, char *out,
                       size_t cap)
{
    const unsigned char *p = (const unsigned char *)doc;
    size_t i, end, k = 0;

    if (cap == 0)
        return -1;
    out[0] = '\0';
    if (!string_body(doc, s, &i, &end))
        return -1;
    while (i < end) {
        unsigned char c[4];
        size_t n = next_char(p, &i, end, c);
        /* A NUL would silently truncate the C string the caller gets. */
        if (n == 0 || (n == 1 && c[0] == '\0') || n >= cap - k ||
            k + n > INT_MAX) {
            out[0] = '\0';
            return -1;
        }
        memcpy(out + k, c, n);
        k += n;
    }
    out[k] = '\0';
    return (int)k;
}

bool json_uint64(const char *doc, struct json_span s, uint64_t *out)
{
    const char *p = doc + s.off;
    uint64_t v = 0;

    if (s.len == 0 || (p[0] == '0' && s.len > 1))
        return false;
    for (size_t i = 0; i < s.len; i++) {
        if (!is_digit((unsigned char)p[i]))
            return false;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

size_t json_escape(const char *p, size_t n, char *out)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t o = 0;

    for (size_t i = 0; i < n;) {
        if (u[i] < 0x80) {
            o += escape_ascii(u[i++], out + o);
            continue;
        }
        size_t k = utf8_len(u + i, n - i);
        if (k == 0) {
            /* One replacement per bad byte keeps the 6 * n bound simple. */
            memcpy(out + o, "\\ufffd", 6);
            o += 6;
            i++;
        } else {
            memcpy(out + o, u + i, k);
            o += k;
            i += k;
        }
    }
    return o;
}
