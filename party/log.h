/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The release log, the party's side (party/log.c): the calls are exported
 * and declared in ccgpu/party.h; the daemon signs tree heads of this type
 * (verifier/log.h).
 */
#ifndef CCGPU_PARTY_LOG_H
#define CCGPU_PARTY_LOG_H

#include "ccgpu/party.h"

#define CCG_LOG_STH_TYP "ccgpu-log-sth/v1"

#endif
