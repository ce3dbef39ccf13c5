/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers for tests: locate shared real evidence, read files, build temp dirs. */
#ifndef CCGPU_TESTS_TESTDATA_H
#define CCGPU_TESTS_TESTDATA_H

#include <openssl/types.h>
#include <stddef.h>
#include <stdint.h>

/*
 * td_path: "<CCGPU_TESTDATA>/<rel>" in a static buffer (valid until the next call).
 * When CCGPU_TESTDATA is unset or missing: prints a TAP skip plan and exits outside CI,
 * fails under CI=true.
 */
const char *td_path(const char *rel);
/* td_read: reads a testdata file (or fails the test); *len excludes the added NUL. */
uint8_t *td_read(const char *rel, size_t *len);
/* td_read_hex: reads a testdata hex file and decodes it (or fails the test). */
uint8_t *td_read_hex(const char *rel, size_t *len);
/* td_read_file: reads any file by path (or fails the test). */
uint8_t *td_read_file(const char *path, size_t *len);
/* td_cert_file: the one certificate of a PEM file (or fails the test); the caller X509_frees it. */
X509 *td_cert_file(const char *path);
/* td_cert: td_cert_file on a testdata file. */
X509 *td_cert(const char *rel);
/* td_tmpdir: a fresh private temporary directory (removed by td_rm_rf). */
char *td_tmpdir(void);
/* td_rm_rf: removes a directory tree. */
void td_rm_rf(const char *dir);
/* td_require: skips the whole program outside CI when the testdata dir is absent. */
void td_require(void);

#endif
