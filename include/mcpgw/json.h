/* SPDX-License-Identifier: MIT */
/*
 * A strict JSON scanner that validates a document and reports where values
 * are, as byte spans into the caller's buffer. mcpgw forwards JSON-RPC
 * messages by splicing spans (the id, the progress token) instead of
 * re-serialising them, so numbers such as 2^53+1 and strings pass through
 * byte for byte.
 */
#ifndef MCPGW_JSON_H
#define MCPGW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_type {
    JSON_NONE = 0, /* no value: a member that was not found */
    JSON_OBJECT,
    JSON_ARRAY,
    JSON_STRING,
    JSON_NUMBER,
    JSON_TRUE,
    JSON_FALSE,
    JSON_NULL,
};

/* Errors returned by json_validate, as negative numbers. */
#define JSON_ESYNTAX 1 /* not JSON (RFC 8259), or trailing bytes */
#define JSON_EDEPTH  2 /* nested deeper than the limit */
#define JSON_EUTF8   3 /* invalid UTF-8, or a lone surrogate escape */

/* A value inside a document: doc[off] .. doc[off + len - 1]. */
struct json_span {
    size_t off;
    size_t len;
    enum json_type type;
};

/*
 * Validates doc[0..len) as one JSON value with optional surrounding
 * whitespace: strict grammar, well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF), \u escapes that pair correctly,
 * and at most max_depth nested arrays and objects. Runs in O(len) time
 * and O(1) space (no recursion). On success returns 0 and sets *root to
 * the value without its whitespace. Returns -JSON_ESYNTAX, -JSON_EDEPTH
 * or -JSON_EUTF8 otherwise, and *root is left with type JSON_NONE.
 */
int json_validate(const char *doc, size_t len, unsigned max_depth,
                  struct json_span *root);

/*
 * Finds the member named key (compared after decoding escapes, so
 * "\u0069d" matches "id") in the object at obj, which must come from a
 * document that passed json_validate. Returns the number of members with
 * that name (0, 1, or 2 meaning "two or more"), and sets *val to the first
 * one's value, or to type JSON_NONE when there is none. Callers treat a
 * duplicate of a key they route on as an invalid message, because the
 * peer that parses it next may pick the other copy.
 */
int json_member(const char *doc, struct json_span obj, const char *key,
                struct json_span *val);

/*
 * Steps through the members of the object at obj, in order: *cursor
 * starts at 0 and is advanced by each call. Returns true and sets *key
 * (the string span, quotes included) and *val while members remain.
 */
bool json_object_next(const char *doc, struct json_span obj, size_t *cursor,
                      struct json_span *key, struct json_span *val);

/*
 * Steps through the elements of the array at arr. *cursor starts at 0 and
 * is advanced by each call. Returns true and sets *elem while elements
 * remain, false at the end.
 */
bool json_array_next(const char *doc, struct json_span arr, size_t *cursor,
                     struct json_span *elem);

/* Counts the elements of the array at arr. */
size_t json_array_len(const char *doc, struct json_span arr);

/*
 * Compares the decoded contents of the string at s with the C string lit.
 * Returns false when s is not a string.
 */
bool json_string_eq(const char *doc, struct json_span s, const char *lit);

/*
 * Decodes the string at s into out (at most cap bytes, NUL-terminated).
 * Returns the decoded length, or -1 when s is not a string, or when the
 * decoded text (plus the NUL) does not fit or contains a NUL character.
 */
int json_string_decode(const char *doc, struct json_span s, char *out,
                       size_t cap);

/*
 * Reads the number at s as an unsigned integer with no fraction, no
 * exponent and no sign. Returns true and sets *out when it is one and fits
 * in 64 bits.
 */
bool json_uint64(const char *doc, struct json_span s, uint64_t *out);

/*
 * Escapes the bytes p[0..n) as the contents of a JSON string (no quotes)
 * and appends them to out, which must have room for 6 * n bytes. Invalid
 * UTF-8 is replaced by U+FFFD. Returns the number of bytes written.
 */
size_t json_escape(const char *p, size_t n, char *out);

#endif
