/* SPDX-License-Identifier: MIT */
/* Levelled log lines on stderr, text or JSON, each written with one write. */
#include "mcpgw/log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* One line, on the stack. Longer messages are cut and end in "...". */
#define LINE_BYTES 8192

/* Kept free at the end of a line for "...", the JSON tail and "\n". */
#define TAIL_ROOM 8

struct line {
    char buf[LINE_BYTES];
    size_t len;
    bool cut; /* the message did not fit */
};

static enum log_level cur_level = LOG_INFO;
static enum log_format cur_format = LOG_TEXT;

static const char *const level_names[] = {
    [LOG_NONE] = "none", [LOG_ERROR] = "error", [LOG_WARN] = "warn",
    [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

static const char hex[] = "0123456789abcdef";

static const char *level_name(enum log_level level)
{
    if ((unsigned)level >= sizeof level_names / sizeof level_names[0])
        return "?";
    return level_names[level];
}

/* Appends n bytes unless they would eat into the tail room. */
static bool put(struct line *l, const char *s, size_t n)
{
    if (l->len + n > LINE_BYTES - TAIL_ROOM) {
        l->cut = true;
        return false;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
    return true;
}

static bool put_str(struct line *l, const char *s)
{
    return put(l, s, strlen(s));
}

/* The tail is written into the room put() keeps free, so it always fits. */
static void put_tail(struct line *l, const char *s)
{
    size_t n = strlen(s);

    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void put_time(struct line *l)
{
    struct timespec ts;
    struct tm tm;
    char s[40];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(s + n, sizeof s - n, ".%03ldZ", ts.tv_nsec / 1000000);
    put_str(l, s);
}

/*
 * Text lines must stay one line even if a caller formats a newline, so
 * control bytes become spaces; everything else was escaped by the caller.
 */
static void put_text(struct line *l, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
        if (!put(l, &c, 1))
            return;
    }
}

/*
 * One byte as JSON string content; false when the line is full. Bytes
 * >= 0x7f become \u00NN: messages are meant to be ASCII already, and this
 * keeps the line valid JSON whatever arrives.
 */
static bool put_json_byte(struct line *l, unsigned char c)
{
    char e[6] = {'\\', (char)c};
    size_t len = 2;

    if (c == '\n') {
        e[1] = 'n';
    } else if (c == '\t') {
        e[1] = 't';
    } else if (c < 0x20 || c >= 0x7f) {
        memcpy(e + 1, "u00", 3);
        e[4] = hex[c >> 4];
        e[5] = hex[c & 15];
        len = 6;
    } else if (c != '"' && c != '\\') {
        e[0] = (char)c;
        len = 1;
    }
    return put(l, e, len);
}

static void put_json(struct line *l, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!put_json_byte(l, (unsigned char)s[i]))
            return;
    }
}

static void write_line(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void build_text(struct line *l, enum log_level level, const char *sys,
                       const char *msg, size_t n)
{
    put_time(l);
    put_str(l, " ");
    put_str(l, level_name(level));
    put_str(l, " ");
    put_str(l, sys);
    put_str(l, ": ");
    put_text(l, msg, n);
    put_tail(l, l->cut ? "...\n" : "\n");
}

static void build_json(struct line *l, enum log_level level, const char *sys,
                       const char *msg, size_t n)
{
    put_str(l, "{\"ts\":\"");
    put_time(l);
    put_str(l, "\",\"level\":\"");
    put_str(l, level_name(level));
    put_str(l, "\",\"sys\":\"");
    put_json(l, sys, strlen(sys));
    put_str(l, "\",\"msg\":\"");
    put_json(l, msg, n);
    put_tail(l, l->cut ? "...\"}\n" : "\"}\n");
}

static void emit(enum log_level level, const char *sys, const char *fmt,
                 va_list ap) __attribute__((format(printf, 3, 0)));

/* Formats and writes one line, whatever the threshold. */
static void emit(enum log_level level, const char *sys, const char *fmt,
                 va_list ap)
{
    int saved = errno;
    char msg[LINE_BYTES];
    struct line l = {.len = 0};

    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    if (n < 0)
        n = snprintf(msg, sizeof msg, "(bad log format)");
    if ((size_t)n >= sizeof msg) {
        n = (int)sizeof msg - 1;
        l.cut = true;
    }
    if (!sys)
        sys = "-";
    if (cur_format == LOG_JSON)
        build_json(&l, level, sys, msg, (size_t)n);
    else
        build_text(&l, level, sys, msg, (size_t)n);
    write_line(l.buf, l.len);
    errno = saved;
}

void log_init(enum log_level level, enum log_format format)
{
    cur_level = level;
    cur_format = format;
}

enum log_level log_level(void)
{
    return cur_level;
}

void log_vmsg(enum log_level level, const char *sys, const char *fmt,
              va_list ap)
{
    if (!log_enabled(level))
        return;
    emit(level, sys, fmt, ap);
}

void log_msg(enum log_level level, const char *sys, const char *fmt, ...)
{
    va_list ap;

    if (!log_enabled(level))
        return;
    va_start(ap, fmt);
    emit(level, sys, fmt, ap);
    va_end(ap);
}

char *log_escape(const char *p, size_t n, size_t max, char *out)
{
    char *o = out;

    if (!p)
        n = 0;
    for (size_t i = 0; i < n && i < max; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        *o++ = 'x';
        *o++ = hex[c >> 4];
        *o++ = hex[c & 15];
    }
    if (n > max) {
        memcpy(o, "...", 3);
        o += 3;
    }
    *o = '\0';
    return out;
}

/* Written even at --logLevel none: a daemon that dies should say why. */
void fatal(const char *sys, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    emit(LOG_ERROR, sys, fmt, ap);
    va_end(ap);
    exit(1);
}
