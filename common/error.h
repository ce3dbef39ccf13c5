/* SPDX-License-Identifier: Apache-2.0 */
/* Internal error helpers shared by every layer. */
#ifndef CCGPU_COMMON_ERROR_H
#define CCGPU_COMMON_ERROR_H

#include "ccgpu/status.h"

/* ccg_error_set is public (include/ccgpu/status.h, branch api): apps and callbacks record failures the same way. */

#endif
