/* SPDX-License-Identifier: MIT */
/* Unit tests for the strict JSON validator and span reader. */
#include "mcpgw/json.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"

struct vcase {
    const char *doc;
    size_t len;
    int want;
};

/* sizeof keeps embedded NULs and raw bytes in the length. */
#define V(s) s, sizeof(s) - 1

static const struct vcase cases[] = {
    /* numbers */
    {V("0"), 0},
    {V("-0"), 0},
    {V("1e5"), 0},
    {V("1.5E-3"), 0},
    {V("-12.75e+10"), 0},
    {V("9007199254740993"), 0},
    {V("01"), -JSON_ESYNTAX},
    {V("-01"), -JSON_ESYNTAX},
    {V("1."), -JSON_ESYNTAX},
    {V(".5"), -JSON_ESYNTAX},
    {V("-"), -JSON_ESYNTAX},
    {V("+1"), -JSON_ESYNTAX},
    {V("1e"), -JSON_ESYNTAX},
    {V("1e+"), -JSON_ESYNTAX},
    {V("0x10"), -JSON_ESYNTAX},
    {V("NaN"), -JSON_ESYNTAX},
    {V("Infinity"), -JSON_ESYNTAX},
    {V("-Infinity"), -JSON_ESYNTAX},
    /* literals */
    {V("true"), 0},
    {V("false"), 0},
    {V("null"), 0},
    {V("tru"), -JSON_ESYNTAX},
    {V("nul"), -JSON_ESYNTAX},
    {V("True"), -JSON_ESYNTAX},
    {V("nullx"), -JSON_ESYNTAX},
    /* strings */
    {V("\"\""), 0},
    {V("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\""), 0},
    {V("\"\\u0041\\u00e9\\uFFFF\""), 0},
    {V("\"\\ud83d\\ude00\""), 0},
    {V("\"\\ud83d\""), -JSON_EUTF8},
    {V("\"\\ud83dx\""), -JSON_EUTF8},
    {V("\"\\ud83d\\n\""), -JSON_EUTF8},
    {V("\"\\ud83d\\u0041\""), -JSON_EUTF8},
    {V("\"\\ude00\""), -JSON_EUTF8},
    {V("\"\\ud83d\\uzzzz\""), -JSON_ESYNTAX},
    {V("\"\\u12\""), -JSON_ESYNTAX},
    {V("\"\\x41\""), -JSON_ESYNTAX},
    {V("\"\\a\""), -JSON_ESYNTAX},
    {V("\"\\'\""), -JSON_ESYNTAX},
    {V("\"\x01\""), -JSON_ESYNTAX},
    {V("\"a\tb\""), -JSON_ESYNTAX},
    {V("\"a\nb\""), -JSON_ESYNTAX},
    {V("\"\0\""), -JSON_ESYNTAX},
    {V("\"unterminated"), -JSON_ESYNTAX},
    {V("\"\\"), -JSON_ESYNTAX},
    {V("'single'"), -JSON_ESYNTAX},
    {V("\"\x7f\""), 0},
    /* raw UTF-8 */
    {V("\"\xc3\xa9\""), 0},
    {V("\"\xe2\x82\xac\""), 0},
    {V("\"\xf0\x9f\x98\x80\""), 0},
    {V("\"\xf4\x8f\xbf\xbf\""), 0},
    {V("\"\xed\x9f\xbf\""), 0},
    {V("\"\xee\x80\x80\""), 0},
    {V("\"\xc0\x80\""), -JSON_EUTF8},
    {V("\"\xc1\xbf\""), -JSON_EUTF8},
    {V("\"\xe0\x80\x80\""), -JSON_EUTF8},
    {V("\"\xe0\x9f\xbf\""), -JSON_EUTF8},
    {V("\"\xed\xa0\x80\""), -JSON_EUTF8},
    {V("\"\xed\xbf\xbf\""), -JSON_EUTF8},
    {V("\"\xf0\x80\x80\x80\""), -JSON_EUTF8},
    {V("\"\xf4\x90\x80\x80\""), -JSON_EUTF8},
    {V("\"\xf5\x80\x80\x80\""), -JSON_EUTF8},
    {V("\"\xff\""), -JSON_EUTF8},
    {V("\"\x80\""), -JSON_EUTF8},
    {V("\"\xc3\""), -JSON_EUTF8},
    {V("\"\xe2\x82\""), -JSON_EUTF8},
    {V("\"\xc3(\""), -JSON_EUTF8},
    /* arrays and objects */
    {V("[]"), 0},
    {V("{}"), 0},
    {V("[1,2,3]"), 0},
    {V("[ 1 , [ ] , { } ]"), 0},
    {V("{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}"), 0},
    {V("{ \"a\" : 1 }"), 0},
    {V("{\"a\":1,\"a\":2}"), 0},
    {V("[1,]"), -JSON_ESYNTAX},
    {V("[,1]"), -JSON_ESYNTAX},
    {V("[1 2]"), -JSON_ESYNTAX},
    {V("{\"a\":1,}"), -JSON_ESYNTAX},
    {V("{,}"), -JSON_ESYNTAX},
    {V("{\"a\"}"), -JSON_ESYNTAX},
    {V("{\"a\":}"), -JSON_ESYNTAX},
    {V("{\"a\" 1}"), -JSON_ESYNTAX},
    {V("{a:1}"), -JSON_ESYNTAX},
    {V("{1:1}"), -JSON_ESYNTAX},
    {V("[1}"), -JSON_ESYNTAX},
    {V("{\"a\":1]"), -JSON_ESYNTAX},
    {V("["), -JSON_ESYNTAX},
    {V("]"), -JSON_ESYNTAX},
    {V("[[]"), -JSON_ESYNTAX},
    {V("[]]"), -JSON_ESYNTAX},
    {V("{\"a\":\"\xed\xa0\x80\"}"), -JSON_EUTF8},
    {V("{\"\xc0\x80\":1}"), -JSON_EUTF8},
    /* whole document */
    {V(""), -JSON_ESYNTAX},
    {V("   "), -JSON_ESYNTAX},
    {V("  {}  "), 0},
    {V("\t\r\n[]\n"), 0},
    {V("{}{}"), -JSON_ESYNTAX},
    {V("1 2"), -JSON_ESYNTAX},
    {V("{} x"), -JSON_ESYNTAX},
    {V("\f{}"), -JSON_ESYNTAX},
    {V("{}\v"), -JSON_ESYNTAX},
    {V("\xc2\xa0{}"), -JSON_ESYNTAX},
    {V("{}\0"), -JSON_ESYNTAX},
};

static void test_table(void)
{
    char name[128];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct json_span root = {1, 1, JSON_ARRAY};
        int rc = json_validate(cases[i].doc, cases[i].len, 64, &root);
        snprintf(name, sizeof(name), "validate case %zu (want %d)", i,
                 cases[i].want);
        is_int(rc, cases[i].want, name);
        if (rc != 0 && root.type != JSON_NONE)
            ok(0, "root is JSON_NONE after an error");
    }
}

static void test_root_span(void)
{
    struct json_span root;
    const char *doc = "  {}  ";

    is_int(json_validate(doc, strlen(doc), 8, &root), 0, "padded {}");
    is_int(root.off, 2, "root span starts after whitespace");
    is_int(root.len, 2, "root span excludes trailing whitespace");
    is_int(root.type, JSON_OBJECT, "root type object");

    doc = "\n-12.5e3 ";
    is_int(json_validate(doc, strlen(doc), 8, &root), 0, "padded number");
    is_mem(doc + root.off, root.len, "-12.5e3", "number root span");
    is_int(root.type, JSON_NUMBER, "root type number");

    doc = "\"s\"";
    json_validate(doc, 3, 8, &root);
    is_int(root.type, JSON_STRING, "root type string");
    doc = "null";
    json_validate(doc, 4, 8, &root);
    is_int(root.type, JSON_NULL, "root type null");

    /* The length bounds the scan: bytes past it are never looked at. */
    doc = "[1,2]garbage";
    is_int(json_validate(doc, 5, 8, &root), 0, "len bounds the document");
    is_int(json_validate(doc, 4, 8, &root), -JSON_ESYNTAX, "truncated by len");
}

static char *nested(size_t depth, bool close, char open_c, char close_c)
{
    char *p = malloc(2 * depth + 1);
    if (!p)
        return NULL;
    memset(p, open_c, depth);
    if (close)
        memset(p + depth, close_c, depth);
    p[close ? 2 * depth : depth] = '\0';
    return p;
}

static void test_depth(void)
{
    struct json_span root;
    char *p = nested(100000, false, '[', ']');

    is_int(json_validate(p, 100000, 64, &root), -JSON_EDEPTH,
           "100000 [ returns EDEPTH");
    is_int(json_validate(p, 100000, 100000, &root), -JSON_EDEPTH,
           "100000 [ with a huge limit still EDEPTH");
    free(p);

    p = nested(64, true, '[', ']');
    is_int(json_validate(p, 128, 64, &root), 0, "depth 64 of 64 ok");
    is_int(json_validate(p, 128, 63, &root), -JSON_EDEPTH,
           "depth 64 of 63 bad");
    free(p);

    p = nested(65, true, '[', ']');
    is_int(json_validate(p, 130, 64, &root), -JSON_EDEPTH,
           "depth 65 of 64 bad");
    free(p);

    /* Alternate objects and arrays so the bit stack is exercised. */
    char buf[4 * 40 + 8];
    size_t n = 0;
    for (int i = 0; i < 20; i++) {
        memcpy(buf + n, "{\"k\":[", 6);
        n += 6;
    }
    buf[n++] = '1';
    for (int i = 0; i < 20; i++) {
        buf[n++] = ']';
        buf[n++] = '}';
    }
    is_int(json_validate(buf, n, 40, &root), 0, "mixed depth 40 of 40");
    is_int(json_validate(buf, n, 39, &root), -JSON_EDEPTH,
           "mixed depth 40 of 39");
    buf[n - 1] = ']';
    is_int(json_validate(buf, n, 40, &root), -JSON_ESYNTAX,
           "mismatched closer at depth");

    is_int(json_validate("1", 1, 0, &root), 0, "scalar with max 0");
    is_int(json_validate("[]", 2, 0, &root), -JSON_EDEPTH, "array max 0");

    p = nested(1024, true, '[', ']');
    is_int(json_validate(p, 2048, 5000, &root), 0,
           "depth 1024 with limit above the stack");
    free(p);
    p = nested(1025, true, '[', ']');
    is_int(json_validate(p, 2050, 5000, &root), -JSON_EDEPTH,
           "depth 1025 exceeds the fixed stack");
    free(p);
}

static const char msg[] =
    "{\"id\":1,\"method\":\"x\",\"params\":{\"_meta\":{\"progressToken\":"
    "\"t\"}}}";

static void test_member(void)
{
    struct json_span root, v, params, meta, tok;

    is_int(json_validate(msg, strlen(msg), 64, &root), 0, "message valid");
    is_int(json_member(msg, root, "id", &v), 1, "id found once");
    is_int(v.type, JSON_NUMBER, "id is a number");
    is_mem(msg + v.off, v.len, "1", "id span");
    is_int(json_member(msg, root, "method", &v), 1, "method found");
    ok(json_string_eq(msg, v, "x"), "method is \"x\"");
    is_mem(msg + v.off, v.len, "\"x\"", "method span includes quotes");
    is_int(json_member(msg, root, "params", &params), 1, "params found");
    is_int(params.type, JSON_OBJECT, "params is an object");
    is_int(json_member(msg, params, "_meta", &meta), 1, "_meta found");
    is_int(json_member(msg, meta, "progressToken", &tok), 1, "token found");
    is_mem(msg + tok.off, tok.len, "\"t\"", "token span");
    is_int(json_member(msg, root, "progressToken", &v), 0,
           "nested key not found at top level");
    is_int(v.type, JSON_NONE, "absent member is JSON_NONE");
    is_int(json_member(msg, root, "nope", &v), 0, "absent member count 0");
    is_int(v.type, JSON_NONE, "absent member type");
    is_int(json_member(msg, root, "i", &v), 0, "prefix of a key no match");
    is_int(json_member(msg, root, "idx", &v), 0, "extension of a key");
    is_int(json_member(msg, v, "id", &v), 0, "lookup in JSON_NONE");
    is_int(json_member(msg, tok, "t", &v), 0, "lookup in a string");

    const char *d = "{\"\\u0069d\" : \"a\\\"b\" , \"x\":[1,{\"id\":2}]}";
    json_validate(d, strlen(d), 64, &root);
    is_int(json_member(d, root, "id", &v), 1, "escaped key matches");
    is_mem(d + v.off, v.len, "\"a\\\"b\"", "value with escaped quote");
    ok(json_string_eq(d, v, "a\"b"), "value decodes");
    is_int(json_member(d, root, "x", &v), 1, "member after escaped value");
    is_int(v.type, JSON_ARRAY, "x is array");
    is_mem(d + v.off, v.len, "[1,{\"id\":2}]", "array span");

    d = "{\"id\":1,\"a\":{\"id\":3},\"id\":2}";
    json_validate(d, strlen(d), 64, &root);
    is_int(json_member(d, root, "id", &v), 2, "duplicate key returns 2");
    is_mem(d + v.off, v.len, "1", "duplicate returns the first value");
    is_int(json_member(d, root, "a", &v), 1, "nested id is not counted");

    d = "{\"id\":1,\"\\u0069d\":2}";
    json_validate(d, strlen(d), 64, &root);
    is_int(json_member(d, root, "id", &v), 2, "escaped duplicate returns 2");

    d = "{\"id\":9007199254740993,\"b\":\"}\"}";
    json_validate(d, strlen(d), 64, &root);
    is_int(json_member(d, root, "id", &v), 1, "big id found");
    is_mem(d + v.off, v.len, "9007199254740993", "big id span exact");
    is_int(json_member(d, root, "b", &v), 1, "brace inside a string");
    is_mem(d + v.off, v.len, "\"}\"", "string span with brace");

    d = "{}";
    json_validate(d, 2, 64, &root);
    is_int(json_member(d, root, "id", &v), 0, "empty object");

    /* A span that stops early must bound the search. */
    d = "{\"a\":1,\"id\":2}";
    struct json_span cut = {0, 7, JSON_OBJECT};
    is_int(json_member(d, cut, "id", &v), 0, "search bounded by span");
}

static void test_array(void)
{
    const char *d = "[1, {\"a\":[2]}, \"x\"]";
    struct json_span root, e;
    size_t cur = 0;

    is_int(json_validate(d, strlen(d), 64, &root), 0, "array valid");
    is_int(json_array_len(d, root), 3, "array len 3");
    ok(json_array_next(d, root, &cur, &e), "first element");
    is_mem(d + e.off, e.len, "1", "first is 1");
    is_int(e.type, JSON_NUMBER, "first type");
    ok(json_array_next(d, root, &cur, &e), "second element");
    is_mem(d + e.off, e.len, "{\"a\":[2]}", "second is object");
    is_int(e.type, JSON_OBJECT, "second type");
    struct json_span a, two;
    size_t c2 = 0;
    is_int(json_member(d, e, "a", &a), 1, "member of element");
    ok(json_array_next(d, a, &c2, &two) && two.len == 1 && d[two.off] == '2',
       "nested array element");
    ok(!json_array_next(d, a, &c2, &two), "nested array ends");
    ok(json_array_next(d, root, &cur, &e), "third element");
    ok(json_string_eq(d, e, "x"), "third is \"x\"");
    ok(!json_array_next(d, root, &cur, &e), "end of array");
    is_int(e.type, JSON_NONE, "end sets JSON_NONE");
    ok(!json_array_next(d, root, &cur, &e), "still at end");

    d = "[ ]";
    json_validate(d, 3, 64, &root);
    cur = 0;
    ok(!json_array_next(d, root, &cur, &e), "empty array has no elements");
    is_int(json_array_len(d, root), 0, "empty array len 0");

    d = "[[],[[]],\"]\",\"\\\"]\",true]";
    json_validate(d, strlen(d), 64, &root);
    is_int(json_array_len(d, root), 5, "brackets in strings not counted");

    d = "{\"a\":1}";
    json_validate(d, strlen(d), 64, &root);
    cur = 0;
    ok(!json_array_next(d, root, &cur, &e), "object is not an array");
    is_int(json_array_len(d, root), 0, "len of non-array is 0");
}

static void test_strings(void)
{
    const char *d = "[\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\", \"\\u00e9\\u20ac"
                    "\\ud83d\\ude00\", \"\\u0000\", \"plain\", 5, \"\"]";
    struct json_span root, e[6];
    size_t cur = 0;
    char out[64];

    is_int(json_validate(d, strlen(d), 8, &root), 0, "string array valid");
    for (int i = 0; i < 6; i++)
        json_array_next(d, root, &cur, &e[i]);
    ok(json_string_eq(d, e[0], "a\"b\\c/d\be\ff\ng\rh\ti"),
       "string_eq with every short escape");
    is_int(json_string_decode(d, e[0], out, sizeof(out)), 17,
           "decode short escapes");
    is_str(out, "a\"b\\c/d\be\ff\ng\rh\ti", "decoded short escapes");
    ok(json_string_eq(d, e[1], "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
       "string_eq with \\u escapes and a pair");
    is_int(json_string_decode(d, e[1], out, sizeof(out)), 9,
           "decode \\u escapes");
    is_str(out, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "decoded UTF-8");
    is_int(json_string_decode(d, e[1], out, 10), 9, "decode fits exactly");
    is_int(json_string_decode(d, e[1], out, 9), -1, "decode one too small");
    is_str(out, "", "failed decode leaves an empty string");
    is_int(json_string_decode(d, e[1], out, 0), -1, "decode cap 0");
    is_int(json_string_decode(d, e[2], out, sizeof(out)), -1,
           "decode with a NUL fails");
    ok(!json_string_eq(d, e[2], ""), "\\u0000 is not the empty string");
    ok(json_string_eq(d, e[3], "plain"), "plain string");
    ok(!json_string_eq(d, e[3], "plai"), "shorter literal");
    ok(!json_string_eq(d, e[3], "plainer"), "longer literal");
    ok(!json_string_eq(d, e[4], "5"), "number is not a string");
    is_int(json_string_decode(d, e[4], out, sizeof(out)), -1,
           "decode of a number fails");
    ok(json_string_eq(d, e[5], ""), "empty string eq");
    is_int(json_string_decode(d, e[5], out, 1), 0, "decode empty string");
    is_str(out, "", "decoded empty string");
}

static bool u64(const char *s, uint64_t *v)
{
    struct json_span root;

    if (json_validate(s, strlen(s), 4, &root) != 0) {
        /* Not valid JSON: try the bytes anyway, as a raw number span. */
        root.off = 0;
        root.len = strlen(s);
        root.type = JSON_NUMBER;
    }
    return json_uint64(s, root, v);
}

static void test_uint64(void)
{
    uint64_t v = 7;

    ok(u64("0", &v) && v == 0, "uint64 0");
    ok(u64("42", &v) && v == 42, "uint64 42");
    ok(u64("9007199254740993", &v) && v == 9007199254740993ull,
       "uint64 2^53+1");
    ok(u64("18446744073709551615", &v) && v == UINT64_MAX, "uint64 max");
    v = 7;
    ok(!u64("18446744073709551616", &v), "uint64 max+1 rejected");
    ok(!u64("99999999999999999999", &v), "uint64 far overflow rejected");
    ok(!u64("01", &v), "uint64 leading zero rejected");
    ok(!u64("00", &v), "uint64 00 rejected");
    ok(!u64("-1", &v), "uint64 negative rejected");
    ok(!u64("-0", &v), "uint64 -0 rejected");
    ok(!u64("1.0", &v), "uint64 fraction rejected");
    ok(!u64("1e3", &v), "uint64 exponent rejected");
    ok(!u64("\"1\"", &v), "uint64 string rejected");
    ok(!u64("", &v), "uint64 empty rejected");
    is_int(v, 7, "out untouched on failure");
}

static void check_escape(const char *in, size_t n, const char *want,
                         const char *name)
{
    char *out = malloc(6 * n + 3);
    struct json_span root;

    out[0] = '"';
    size_t len = json_escape(in, n, out + 1);
    ok(len <= 6 * n, "escape fits 6 * n");
    is_mem(out + 1, len, want, name);
    out[len + 1] = '"';
    is_int(json_validate(out, len + 2, 4, &root), 0,
           "quoted escape output validates");
    free(out);
}

static void test_escape(void)
{
    check_escape("plain", 5, "plain", "escape plain ASCII");
    check_escape("\"\\/", 3, "\\\"\\\\/", "escape quote and backslash");
    check_escape("\n\r\t\b\f", 5, "\\n\\r\\t\\b\\f", "escape short controls");
    check_escape("\x01\x1f\x7f", 3, "\\u0001\\u001f\\u007f",
                 "escape other controls");
    check_escape("a\0b", 3, "a\\u0000b", "escape NUL");
    check_escape("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9,
                 "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
                 "valid UTF-8 passes through");
    check_escape("\xff", 1, "\\ufffd", "escape 0xff");
    check_escape("\xc0\x80", 2, "\\ufffd\\ufffd", "escape overlong");
    check_escape("\xed\xa0\x80", 3, "\\ufffd\\ufffd\\ufffd",
                 "escape UTF-8 surrogate");
    check_escape("\xf4\x90\x80\x80", 4, "\\ufffd\\ufffd\\ufffd\\ufffd",
                 "escape above U+10FFFF");
    check_escape("a\xe2\x82", 3, "a\\ufffd\\ufffd", "escape truncated");
    check_escape("\xe2\x82\xe2\x82\xac", 5, "\\ufffd\\ufffd\xe2\x82\xac",
                 "resync after a truncated sequence");
    check_escape("\x80\x01", 2, "\\ufffd\\u0001", "worst case is 6 * n");
    char none[1];
    is_int(json_escape("", 0, none), 0, "escape of nothing");
}

static void test_object_next(void)
{
    const char *doc = "{ \"a\" : 1 , \"b\":[2,{\"c\":3}],\"\\u0064\":\"x\" }";
    struct json_span root, k, v;
    size_t cursor = 0;

    ok(json_validate(doc, strlen(doc), 64, &root) == 0, "object_next doc");
    ok(json_object_next(doc, root, &cursor, &k, &v), "first member");
    is_mem(doc + k.off, k.len, "\"a\"", "first key span");
    is_mem(doc + v.off, v.len, "1", "first value span");
    ok(json_object_next(doc, root, &cursor, &k, &v), "second member");
    is_mem(doc + v.off, v.len, "[2,{\"c\":3}]", "nested value skipped whole");
    ok(json_object_next(doc, root, &cursor, &k, &v), "third member");
    ok(json_string_eq(doc, k, "d"), "escaped key decodes");
    ok(!json_object_next(doc, root, &cursor, &k, &v), "no fourth member");
    ok(k.type == JSON_NONE && v.type == JSON_NONE, "spans cleared at the end");
    ok(!json_object_next(doc, root, &cursor, &k, &v), "stays at the end");

    const char *empty = " { } ";
    cursor = 0;
    ok(json_validate(empty, strlen(empty), 64, &root) == 0, "empty object");
    ok(!json_object_next(empty, root, &cursor, &k, &v), "empty: no member");
    const char *arr = "[1]";
    cursor = 0;
    json_validate(arr, 3, 64, &root);
    ok(!json_object_next(arr, root, &cursor, &k, &v), "array: not an object");
}

int main(void)
{
    test_table();
    test_root_span();
    test_depth();
    test_member();
    test_array();
    test_strings();
    test_uint64();
    test_escape();
    test_object_next();
    return tap_done();
}
