/* SPDX-License-Identifier: MIT */
/* Levelled log lines on stderr, as text or JSON, one line per event. */
#ifndef MCPGW_LOG_H
#define MCPGW_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level {
    LOG_NONE = 0, /* --logLevel none: nothing at all */
    LOG_ERROR,
    LOG_WARN,
    LOG_INFO,
    LOG_DEBUG,
};

enum log_format {
    LOG_TEXT = 0, /* "2026-12-03T21:06:02.123Z info child: msg" */
    LOG_JSON,     /* {"ts":"...","level":"info","sys":"child","msg":"..."} */
};

/* Sets the threshold and the format. Until called: info, text. */
void log_init(enum log_level level, enum log_format format);

/* The current threshold, so callers can skip building costly lines. */
enum log_level log_level(void);

/* True when a line at level would be written. */
#define log_enabled(lvl) ((lvl) <= log_level() && (lvl) != LOG_NONE)

/*
 * Writes one line at level for subsystem sys ("child", "http", ...).
 * The message is formatted as printf does; it must not contain
 * untrusted bytes: pass those through log_escape first. errno is
 * preserved. The line is written with a single write(2), so lines from
 * the gateway and its child never interleave within a line.
 */
void log_msg(enum log_level level, const char *sys, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void log_vmsg(enum log_level level, const char *sys, const char *fmt,
              va_list ap) __attribute__((format(printf, 3, 0)));

#define log_error(sys, ...) log_msg(LOG_ERROR, sys, __VA_ARGS__)
#define log_warn(sys, ...)  log_msg(LOG_WARN, sys, __VA_ARGS__)
#define log_info(sys, ...)  log_msg(LOG_INFO, sys, __VA_ARGS__)
#define log_debug(sys, ...)                       \
    do {                                          \
        if (log_enabled(LOG_DEBUG))               \
            log_msg(LOG_DEBUG, sys, __VA_ARGS__); \
    } while (0)

/*
 * Copies untrusted bytes into out as printable ASCII: control bytes,
 * backslashes, quotes and bytes >= 0x7f become \xNN, so a log line can
 * never be split or forged. At most max input bytes are used; when p is
 * longer, "..." is appended. out needs 4 * max + 4 bytes. Returns out.
 */
char *log_escape(const char *p, size_t n, size_t max, char *out);

/* Writes a fatal message at error level and exits with status 1. */
void fatal(const char *sys, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

#endif
