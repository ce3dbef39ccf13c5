/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SPDM (DMTF DSP0274) message codes and field values both ends of the
 * CPU-GPU link use: the requester session (channel/), the appraisal of
 * GET_MEASUREMENTS reports (attest/) and the simulated device (gpusim/).
 * Values only: the one place they are written down.
 */
#ifndef CCGPU_WIRE_SPDM_CODES_H
#define CCGPU_WIRE_SPDM_CODES_H

/* SPDMVersion */
#define SPDM_V10 0x10
#define SPDM_V11 0x11
#define SPDM_V12 0x12
#define SPDM_V13 0x13

/* request / response codes (DSP0274 1.2 table 4/5) */
#define SPDM_GET_VERSION 0x84
#define SPDM_VERSION 0x04
#define SPDM_GET_CAPABILITIES 0xE1
#define SPDM_CAPABILITIES 0x61
#define SPDM_NEGOTIATE_ALGORITHMS 0xE3
#define SPDM_ALGORITHMS 0x63
#define SPDM_GET_DIGESTS 0x81
#define SPDM_DIGESTS 0x01
#define SPDM_GET_CERTIFICATE 0x82
#define SPDM_CERTIFICATE 0x02
#define SPDM_GET_MEASUREMENTS 0xE0
#define SPDM_MEASUREMENTS 0x60
#define SPDM_KEY_EXCHANGE 0xE4
#define SPDM_KEY_EXCHANGE_RSP 0x64
#define SPDM_FINISH 0xE5
#define SPDM_FINISH_RSP 0x65
#define SPDM_HEARTBEAT 0xE8
#define SPDM_HEARTBEAT_ACK 0x68
#define SPDM_KEY_UPDATE 0xE9
#define SPDM_KEY_UPDATE_ACK 0x69
#define SPDM_END_SESSION 0xEC
#define SPDM_END_SESSION_ACK 0x6C
#define SPDM_VENDOR_DEFINED_REQUEST 0xFE
#define SPDM_VENDOR_DEFINED_RESPONSE 0x7E
#define SPDM_ERROR 0x7F

/* ERROR codes (Param1 of ERROR) */
#define SPDM_ERR_INVALID_REQUEST 0x01
#define SPDM_ERR_UNEXPECTED_REQUEST 0x04
#define SPDM_ERR_DECRYPT_ERROR 0x06
#define SPDM_ERR_UNSUPPORTED_REQUEST 0x07
#define SPDM_ERR_SESSION_LIMIT 0x0A

/* KEY_UPDATE operations */
#define SPDM_KU_UPDATE_KEY 1
#define SPDM_KU_UPDATE_ALL_KEYS 2
#define SPDM_KU_VERIFY_NEW_KEY 3

/* capability flags (GET_CAPABILITIES / CAPABILITIES) */
#define SPDM_CAP_CERT (1u << 1)
#define SPDM_CAP_ENCRYPT (1u << 6)
#define SPDM_CAP_MAC (1u << 7)
#define SPDM_CAP_KEY_EX (1u << 9)
#define SPDM_CAP_HBEAT (1u << 13)
#define SPDM_CAP_KEY_UPD (1u << 14)

/* GET_MEASUREMENTS Param1 / Param2 */
#define SPDM_MEAS_SIG_REQUESTED 0x01
#define SPDM_MEAS_ALL_BLOCKS 0xFF

/* algorithm bits (NEGOTIATE_ALGORITHMS / ALGORITHMS) and MeasurementSpecification */
#define SPDM_ASYM_ECDSA_P384 0x00000080u
#define SPDM_HASH_SHA384 0x00000002u
#define SPDM_MEAS_SPEC_DMTF 0x01
#define SPDM_OTHER_OPAQUE_FMT1 0x02
#define SPDM_ALG_TYPE_DHE 2
#define SPDM_ALG_TYPE_AEAD 3
#define SPDM_ALG_TYPE_REQ_ASYM 4
#define SPDM_ALG_TYPE_KEY_SCHEDULE 5
#define SPDM_DHE_SECP384R1 0x0010
#define SPDM_AEAD_AES256_GCM 0x0002
#define SPDM_KEY_SCHEDULE_SPDM 0x0001

#endif
