/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccgpu.h: the whole public API of libccgpu in one include.
 * Compile and link with `pkg-config --cflags --libs ccgpu`.
 */
#ifndef CCGPU_CCGPU_H
#define CCGPU_CCGPU_H

#include "ccgpu/version.h"
#include "ccgpu/status.h"
#include "ccgpu/util.h"
#include "ccgpu/attest.h"
#include "ccgpu/cpu.h"
#include "ccgpu/policy.h"
#include "ccgpu/channel.h"
#include "ccgpu/token.h"
#include "ccgpu/guest.h"
#include "ccgpu/ohttp.h"
#include "ccgpu/client.h"
#include "ccgpu/party.h"

#endif
