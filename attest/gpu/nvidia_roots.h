/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CCGPU_ATTEST_NVIDIA_ROOTS_H
#define CCGPU_ATTEST_NVIDIA_ROOTS_H

/* NVIDIA Device Identity CA: anchor of every GPU and NVSwitch device chain (PEM). */
extern const char ccg_nvidia_device_identity_ca_pem[];
/* NVIDIA RIM root: anchor of the reference manifest signing chains (PEM). */
extern const char ccg_nvidia_rim_root_pem[];

#endif
