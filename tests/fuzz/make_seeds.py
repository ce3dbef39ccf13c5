#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpora of the spdm and nvgpu_opaque fuzz targets: a
synthetic SPDM 1.1 report laid out as an H100's (request, 64 SHA-384 blocks,
NVIDIA opaque TLVs, P-384-sized signature) and mutations of it. The real
reports are not copied here: meson test replays them from the shared testdata
(see fuzz_testdata in meson.build). Run once; the seeds are committed.
Usage: make_seeds.py"""
import os
import struct
import sys

REQ_LEN = 37
HERE = os.path.dirname(os.path.abspath(__file__))


def tlv(t, v):
    return struct.pack("<HH", t, len(v)) + v


def synthetic_report(seed):
    """An unsigned-in-fact but well-formed H100-style report (the signature is filler)."""
    def fill(n, k):
        return bytes((seed * 31 + k * 7 + i * 13) & 0xFF for i in range(n))
    req = b"\x11\xe0\x01\xff" + fill(32, 1) + b"\x00"
    blocks = b""
    for idx in range(1, 65):
        val = fill(48, idx)
        blocks += bytes([idx, 1]) + struct.pack("<H", 3 + 48) + b"\x01" + struct.pack("<H", 48) + val
    opaque = (tlv(3, b"999.99.99\x00") + tlv(6, bytes.fromhex("0012003400560000")) +
              tlv(17, b"9999\x00") + tlv(18, b"0000\x00") + tlv(15, b"123\x00\x00\x00") +
              tlv(11, b"\x55") + tlv(20, fill(48, 99)) + tlv(12, struct.pack("<4I", 1, 2, 0, 1)))
    resp = (b"\x11\x60\x00\x00" + bytes([64]) + len(blocks).to_bytes(3, "little") + blocks +
            fill(32, 2) + struct.pack("<H", len(opaque)) + opaque + fill(96, 3))
    return req + resp


def split(rep):
    """(request, response fields) of a 1.1 report with a P-384 signature."""
    req, resp = rep[:REQ_LEN], rep[REQ_LEN:]
    rec_len = int.from_bytes(resp[5:8], "little")
    o = 8 + rec_len + 32
    op_len = int.from_bytes(resp[o:o + 2], "little")
    return req, resp, o, op_len


def write(target, name, data):
    assert len(data) < 8192
    with open(os.path.join(HERE, "corpus", target, name), "wb") as f:
        f.write(data)


def main():
    r550, r580 = synthetic_report(1), synthetic_report(2)
    req, resp, o, op_len = split(r550)
    opaque550 = resp[o + 2:o + 2 + op_len]
    _, resp580, o580, op580 = split(r580)
    opaque580 = resp580[o580 + 2:o580 + 2 + op580]

    write("spdm", "synthetic-report-1.bin", r550)
    write("spdm", "synthetic-report-2.bin", r580)
    write("spdm", "truncated-in-record.bin", r550[:REQ_LEN + 8 + 200])
    write("spdm", "trailing-byte.bin", r550 + b"\x00")
    m = bytearray(r550); m[REQ_LEN + 4] = 63
    write("spdm", "count-mismatch.bin", bytes(m))
    m = bytearray(r550); m[REQ_LEN + 8 + 55] = 1
    write("spdm", "duplicate-index.bin", bytes(m))
    m = bytearray(r550); m[REQ_LEN + 8 + 1] = 2
    write("spdm", "unknown-spec.bin", bytes(m))
    m = bytearray(r550); m[REQ_LEN + o:REQ_LEN + o + 2] = struct.pack("<H", 1025)
    write("spdm", "opaque-too-large.bin", bytes(m))
    m = bytearray(r550); m[0] = m[REQ_LEN] = 0x12
    write("spdm", "spdm12.bin", bytes(m))
    ctx = b"ReqCtx01"
    req13 = b"\x13" + req[1:] + ctx
    resp13 = b"\x13" + resp[1:o + 2 + op_len] + ctx + resp[o + 2 + op_len:]
    write("spdm", "spdm13-context.bin", req13 + resp13)
    blk = bytes([1, 1]) + struct.pack("<H", 3 + 4) + bytes([0x81]) + struct.pack("<H", 4) + b"\xde\xad\xbe\xef"
    small = b"\x11\x60\x00\x00\x01" + len(blk).to_bytes(3, "little") + blk + bytes(32) + struct.pack("<H", 0)
    write("spdm", "unsigned-one-block.bin", b"\x11\xe0\x00\x01" + small)

    write("nvgpu_opaque", "synthetic-opaque-1.bin", opaque550)
    write("nvgpu_opaque", "synthetic-opaque-2.bin", opaque580)
    write("nvgpu_opaque", "truncated-tlv.bin", opaque550[:101])
    write("nvgpu_opaque", "duplicate-nvdec0.bin", opaque550 + tlv(11, b"\xaa"))
    write("nvgpu_opaque", "driver-no-nul.bin", tlv(3, b"550.90.07") + tlv(6, bytes(8)))
    write("nvgpu_opaque", "unknown-ids.bin", tlv(0x7777, b"abc") + tlv(0x7777, b"") + tlv(20, bytes(48)))
    write("nvgpu_opaque", "msrscnt-odd.bin", tlv(12, bytes(6)) + tlv(17, b"1010\x00"))
    write("nvgpu_opaque", "strings.bin", tlv(15, b"882\x00\x00\x00") + tlv(18, b"0200\x00") + tlv(6, bytes.fromhex("009f009601000000")))


if __name__ == "__main__":
    main()
