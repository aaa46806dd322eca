/* SPDX-License-Identifier: MIT */
/* Unit tests for the growable byte buffer. */
#include "mcpgw/buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static void test_empty(void)
{
    struct gw_buf b = {0};

    is_int(buf_append(&b, NULL, 0), 0, "appending nothing succeeds");
    ok(b.data == NULL && b.len == 0, "appending nothing allocates nothing");
    buf_reset(&b);
    ok(b.data == NULL, "reset of a zeroed buffer is harmless");
    is_int(buf_reserve(&b, 0), 0, "reserve 0 on an empty buffer");
    ok(b.data != NULL && b.data[0] == '\0', "reserve leaves a NUL string");
    buf_free(&b);
    ok(b.data == NULL && b.len == 0 && b.cap == 0, "free zeroes the buffer");
    buf_free(&b);
    ok(1, "double free of an emptied buffer is harmless");
}

static void test_append(void)
{
    struct gw_buf b = {0};

    is_int(buf_append(&b, "abc", 3), 0, "append 3 bytes");
    is_int(b.len, 3, "len is 3");
    ok(b.cap >= 3, "cap covers len");
    is_str(b.data, "abc", "data is NUL-terminated");
    is_int(buf_append_str(&b, "def"), 0, "append_str");
    is_str(b.data, "abcdef", "contents after append_str");
    is_int(buf_append(&b, "g\0h", 3), 0, "append with an embedded NUL");
    is_int(b.len, 9, "len counts the embedded NUL");
    ok(memcmp(b.data, "abcdefg\0h", 9) == 0 && b.data[9] == '\0',
       "bytes kept and NUL after len");

    /* Many small appends: contents intact and growth is geometric. */
    int reallocs = 0;
    char *last = b.data;
    size_t last_cap = b.cap;
    buf_reset(&b);
    for (int i = 0; i < 100000; i++) {
        char c = (char)('a' + i % 26);
        if (buf_append(&b, &c, 1) != 0)
            break;
        if (b.cap != last_cap || b.data != last)
            reallocs++;
        last = b.data;
        last_cap = b.cap;
    }
    is_int(b.len, 100000, "100000 one-byte appends");
    int good = 1;
    for (size_t i = 0; i < b.len; i++)
        good &= b.data[i] == (char)('a' + i % 26);
    ok(good && b.data[b.len] == '\0', "contents after many appends");
    ok(reallocs < 20, "growth is geometric");
    buf_free(&b);
}

static void test_reserve_overflow(void)
{
    struct gw_buf b = {0};

    buf_append_str(&b, "xy");
    is_int(buf_reserve(&b, SIZE_MAX), -ENOMEM, "reserve SIZE_MAX fails");
    is_int(buf_reserve(&b, SIZE_MAX - 2), -ENOMEM,
           "reserve that overflows with len fails");
    is_int(buf_append(&b, "z", SIZE_MAX - 1), -ENOMEM,
           "append that would overflow fails");
    is_str(b.data, "xy", "buffer unchanged after failures");
    is_int(b.len, 2, "len unchanged after failures");
    size_t cap = b.cap;
    is_int(buf_reserve(&b, cap - 2), 0, "reserve within cap");
    is_int(b.cap, cap, "reserve within cap does not grow");
    is_int(buf_reserve(&b, 1000), 0, "reserve beyond cap");
    ok(b.cap >= 1002, "reserve grows to fit");
    is_str(b.data, "xy", "contents kept by reserve");
    buf_free(&b);
}

static void test_printf(void)
{
    struct gw_buf b = {0};

    is_int(buf_printf(&b, "%d-%s", 42, "x"), 0, "printf into empty buffer");
    is_str(b.data, "42-x", "printf text");
    is_int(buf_printf(&b, "%s", ""), 0, "printf of empty text");
    is_str(b.data, "42-x", "empty printf appends nothing");

    char big[1000];
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    is_int(buf_printf(&b, "[%s]", big), 0, "printf longer than free space");
    is_int(b.len, 4 + 1001, "len after long printf");
    ok(memcmp(b.data, "42-x[qqq", 8) == 0 && b.data[b.len - 1] == ']' &&
           b.data[b.len] == '\0',
       "long printf text and NUL");
    buf_reset(&b);
    is_int(buf_printf(&b, "%c%c", 'a', 'b'), 0, "printf after reset");
    is_str(b.data, "ab", "printf after reset replaces contents");
    is_int(buf_printf(&b, "%05u", 7u), 0, "printf into free space");
    is_str(b.data, "ab00007", "printf appends in place");

    struct gw_buf e = {0};
    is_int(buf_printf(&e, "%s", ""), 0, "empty printf on zeroed buffer");
    ok(e.data != NULL && e.len == 0 && e.data[0] == '\0',
       "empty printf leaves a NUL string");
    buf_free(&e);
    buf_free(&b);
}

static void test_consume(void)
{
    struct gw_buf b = {0};

    buf_append_str(&b, "hello world");
    buf_consume(&b, 0);
    is_str(b.data, "hello world", "consume 0 keeps everything");
    buf_consume(&b, 6);
    is_str(b.data, "world", "consume drops the front");
    is_int(b.len, 5, "len after consume");
    buf_consume(&b, 5);
    is_int(b.len, 0, "consume all empties");
    ok(b.data && b.data[0] == '\0', "consume all leaves a NUL string");
    buf_append_str(&b, "again");
    is_str(b.data, "again", "storage reused after consume");
    buf_free(&b);
}

static void test_steal(void)
{
    struct gw_buf b = {0};
    size_t len = 99;

    ok(buf_steal(&b, &len) == NULL && len == 0, "steal from zeroed buffer");
    buf_append_str(&b, "owned");
    char *p = buf_steal(&b, &len);
    is_str(p, "owned", "stolen text is NUL-terminated");
    is_int(len, 5, "stolen len");
    ok(b.data == NULL && b.len == 0 && b.cap == 0, "buffer empty after steal");
    free(p);
    is_int(buf_append_str(&b, "new"), 0, "buffer reusable after steal");
    is_str(b.data, "new", "contents after reuse");
    p = buf_steal(&b, NULL);
    is_str(p, "new", "steal with NULL len");
    free(p);
}

int main(void)
{
    test_empty();
    test_append();
    test_reserve_overflow();
    test_printf();
    test_consume();
    test_steal();
    return tap_done();
}
