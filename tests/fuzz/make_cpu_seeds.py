#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the synthetic seed corpora of the CPU TEE fuzz targets (snp, tdx,
tpm_attest, hcl). Every seed is built here from the published layouts; no
real evidence is copied (real files are replayed from shared testdata)."""
import json, os, struct

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def snp(version=2, fam=0, mod=0, sig_hi=0):
    b = bytearray(1184)
    struct.pack_into('<IIQ', b, 0, version, 1, 0x30000)
    struct.pack_into('<I', b, 0x34, 1)
    b[0x50:0x55] = b'\x01\x02\x03\x04\x05'
    struct.pack_into('<Q', b, 0x180, 0x4400000000000302)
    b[0x188] = fam
    b[0x189] = mod
    b[0x2A0] = 1
    b[0x2A0 + 72] = 1
    b[0x2A0 + 60] = sig_hi
    return bytes(b)


put('snp', 'v2.bin', snp())
put('snp', 'v3-genoa.bin', snp(3, 0x19, 0x11))
put('snp', 'v5-turin.bin', snp(5, 0x1A, 0x02))
put('snp', 'v4-unknown.bin', snp(4))
put('snp', 'r-high-bytes.bin', snp(sig_hi=1))
put('snp', 'short.bin', snp()[:700])

# TDX quote: header, (v5 descriptor), body, signature data with QE report certification data
def tdx(version=4, body_type=2, tee=0x81, pem=b'-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n', pad=0):
    hdr = struct.pack('<HHIHH', version, 2, tee, 0, 0) + b'\x93\x9a\x72\x33' + bytes(12) + bytes(20)
    body_len = 584 if body_type == 2 else 648
    body = bytes(body_len)
    if version == 5:
        hdr += struct.pack('<HI', body_type, body_len)
    qe = bytes(384) + bytes(64) + struct.pack('<H', 32) + bytes(32) + struct.pack('<HI', 5, len(pem)) + pem
    sig = bytes(64) + bytes(64) + struct.pack('<HI', 6, len(qe)) + qe
    return hdr + body + struct.pack('<I', len(sig)) + sig + bytes(pad)


put('tdx', 'v4.bin', tdx())
put('tdx', 'v5-td10.bin', tdx(5, 2))
put('tdx', 'v5-td15-padded.bin', tdx(5, 3, pad=64))
put('tdx', 'sgx.bin', tdx(tee=0))
put('tdx', 'truncated.bin', tdx()[:900])

# TPMS_ATTEST quote: magic, type, qualifiedSigner, extraData, clockInfo, firmwareVersion, TPML_PCR_SELECTION, pcrDigest
def attest(extra=b'challenge', banks=1, digest=bytes(32)):
    a = struct.pack('>IH', 0xff544347, 0x8018)
    a += struct.pack('>H', 34) + b'\x00\x0b' + bytes(32)
    a += struct.pack('>H', len(extra)) + extra
    a += struct.pack('>QIIB', 1000, 1, 0, 1)
    a += struct.pack('>Q', 0x2020031200120003)
    a += struct.pack('>I', banks) + b''.join(struct.pack('>HB', 0x000b, 3) + b'\xff\xff\xff' for _ in range(banks))
    a += struct.pack('>H', len(digest)) + digest
    return a


put('tpm_attest', 'quote.bin', attest())
put('tpm_attest', 'two-banks.bin', attest(banks=2))
put('tpm_attest', 'long-extra.bin', attest(extra=bytes(64)))
put('tpm_attest', 'trailing.bin', attest() + b'\x00')
# TPM2B_PUBLIC, ECC P-256 with a zero point (rejected as not on the curve)
pub = struct.pack('>HHIH', 0x0023, 0x000b, 0x00050072, 0) + struct.pack('>HHHH', 0x0010, 0x0018, 0x000b, 0x0003) \
    + struct.pack('>H', 0x0010) + struct.pack('>H', 32) + bytes(32) + struct.pack('>H', 32) + bytes(32)
put('tpm_attest', 'ecc-public.bin', struct.pack('>H', len(pub)) + pub)

# HCL report: header, SNP report, runtime data header, var data (JSON with HCLAkPub)
var = json.dumps({"keys": [{"kid": "HCLAkPub", "key_ops": ["sign"], "kty": "RSA", "e": "AQAB",
                            "n": "wxyz" * 64}], "vm-configuration": {}}, separators=(',', ':')).encode()
def hcl(var=var, pad=254, rtype=2):
    size = 32 + 1184 + 20 + len(var)
    h = b'HCLA' + struct.pack('<IIII', 1, size, 2, 0) + bytes(12)
    return h + snp() + struct.pack('<IIIII', 20 + len(var), 1, rtype, 1, len(var)) + var + bytes(pad)


put('hcl', 'snp.bin', hcl())
put('hcl', 'tdx-type.bin', hcl(rtype=4))
put('hcl', 'not-json.bin', hcl(var=b'{"keys":'))
put('hcl', 'trailing-garbage.bin', hcl(pad=0) + b'\x01')

# collateral: PCS issuer-chain header values (URL-encoded PEM) and CRL framings.
# The certificate is AMD's public Genoa ASK from tests/data/amd (not evidence).
def urlenc(b):
    return ''.join(chr(c) if chr(c).isalnum() or chr(c) in '-._~' else '%%%02X' % c for c in b).encode()


with open(os.path.join(HERE, '..', 'data', 'amd', 'genoa', 'ask.pem'), 'rb') as f:
    ask = f.read()
put('collateral', 'header-one-cert.txt', urlenc(ask))
put('collateral', 'header-two-certs.txt', urlenc(ask + ask))
put('collateral', 'header-cut-escape.txt', urlenc(ask)[:-1])
put('collateral', 'header-nul.txt', b'-----BEGIN%20CERTIFICATE%00-----')
put('collateral', 'header-not-pem.txt', b'not%20a%20certificate')
put('collateral', 'header-raw-pem.txt', ask)
put('collateral', 'crl-pem-empty.txt', b'-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n')
put('collateral', 'crl-hex.txt', b'3000')
put('collateral', 'crl-der-short.der', b'\x30\x82\x01')
