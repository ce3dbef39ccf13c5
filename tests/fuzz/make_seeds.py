#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpora of the spdm and nvgpu_opaque fuzz targets from the
real H100 reports in the shared testdata (run once; the seeds are committed).
Usage: make_seeds.py TESTDATA_DIR"""
import os
import struct
import sys

REQ_LEN = 37
HERE = os.path.dirname(os.path.abspath(__file__))


def report(td, name):
    with open(os.path.join(td, "nvidia", name, "report.hex")) as f:
        return bytes.fromhex(f.read().strip())


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


def tlv(t, v):
    return struct.pack("<HH", t, len(v)) + v


def main(td):
    r550, r580 = report(td, "hopper-550.90.07"), report(td, "hopper-580.159.03")
    req, resp, o, op_len = split(r550)
    opaque550 = resp[o + 2:o + 2 + op_len]
    _, resp580, o580, op580 = split(r580)
    opaque580 = resp580[o580 + 2:o580 + 2 + op580]

    write("spdm", "h100-550-report.bin", r550)
    write("spdm", "h100-580-report.bin", r580)
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

    write("nvgpu_opaque", "h100-550-opaque.bin", opaque550)
    write("nvgpu_opaque", "h100-580-opaque.bin", opaque580)
    write("nvgpu_opaque", "truncated-tlv.bin", opaque550[:101])
    write("nvgpu_opaque", "duplicate-nvdec0.bin", opaque550 + tlv(11, b"\xaa"))
    write("nvgpu_opaque", "driver-no-nul.bin", tlv(3, b"550.90.07") + tlv(6, bytes(8)))
    write("nvgpu_opaque", "unknown-ids.bin", tlv(0x7777, b"abc") + tlv(0x7777, b"") + tlv(20, bytes(48)))
    write("nvgpu_opaque", "msrscnt-odd.bin", tlv(12, bytes(6)) + tlv(17, b"1010\x00"))
    write("nvgpu_opaque", "strings.bin", tlv(15, b"882\x00\x00\x00") + tlv(18, b"0200\x00") + tlv(6, bytes.fromhex("009f009601000000")))


if __name__ == "__main__":
    main(sys.argv[1])
