/* SPDX-License-Identifier: MIT */
/* Unit tests for resumable streams: cursors and the replay ring. */
#include "mcpgw/stream.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"

static void test_parse(void)
{
    unsigned n;
    uint64_t seq;
    const char *bad[] = {
        "",     "_",    "1_",    "_1",           "01_1",
        "1_01", "1-1",  "1_1x",  " 1_1",         "1_1 ",
        "+1_1", "1_-1", "1_1_1", "4294967296_1", "1_18446744073709551616"};

    is_int(stream_parse_id("0_0", &n, &seq), 0, "0_0 is a cursor");
    ok(n == 0 && seq == 0, "0_0 is stream 0, event 0");
    is_int(stream_parse_id("12_345", &n, &seq), 0, "12_345 is a cursor");
    ok(n == 12 && seq == 345, "12_345 is stream 12, event 345");
    is_int(stream_parse_id("4294967295_18446744073709551615", &n, &seq), 0,
           "the largest numbers are cursors");
    ok(n == UINT32_MAX && seq == UINT64_MAX, "and read back whole");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        is_int(stream_parse_id(bad[i], &n, &seq), -EINVAL, bad[i]);
}

static void test_ring_by_count(void)
{
    struct stream st;
    struct stream_limits l = {3, 1 << 20};

    stream_init(&st, 5, &l);
    is_int(stream_prime(&st, 1000), 0, "priming");
    for (int i = 0; i < 5; i++)
        stream_send(&st, "{}", 2);
    is_int(st.seq, 6, "six ids handed out");
    is_int(st.count, 3, "three kept");
    is_int(stream_replay_check(&st, 3), 0, "after 3: 4, 5 and 6 are kept");
    is_int(stream_replay_check(&st, 2), -ESTALE, "after 2: 3 is gone");
    is_int(stream_replay_check(&st, 6), 0, "after the last: nothing to send");
    is_int(stream_replay_check(&st, 7), -ERANGE, "after one never sent");
    stream_free(&st);
}

static void test_ring_by_bytes(void)
{
    struct stream st;
    struct stream_limits l = {100, 200};
    char big[300];

    memset(big, 'x', sizeof(big));
    stream_init(&st, 1, &l);
    stream_send(&st, big, 60);
    stream_send(&st, big, 60);
    stream_send(&st, big, 60);
    ok(st.bytes <= 200 && st.count == 2, "the byte bound evicts the oldest");
    is_int(stream_replay_check(&st, 1), 0, "after 1: 2 and 3 are kept");
    is_int(stream_replay_check(&st, 0), -ESTALE, "after 0: 1 is gone");
    stream_send(&st, big, 250);
    is_int(st.count, 0, "an event larger than the bound is not kept");
    is_int(stream_replay_check(&st, 3), -ESTALE,
           "and no cursor before it can resume");
    is_int(stream_replay_check(&st, 4), 0, "after it, resuming works");
    stream_send(&st, big, 10);
    is_int(st.count, 1, "later events are kept again");
    stream_free(&st);
}

static void test_ring_grows(void)
{
    struct stream st;
    struct stream_limits l = {64, 1 << 20};

    stream_init(&st, 2, &l);
    stream_send(&st, "{}", 2);
    ok(st.cap > 0 && st.cap < 64, "one event takes a few slots, not 64");
    for (int i = 0; i < 9; i++)
        stream_send(&st, "{}", 2);
    is_int(st.count, 10, "ten kept as the slots grow");
    is_int(stream_replay_check(&st, 0), 0, "none lost on the way");
    for (int i = 0; i < 100; i++)
        stream_send(&st, "{}", 2);
    is_int(st.cap, 64, "the slots stop at --resume-events");
    is_int(st.count, 64, "and the oldest go");
    stream_free(&st);
}

int main(void)
{
    test_ring_grows();
    test_parse();
    test_ring_by_count();
    test_ring_by_bytes();
    return tap_done();
}
