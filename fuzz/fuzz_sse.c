/* SPDX-License-Identifier: MIT */
/*
 * sse_event output read back by a parser written from the WHATWG
 * EventSource rules (lines end at CR, LF or CRLF; "field: value"; a blank
 * line dispatches): exactly one event comes out, with the event name and
 * id given and the data with its line endings normalised to '\n'.
 *
 * Input: byte 0 bit 0 gives an event name, bit 1 an id; bytes 1 and 2
 * their lengths (mod 32), taken next from the input without CR, LF and
 * NUL; the rest is the data.
 */
#include "mcpgw/sse.h"

#include "fuzz_util.h"

struct parsed {
    int events;
    struct vec event, id, data; /* of the last event */
    bool has_event, has_id;
    size_t comments;
};

static void field(struct parsed *ps, struct vec *data, const unsigned char *l,
                  size_t n, bool *has_event, struct vec *event)
{
    const unsigned char *colon = memchr(l, ':', n);
    size_t flen = colon ? (size_t)(colon - l) : n;
    const unsigned char *v = colon ? colon + 1 : l + n;
    size_t vlen = colon ? n - flen - 1 : 0;

    if (flen == 0) {
        ps->comments++;
        return;
    }
    if (vlen > 0 && v[0] == ' ') {
        v++;
        vlen--;
    }
    if (flen == 5 && memcmp(l, "event", 5) == 0) {
        event->len = 0;
        vec_add(event, v, vlen);
        *has_event = true;
    } else if (flen == 4 && memcmp(l, "data", 4) == 0) {
        vec_add(data, v, vlen);
        vec_add(data, "\n", 1);
    } else if (flen == 2 && memcmp(l, "id", 2) == 0) {
        if (!memchr(v, '\0', vlen)) {
            ps->id.len = 0;
            vec_add(&ps->id, v, vlen);
            ps->has_id = true;
        }
    } else {
        CHECK(!"unexpected field");
    }
}

/* Parses a whole stream; *rest is set to the bytes after the last event. */
static void parse(struct parsed *ps, const unsigned char *s, size_t n,
                  size_t *rest)
{
    struct vec data = {0}, event = {0};
    bool has_event = false;
    size_t i = 0;

    *rest = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != '\n' && s[j] != '\r')
            j++;
        if (j == n)
            break; /* an unterminated line is not part of any event */
        size_t next = j + 1;
        if (s[j] == '\r' && next < n && s[next] == '\n')
            next++;
        if (j == i) {
            if (data.len > 0) {
                ps->events++;
                ps->data.len = 0;
                vec_add(&ps->data, data.p, data.len - 1);
                ps->event.len = 0;
                vec_add(&ps->event, event.p, event.len);
                ps->has_event = has_event;
            }
            data.len = 0;
            event.len = 0;
            has_event = false;
            *rest = next;
        } else {
            field(ps, &data, s + i, j - i, &has_event, &event);
        }
        i = next;
    }
    vec_free(&data);
    vec_free(&event);
}

static char *take_name(const uint8_t **p, size_t *left, size_t want)
{
    size_t n = want < *left ? want : *left;
    char *s = xmalloc(n + 1), *o = s;

    for (size_t i = 0; i < n; i++)
        if ((*p)[i] != '\r' && (*p)[i] != '\n' && (*p)[i] != '\0')
            *o++ = (char)(*p)[i];
    *o = '\0';
    *p += n;
    *left -= n;
    return s;
}

static bool vec_is(const struct vec *v, const void *p, size_t n)
{
    return v->len == n && (n == 0 || memcmp(v->p, p, n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    unsigned flags = data[0];
    size_t elen = data[1] % 32, ilen = data[2] % 32;
    const uint8_t *p = data + 3;
    size_t left = size - 3;
    char *event = take_name(&p, &left, flags & 1 ? elen : 0);
    char *id = take_name(&p, &left, flags & 2 ? ilen : 0);
    char *body = xmalloc(left);
    memcpy(body, p, left);

    /* What a client must read: CR, LF and CRLF all become '\n'. */
    struct vec want = {0};
    for (size_t i = 0; i < left; i++) {
        if (body[i] == '\r') {
            vec_add(&want, "\n", 1);
            if (i + 1 < left && body[i + 1] == '\n')
                i++;
        } else {
            vec_add(&want, body + i, 1);
        }
    }

    struct gw_buf out = {0};
    static const char prefix[] = "data: earlier\n\n";
    CHECK(buf_append_str(&out, prefix) == 0);
    CHECK(sse_event(&out, flags & 1 ? event : NULL, flags & 2 ? id : NULL, body,
                    left) == 0);
    CHECK(out.len >= sizeof prefix - 1 + 2);
    CHECK(memcmp(out.data, prefix, sizeof prefix - 1) == 0);
    CHECK(memcmp(out.data + out.len - 2, "\n\n", 2) == 0);
    CHECK(out.data[out.len] == '\0');
    /* No bare CR: a client would take it as a line end. */
    CHECK(memchr(out.data, '\r', out.len) == NULL);

    struct parsed ps = {0};
    size_t rest;
    const unsigned char *s =
        (const unsigned char *)out.data + sizeof prefix - 1;
    size_t n = out.len - (sizeof prefix - 1);
    parse(&ps, s, n, &rest);
    CHECK(ps.events == 1 && rest == n && ps.comments == 0);
    CHECK(vec_is(&ps.data, want.p, want.len));
    CHECK(ps.has_event == ((flags & 1) != 0));
    if (flags & 1)
        CHECK(vec_is(&ps.event, event, strlen(event)));
    CHECK(ps.has_id == ((flags & 2) != 0));
    if (flags & 2)
        CHECK(vec_is(&ps.id, id, strlen(id)));

    /* A comment: ": text\n\n", which a client reads as no event. */
    const uint8_t *tp = (const uint8_t *)body;
    size_t tleft = left;
    char *text = take_name(&tp, &tleft, 200);
    struct gw_buf c = {0};
    CHECK(sse_comment(&c, text) == 0);
    size_t tl = strlen(text);
    CHECK(c.len == tl + 4 && memcmp(c.data, ": ", 2) == 0 &&
          memcmp(c.data + 2, text, tl) == 0);
    CHECK(memcmp(c.data + c.len - 2, "\n\n", 2) == 0);
    struct parsed pc = {0};
    parse(&pc, (const unsigned char *)c.data, c.len, &rest);
    CHECK(pc.events == 0 && pc.comments == 1 && rest == c.len);

    buf_free(&c);
    free(text);
    buf_free(&out);
    vec_free(&want);
    vec_free(&ps.event);
    vec_free(&ps.id);
    vec_free(&ps.data);
    free(body);
    free(event);
    free(id);
    return 0;
}
