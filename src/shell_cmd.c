/* SPDX-License-Identifier: MIT */
/* Telling a simple shell command from anything more. */
#include "mcpgw/shell_cmd.h"

#include <stddef.h>
#include <string.h>

/* Outside quotes: what a word of a simple command may hold. */
static bool plain(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || strchr("_./:@%+,=~-", c) != NULL;
}

/* Words exec cannot run, or that make the command more than one. */
static bool special_first_word(const char *w, size_t n)
{
    static const char *const words[] = {
        "if",      "then",     "else",     "elif",  "fi",     "do",
        "done",    "case",     "esac",     "while", "until",  "for",
        "in",      "function", "exec",     "cd",    "export", "set",
        "unset",   "alias",    "ulimit",   "umask", "trap",   "eval",
        "exit",    "return",   "shift",    "read",  "wait",   "source",
        "command", "builtin",  "readonly", "local", "time",   "select",
        NULL,
    };

    for (size_t i = 0; words[i]; i++)
        if (strlen(words[i]) == n && memcmp(words[i], w, n) == 0)
            return true;
    return false;
}

/* Checks the first word: plain, no assignment, nothing special. */
static bool first_word_ok(const char *p)
{
    size_t n = 0;

    while (p[n] && p[n] != ' ' && p[n] != '\t')
        n++;
    if (n == 0 || memchr(p, '=', n) != NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!plain(p[i]) && p[i] != '\'' && p[i] != '"')
            return false;
    return !special_first_word(p, n);
}

bool shell_cmd_is_simple(const char *cmd)
{
    const char *p = cmd;

    while (*p == ' ' || *p == '\t')
        p++;
    if (!first_word_ok(p))
        return false;
    for (; *p; p++) {
        if (*p == '\'') {
            const char *end = strchr(p + 1, '\'');
            if (end == NULL)
                return false;
            p = end;
        } else if (*p == '"') {
            for (p++; *p && *p != '"'; p++)
                if (*p == '$' || *p == '`' || *p == '\\')
                    return false;
            if (*p == '\0')
                return false;
        } else if (!plain(*p) && *p != ' ' && *p != '\t') {
            return false;
        }
    }
    return true;
}
