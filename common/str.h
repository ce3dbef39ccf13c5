/* SPDX-License-Identifier: Apache-2.0 */
/* Small string helpers. */
#ifndef CCGPU_COMMON_STR_H
#define CCGPU_COMMON_STR_H

#include <stdbool.h>
#include <stddef.h>

/*
 * ccg_strdup_opt: strdup(s), or NULL for NULL; sets *failed when the copy
 * could not be made, so several optional strings can be copied and checked once.
 */
char *ccg_strdup_opt(const char *s, bool *failed);

/*
 * UTF-8 (RFC 3629) where text enters from outside: shortest forms only, no
 * surrogates, nothing above U+10FFFF.
 * ccg_utf8_valid_prefix: the offset of the first byte that does not start or
 * continue a valid character (len when all of s[0, len) is valid UTF-8).
 */
size_t ccg_utf8_valid_prefix(const char *s, size_t len);
/* ccg_utf8_valid: s[0, len) is valid UTF-8. */
bool ccg_utf8_valid(const char *s, size_t len);
/*
 * ccg_utf8_cut: how many bytes of the NUL-terminated s to keep to show at
 * most max bytes without cutting a character in two ("%.*s" with it).
 */
int ccg_utf8_cut(const char *s, size_t max);
/*
 * ccg_utf8_sanitize: replaces, in place, every byte of the NUL-terminated s
 * that is not part of a valid UTF-8 character by '?', so the text can go
 * into JSON (jansson refuses invalid UTF-8).
 */
void ccg_utf8_sanitize(char *s);

#endif
