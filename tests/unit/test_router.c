/* SPDX-License-Identifier: MIT */
/* Unit tests for the in-flight request table and its id rewriting. */
#include "mcpgw/router.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

/* What the callbacks saw last, and how often they ran. */
struct seen {
    int replies, notifies;
    void *owner;
    unsigned slot;
    enum rt_fail why;
    char *msg; /* owned copy of the last message */
    size_t len;
    int gone; /* the entry was out of the table when on_reply ran */
};

static struct seen seen;
static struct router *watch_r; /* the table on_reply checks */
static uint64_t watch_id;      /* the entry on_reply expects gone */

static void remember(void *owner, unsigned slot, const char *msg, size_t len)
{
    free(seen.msg);
    seen.msg = malloc(len + 1);
    if (seen.msg == NULL)
        abort();
    memcpy(seen.msg, msg, len);
    seen.msg[len] = '\0';
    seen.len = len;
    seen.owner = owner;
    seen.slot = slot;
}

static void on_reply(void *owner, unsigned slot, enum rt_fail why,
                     const char *msg, size_t len)
{
    seen.replies++;
    seen.why = why;
    seen.gone = watch_r ? router_find(watch_r, watch_id) == NULL : -1;
    remember(owner, slot, msg, len);
}

static void on_notify(void *owner, unsigned slot, const char *msg, size_t len)
{
    seen.notifies++;
    remember(owner, slot, msg, len);
}

static const struct rt_caller_ops ops = {on_reply, on_notify, NULL};

static void seen_reset(void)
{
    free(seen.msg);
    memset(&seen, 0, sizeof(seen));
}

/* Validates and classifies doc; both must succeed. */
static int parse(const char *doc, struct rpc_msg *m)
{
    struct json_span root;

    if (json_validate(doc, strlen(doc), 64, &root) != 0)
        return -1;
    return rpc_classify(doc, root, m);
}

/* Adds the request in doc, or returns NULL when doc does not parse. */
static struct rt_entry *add(struct router *r, const char *doc,
                            enum rt_state state, void *owner, unsigned slot)
{
    struct rpc_msg m;

    if (parse(doc, &m) != 0 || m.kind != RPC_REQUEST)
        return NULL;
    return router_add(r, doc, &m, state, &ops, owner, slot, 1000 + slot);
}

/* Parses doc as a message from the child and routes it. */
static bool route(struct router *r, const char *doc)
{
    struct rpc_msg m;

    if (parse(doc, &m) != 0) {
        printf("#   does not classify: %s\n", doc);
        return false;
    }
    return router_route(r, doc, &m);
}

static bool contains(const struct gw_buf *b, const char *needle)
{
    return b->data && strstr(b->data, needle) != NULL;
}

/* Checks the age list both ways against ids[0..n) and the count. */
static void age_is(struct router *r, const uint64_t *ids, size_t n,
                   const char *name)
{
    struct rt_entry *e = r->oldest, *prev = NULL;
    size_t i = 0;
    int good = r->count == n;

    for (; e && good; prev = e, e = e->next, i++)
        good = i < n && e->id == ids[i] && e->prev == prev &&
               router_find(r, e->id) == e;
    good = good && i == n && r->newest == prev;
    for (e = r->newest; e && good; e = e->prev)
        good = i > 0 && e->id == ids[--i];
    good = good && (n > 0 || (r->oldest == NULL && r->newest == NULL));
    ok(good, name);
}

static const char req_str[] =
    "{\"jsonrpc\":\"2.0\",\"id\":\"abc-1\",\"method\":\"tools/call\","
    "\"params\":{\"name\":\"echo\",\"_meta\":{\"progressToken\":\"tok\"}}}";

static void test_init(void)
{
    struct router r;

    is_int(router_init(&r), 0, "router_init");
    is_int(r.count, 0, "empty table");
    ok(r.nbuckets > 0 && (r.nbuckets & (r.nbuckets - 1)) == 0,
       "bucket count is a power of two");
    ok(r.oldest == NULL && r.newest == NULL, "empty age list");
    ok(router_find(&r, 1) == NULL, "nothing to find");
    ok(router_find(&r, 0) == NULL, "id 0 not found");
    uint64_t a = router_next_id(&r), b = router_next_id(&r);
    ok(a != 0 && b != a, "router_next_id hands out distinct ids");

    struct rt_entry *e = add(&r, req_str, RT_SENT, &r, 3);
    ok(e != NULL, "add after router_next_id");
    ok(e && e->id != a && e->id != b, "entry id differs from handed-out ids");
    router_free(&r);
    ok(r.buckets == NULL && r.count == 0, "router_free clears the table");
}

static void test_add(void)
{
    struct router r;
    int owner;

    router_init(&r);
    struct rt_entry *e = add(&r, req_str, RT_SENT, &owner, 4);
    if (!ok(e != NULL, "router_add")) {
        router_free(&r);
        return;
    }

    char want[256];
    snprintf(want, sizeof(want),
             "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64
             ",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
             "\"_meta\":{\"progressToken\":%" PRIu64 "}}}",
             e->id, e->id);
    is_str(e->request.data, want, "request rewritten with id and token");
    ok(!contains(&e->request, "abc-1"), "caller id gone from the request");
    ok(!contains(&e->request, "tok"), "caller token gone from the request");
    is_mem(e->caller_id, e->caller_id_len, "\"abc-1\"", "caller id kept");
    is_mem(e->caller_token, e->caller_token_len, "\"tok\"",
           "caller token kept");
    is_int(e->state, RT_SENT, "state");
    ok(e->ops == &ops && e->owner == &owner && e->slot == 4, "owner, slot");
    is_int(e->deadline, 1004, "deadline");
    is_int(r.count, 1, "count 1");
    ok(router_find(&r, e->id) == e, "router_find");

    /* The rewritten request is itself a valid request with our integer. */
    struct rpc_msg m;
    uint64_t v = 0;
    is_int(parse(e->request.data, &m), 0, "rewritten request classifies");
    ok(json_uint64(e->request.data, m.id, &v) && v == e->id,
       "rewritten id is the child id");
    ok(json_uint64(e->request.data, m.progress_token, &v) && v == e->id,
       "rewritten token is the child id");

    /* No token: only the id changes; big ids are kept verbatim. */
    const char *d = "{\"jsonrpc\":\"2.0\",\"method\":\"ping\","
                    "\"id\":9007199254740993}";
    struct rt_entry *f = add(&r, d, RT_WAITING, &owner, 5);
    if (!ok(f && f->id != e->id, "second entry, new id")) {
        router_free(&r);
        return;
    }
    snprintf(want, sizeof(want),
             "{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":%" PRIu64 "}",
             f->id);
    is_str(f->request.data, want, "waiting request rewritten");
    ok(f->caller_token == NULL, "no token kept");
    is_mem(f->caller_id, f->caller_id_len, "9007199254740993",
           "big caller id kept byte for byte");

    /* A numeric token and an id with an escaped quote. */
    d = "{\"jsonrpc\":\"2.0\",\"id\":\"a\\\"b\",\"method\":\"x\","
        "\"params\":{\"_meta\":{\"progressToken\":7},\"k\":\"v\"}}";
    struct rt_entry *g = add(&r, d, RT_SENT, &owner, 6);
    if (!ok(g != NULL, "third entry")) {
        router_free(&r);
        return;
    }
    is_mem(g->caller_id, g->caller_id_len, "\"a\\\"b\"", "escaped id kept");
    is_mem(g->caller_token, g->caller_token_len, "7", "number token kept");
    snprintf(
        want, sizeof(want),
        "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64
        ",\"method\":\"x\",\"params\":{\"_meta\":{\"progressToken\":%" PRIu64
        "},\"k\":\"v\"}}",
        g->id, g->id);
    is_str(g->request.data, want, "numeric token rewritten");
    is_int(r.count, 3, "count 3");
    router_free(&r);
}

static void test_same_ids(void)
{
    struct router r;
    int a, b;
    const char *d = "{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"method\":\"x\","
                    "\"params\":{\"_meta\":{\"progressToken\":\"tok\"}}}";

    router_init(&r);
    struct rt_entry *ea = add(&r, d, RT_SENT, &a, 0);
    struct rt_entry *eb = add(&r, d, RT_SENT, &b, 0);
    if (!ok(ea && eb, "two callers added")) {
        router_free(&r);
        return;
    }
    ok(ea->id != eb->id, "same caller id and token, different child ids");
    ok(strcmp(ea->request.data, eb->request.data) != 0,
       "the two child requests differ");
    ok(router_find(&r, ea->id) == ea && router_find(&r, eb->id) == eb,
       "both found");

    /* Each caller gets its own answer and its own progress. */
    char msg[128];
    watch_r = &r;
    watch_id = eb->id;
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
             "\"params\":{\"progressToken\":%" PRIu64 ",\"progress\":1}}",
             eb->id);
    seen_reset();
    ok(route(&r, msg), "progress for the second caller");
    ok(seen.notifies == 1 && seen.owner == &b, "reached the second caller");
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64 ",\"result\":{}}", eb->id);
    ok(route(&r, msg), "reply for the second caller");
    ok(seen.replies == 1 && seen.owner == &b, "reply reached b");
    is_str(seen.msg, "{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":{}}",
           "b's id restored");
    ok(router_find(&r, ea->id) == ea, "a still waits");
    is_int(r.count, 1, "one left");
    watch_r = NULL;
    router_free(&r);
    seen_reset();
}

static void test_route_response(void)
{
    struct router r;
    int owner;
    char msg[160];

    router_init(&r);
    struct rt_entry *e = add(&r, req_str, RT_SENT, &owner, 9);
    struct rt_entry *other = add(&r, req_str, RT_SENT, &owner, 10);
    uint64_t id = e->id;
    size_t before = r.count;

    seen_reset();
    ok(!route(&r, "{\"jsonrpc\":\"2.0\",\"id\":999999,\"result\":{}}"),
       "unknown id not delivered");
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"id\":\"%" PRIu64 "\",\"result\":{}}", id);
    ok(!route(&r, msg), "string id not delivered");
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64 ".0,\"result\":{}}", id);
    ok(!route(&r, msg), "fractional id not delivered");
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"id\":-%" PRIu64 ",\"result\":{}}", id);
    ok(!route(&r, msg), "negative id not delivered");
    ok(!route(&r, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
                  "{\"code\":-32700,\"message\":\"Parse error\"}}"),
       "null id not delivered");
    ok(!route(&r, "{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":{}}"),
       "id 0 not delivered");
    ok(!route(&r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"),
       "a request from the child is not routed");
    ok(!route(&r, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}"),
       "other notifications are not routed");
    is_int(seen.replies + seen.notifies, 0, "no callback ran");
    is_int(r.count, before, "nothing removed");

    watch_r = &r;
    watch_id = id;
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64
             ",\"result\":{\"x\":9007199254740993}}",
             id);
    ok(route(&r, msg), "child response delivered");
    is_int(seen.replies, 1, "on_reply once");
    ok(seen.owner == &owner && seen.slot == 9, "right owner and slot");
    is_int(seen.why, RT_OK, "why RT_OK");
    is_mem(seen.msg, seen.len,
           "{\"jsonrpc\":\"2.0\",\"id\":\"abc-1\","
           "\"result\":{\"x\":9007199254740993}}",
           "caller id restored, result untouched");
    is_int(seen.gone, 1, "entry gone when on_reply runs");
    ok(router_find(&r, id) == NULL, "entry gone afterwards");
    is_int(r.count, before - 1, "count decremented");
    ok(router_find(&r, other->id) == other, "other entry untouched");
    ok(!route(&r, msg), "second reply for the same id refused");
    is_int(seen.replies, 1, "no second on_reply");

    /* An error reply keeps its error object and gets the id back. */
    watch_id = other->id;
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":"
             "\"nope\"},\"id\":%" PRIu64 "}",
             other->id);
    ok(route(&r, msg), "error reply delivered");
    is_mem(seen.msg, seen.len,
           "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":"
           "\"nope\"},\"id\":\"abc-1\"}",
           "error reply with caller id");
    is_int(seen.slot, 10, "error reply slot");
    is_int(r.count, 0, "table empty");
    age_is(&r, NULL, 0, "age list empty");

    /* A big numeric caller id comes back byte for byte. */
    const char *d = "{\"jsonrpc\":\"2.0\",\"id\":9007199254740993,"
                    "\"method\":\"x\"}";
    e = add(&r, d, RT_SENT, &owner, 11);
    watch_id = e->id;
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64 ",\"result\":1.0e0}",
             e->id);
    ok(route(&r, msg), "reply to a big id");
    is_str(seen.msg,
           "{\"jsonrpc\":\"2.0\",\"id\":9007199254740993,\"result\":1.0e0}",
           "big id restored");
    watch_r = NULL;
    router_free(&r);
    seen_reset();
}

/* A response from the child for child id id. */
static bool reply(struct router *r, uint64_t id)
{
    char msg[96];

    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64 ",\"result\":{}}", id);
    return route(r, msg);
}

static void test_waiting(void)
{
    struct router r;
    int owner;
    char msg[160];

    router_init(&r);
    uint64_t wid = add(&r, req_str, RT_WAITING, &owner, 1)->id;
    uint64_t lid = add(&r, req_str, RT_LOCAL, &owner, 2)->id;
    seen_reset();
    ok(!reply(&r, wid), "reply for a waiting entry not delivered");
    ok(!reply(&r, lid), "reply for a local entry not delivered");
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
             "\"params\":{\"progressToken\":%" PRIu64 ",\"progress\":1}}",
             wid);
    ok(!route(&r, msg), "progress for a waiting entry not delivered");
    is_int(seen.replies + seen.notifies, 0, "no callback");
    struct rt_entry *w = router_find(&r, wid);
    ok(w && router_find(&r, lid), "both entries still there");
    is_int(r.count, 2, "count unchanged");

    /* Once written, the same reply goes through. */
    if (w) {
        w->state = RT_SENT;
        ok(reply(&r, wid), "reply after the entry was sent");
        is_int(seen.slot, 1, "reply slot");
    }
    router_free(&r);
    seen_reset();
}

/* Formats a progress notification from the child and routes it. */
__attribute__((format(printf, 2, 3))) static bool progress(struct router *r,
                                                           const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return route(r, msg);
}

#define PROGRESS                                                  \
    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"," \
    "\"params\":{\"progressToken\":%" PRIu64 ",\"progress\":50,"  \
    "\"total\":100,\"message\":\"half\"}}"

static void test_progress(void)
{
    struct router r;
    int owner;

    router_init(&r);
    struct rt_entry *s = add(&r, req_str, RT_SENT, &owner, 1);
    const char *d = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"x\","
                    "\"params\":{\"_meta\":{\"progressToken\":7}}}";
    struct rt_entry *n = add(&r, d, RT_SENT, &owner, 2);
    d = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"x\"}";
    struct rt_entry *none = add(&r, d, RT_SENT, &owner, 3);

    seen_reset();
    ok(progress(&r, PROGRESS, s->id), "progress with a string token");
    is_int(seen.notifies, 1, "on_notify once");
    ok(seen.owner == &owner && seen.slot == 1, "right owner and slot");
    is_str(seen.msg,
           "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
           "\"params\":{\"progressToken\":\"tok\",\"progress\":50,"
           "\"total\":100,\"message\":\"half\"}}",
           "string token restored");
    ok(router_find(&r, s->id) == s, "entry stays after progress");
    is_int(seen.replies, 0, "progress is not a reply");

    ok(progress(&r, PROGRESS, n->id), "progress with a number token");
    is_int(seen.slot, 2, "number token slot");
    is_str(seen.msg,
           "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
           "\"params\":{\"progressToken\":7,\"progress\":50,"
           "\"total\":100,\"message\":\"half\"}}",
           "number token restored");

    seen_reset();
    ok(!progress(&r, PROGRESS, (uint64_t)424242), "unknown token refused");
    ok(!progress(&r, PROGRESS, none->id), "call without a token refused");
    ok(!progress(&r,
                 "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
                 "\"params\":{\"progressToken\":\"%" PRIu64 "\"}}",
                 s->id),
       "string child token refused");
    ok(!progress(&r,
                 "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\","
                 "\"params\":{\"progressToken\":%" PRIu64 "}}",
                 s->id),
       "another method with the token is not progress");
    ok(!progress(&r,
                 "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
                 "\"params\":{\"progress\":%" PRIu64 "}}",
                 s->id),
       "progress without a token refused");
    is_int(seen.notifies, 0, "no on_notify for refused progress");
    is_int(r.count, 3, "all entries still there");
    router_free(&r);
    seen_reset();
}

static void test_fail_answer_drop(void)
{
    struct router r;
    int owner;
    struct rpc_msg m;
    struct json_span v;

    router_init(&r);
    struct rt_entry *e = add(&r, req_str, RT_SENT, &owner, 5);
    watch_r = &r;
    watch_id = e->id;
    seen_reset();
    router_fail(&r, e, RT_FAIL_TIMEOUT, RPC_REQUEST_TIMEOUT,
                "Request \"x\" timed out");
    is_int(seen.replies, 1, "router_fail calls on_reply");
    is_int(seen.why, RT_FAIL_TIMEOUT, "fail reason");
    ok(seen.owner == &owner && seen.slot == 5, "fail owner and slot");
    is_int(seen.gone, 1, "failed entry gone during on_reply");
    is_str(seen.msg,
           "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32001,\"message\":"
           "\"Request \\\"x\\\" timed out\"},\"id\":\"abc-1\"}",
           "fail message");
    ok(parse(seen.msg, &m) == 0 && m.kind == RPC_RESPONSE, "fail parses");
    is_mem(seen.msg + m.id.off, m.id.len, "\"abc-1\"", "fail id");
    is_int(r.count, 0, "failed entry removed");

    /* Every reason reaches the caller unchanged. */
    for (int why = RT_FAIL_EXITED; why <= RT_FAIL_SHUTDOWN; why++) {
        e = add(&r, req_str, RT_WAITING, &owner, (unsigned)why);
        watch_id = e->id;
        router_fail(&r, e, (enum rt_fail)why, RPC_CONNECTION_CLOSED, "c");
        ok(seen.why == (enum rt_fail)why && seen.slot == (unsigned)why &&
               seen.gone == 1,
           "fail reason passed through");
    }

    const char *d = "{\"jsonrpc\":\"2.0\",\"id\":-4,\"method\":\"tools/list\"}";
    e = add(&r, d, RT_LOCAL, &owner, 6);
    watch_id = e->id;
    seen_reset();
    router_answer(&r, e, "{\"tools\":[]}", 12);
    is_int(seen.replies, 1, "router_answer calls on_reply");
    is_int(seen.why, RT_OK, "answer is RT_OK");
    is_int(seen.slot, 6, "answer slot");
    is_int(seen.gone, 1, "answered entry gone during on_reply");
    is_str(seen.msg,
           "{\"jsonrpc\":\"2.0\",\"id\":-4,\"result\":{\"tools\":[]}}",
           "answer message");
    ok(parse(seen.msg, &m) == 0 && m.kind == RPC_RESPONSE &&
           json_member(seen.msg, m.root, "result", &v) == 1,
       "answer parses");
    is_int(r.count, 0, "answered entry removed");

    e = add(&r, req_str, RT_SENT, &owner, 7);
    struct rt_entry *f = add(&r, req_str, RT_SENT, &owner, 8);
    uint64_t id = e->id;
    seen_reset();
    router_drop(&r, e);
    is_int(seen.replies + seen.notifies, 0, "router_drop is silent");
    ok(router_find(&r, id) == NULL, "dropped entry gone");
    is_int(r.count, 1, "drop decrements count");
    ok(r.oldest == f && r.newest == f && !f->prev && !f->next,
       "age list after drop");
    char msg[96];
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64 ",\"result\":{}}", id);
    ok(!route(&r, msg), "reply for a dropped entry refused");
    watch_r = NULL;
    router_free(&r);
    seen_reset();
}

static void test_age_list(void)
{
    struct router r;
    struct rt_entry *e[6];
    uint64_t ids[6] = {0};

    router_init(&r);
    age_is(&r, ids, 0, "age list empty at start");
    for (int i = 0; i < 6; i++) {
        e[i] = add(&r, req_str, RT_SENT, &r, (unsigned)i);
        ids[i] = e[i]->id;
    }
    age_is(&r, ids, 6, "six in order");
    for (int i = 1; i < 6; i++)
        ok(ids[i] > ids[i - 1], "ids increase with age");

    router_drop(&r, e[2]);
    uint64_t a[] = {ids[0], ids[1], ids[3], ids[4], ids[5]};
    age_is(&r, a, 5, "drop from the middle");
    router_drop(&r, e[4]);
    uint64_t b[] = {ids[0], ids[1], ids[3], ids[5]};
    age_is(&r, b, 4, "second drop from the middle");
    router_drop(&r, e[0]);
    uint64_t c[] = {ids[1], ids[3], ids[5]};
    age_is(&r, c, 3, "drop the oldest");
    router_drop(&r, e[5]);
    uint64_t d[] = {ids[1], ids[3]};
    age_is(&r, d, 2, "drop the newest");

    struct rt_entry *g = add(&r, req_str, RT_SENT, &r, 9);
    uint64_t f[] = {ids[1], ids[3], g->id};
    age_is(&r, f, 3, "add after drops goes to the end");
    seen_reset();
    char msg[96];
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64 ",\"result\":{}}", ids[3]);
    route(&r, msg);
    uint64_t h[] = {ids[1], g->id};
    age_is(&r, h, 2, "route removes from the middle");
    router_drop(&r, e[1]);
    router_drop(&r, g);
    age_is(&r, ids, 0, "empty after dropping all");
    router_free(&r);
    seen_reset();
}

/* State for the big test: what each slot must receive. */
#define BIG 10000
static int big_hits[BIG];
static int big_wrong;
static char big_owner;

static void big_reply(void *owner, unsigned slot, enum rt_fail why,
                      const char *msg, size_t len)
{
    char want[96];

    if (owner != &big_owner || slot >= BIG || why != RT_OK) {
        big_wrong++;
        return;
    }
    big_hits[slot]++;
    int n = snprintf(want, sizeof(want),
                     "{\"jsonrpc\":\"2.0\",\"id\":\"c%u\",\"result\":"
                     "{\"slot\":%u}}",
                     slot, slot);
    if ((size_t)n != len || memcmp(msg, want, len) != 0)
        big_wrong++;
}

static void big_notify(void *owner, unsigned slot, const char *msg, size_t len)
{
    big_wrong++;
}

static const struct rt_caller_ops big_ops = {big_reply, big_notify, NULL};

static uint32_t rng_state = 2463534242u;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static bool age_ascending(const struct router *r)
{
    size_t n = 0;
    const struct rt_entry *e;

    for (e = r->oldest; e; e = e->next, n++)
        if ((e->prev && e->prev->id >= e->id) ||
            (e->next && e->next->prev != e))
            return false;
    return n == r->count;
}

static void test_many(void)
{
    static uint64_t ids[BIG];
    static unsigned order[BIG];
    struct router r;
    char doc[128];
    struct rpc_msg m;
    int added = 0, found = 0, routed = 0;

    router_init(&r);
    size_t start_buckets = r.nbuckets;
    for (unsigned i = 0; i < BIG; i++) {
        snprintf(doc, sizeof(doc),
                 "{\"jsonrpc\":\"2.0\",\"id\":\"c%u\",\"method\":\"x\"}", i);
        if (parse(doc, &m) != 0)
            break;
        struct rt_entry *e =
            router_add(&r, doc, &m, RT_SENT, &big_ops, &big_owner, i, 0);
        if (e == NULL)
            break;
        ids[i] = e->id;
        added++;
    }
    is_int(added, BIG, "10000 entries added");
    is_int(r.count, BIG, "count 10000");
    ok(r.nbuckets > start_buckets, "the table grew");
    ok((r.nbuckets & (r.nbuckets - 1)) == 0, "still a power of two");
    ok(r.nbuckets >= r.count / 2, "load factor bounded");
    for (unsigned i = 0; i < BIG; i++) {
        struct rt_entry *e = router_find(&r, ids[i]);
        found += e && e->slot == i && e->id == ids[i];
    }
    is_int(found, BIG, "every entry found after growth");
    ok(age_ascending(&r), "age list in order after growth");

    for (unsigned i = 0; i < BIG; i++)
        order[i] = i;
    for (unsigned i = BIG - 1; i > 0; i--) {
        unsigned j = rng() % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (unsigned k = 0; k < BIG; k++) {
        unsigned i = order[k];
        snprintf(doc, sizeof(doc),
                 "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64
                 ",\"result\":{\"slot\":%u}}",
                 ids[i], i);
        routed += route(&r, doc);
        if (k == BIG / 2)
            ok(age_ascending(&r) && r.count == BIG - BIG / 2 - 1,
               "age list consistent halfway");
    }
    is_int(routed, BIG, "every reply routed");
    is_int(big_wrong, 0, "no reply went astray or was wrong");
    int once = 0;
    for (unsigned i = 0; i < BIG; i++)
        once += big_hits[i] == 1;
    is_int(once, BIG, "every slot answered exactly once");
    is_int(r.count, 0, "table empty");
    ok(r.oldest == NULL && r.newest == NULL, "age list empty");
    router_free(&r);
}

static void test_free_with_entries(void)
{
    struct router r;
    int owner;

    int added = 0;

    router_init(&r);
    for (unsigned i = 0; i < 300; i++)
        added += add(&r, req_str, (enum rt_state)(i % 3), &owner, i) != NULL;
    is_int(added, 300, "entries in every state to leave behind");
    seen_reset();
    router_free(&r);
    is_int(seen.replies + seen.notifies, 0, "router_free calls no one");
    ok(r.buckets == NULL && r.oldest == NULL && r.count == 0,
       "router_free with entries left (ASan checks for leaks)");
}

/* Counts on_holder_gone calls and the asks the entry still had. */
static int gone_calls;
static unsigned gone_asks;

static void holder_gone(void *arg, struct rt_entry *e)
{
    gone_calls++;
    gone_asks = e->asks;
    e->asks = 0; /* what the backend does: it answers them all */
}

static void test_holders(void)
{
    struct router r;

    router_init(&r);
    r.on_holder_gone = holder_gone;
    ok(router_sole_holder(&r) == NULL, "no holder in an empty table");

    struct rt_entry *a = add(&r, req_str, RT_SENT, &r, 0);
    struct rt_entry *list = add(&r, req_str, RT_SENT, &r, 1);
    ok(router_sole_holder(&r) == NULL, "entries are not holders by themselves");
    router_hold(&r, a);
    router_hold(&r, a);
    is_int(r.nholders, 1, "holding twice counts once");
    ok(router_sole_holder(&r) == a, "one holder among two calls: that one");

    struct rt_entry *b = add(&r, req_str, RT_WAITING, &r, 2);
    router_hold(&r, b);
    is_int(r.nholders, 2, "two holders");
    ok(router_sole_holder(&r) == NULL, "two holders: none is the sole one");
    router_drop(&r, a);
    is_int(r.nholders, 1, "a dropped holder leaves the list");
    ok(router_sole_holder(&r) == NULL, "the one holder left was not written");
    b->state = RT_SENT;
    ok(router_sole_holder(&r) == b, "written, it is the sole holder");

    is_int(gone_calls, 0, "no hook for holders without asks");
    b->asks = 2;
    router_fail(&r, b, RT_FAIL_TIMEOUT, -32001, "Request timed out");
    is_int(gone_calls, 1, "a holder with asks left: the hook runs");
    is_int(gone_asks, 2, "the hook sees the entry's asks");
    is_int(r.nholders, 0, "no holder left");
    ok(r.holders == NULL, "empty holders list");
    router_drop(&r, list);
    is_int(r.count, 0, "table empty");
    router_free(&r);
}

int main(void)
{
    test_init();
    test_add();
    test_same_ids();
    test_route_response();
    test_waiting();
    test_progress();
    test_fail_answer_drop();
    test_age_list();
    test_many();
    test_free_with_entries();
    test_holders();
    seen_reset();
    return tap_done();
}
