/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccgpu's version, as compiled against. meson.build refuses to configure
 * when these lines disagree with the project's version, so they cannot drift.
 */
#ifndef CCGPU_VERSION_H
#define CCGPU_VERSION_H

#include "ccgpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CCGPU_VERSION "0.1.0"
#define CCGPU_VERSION_MAJOR 0
#define CCGPU_VERSION_MINOR 1
#define CCGPU_VERSION_PATCH 0
/* CCGPU_VERSION_NUMBER: 0xMMmmpp, for #if comparisons. */
#define CCGPU_VERSION_NUMBER ((CCGPU_VERSION_MAJOR << 16) | (CCGPU_VERSION_MINOR << 8) | CCGPU_VERSION_PATCH)

/*
 * ccg_version: the version of the libccgpu actually loaded ("0.1.0"), which
 * may be newer than CCGPU_VERSION; constant, never NULL. Thread-safe.
 */
CCG_API const char *ccg_version(void);

#ifdef __cplusplus
}
#endif
#endif
