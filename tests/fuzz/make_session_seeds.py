#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpus of the spdm_session fuzz target: variants of a
recorded gpusim handshake (corpus/spdm_session/handshake.bin), each altering
one answer of the device (docs/gpusim-transport.md frames carrying DSP0274
messages). The handshake was recorded once, from the gpusim PKI whose device
root fuzz_spdm_session.c embeds:
  ccgpu-gpusim pki --out STATE --gpus 1
  ccgpu-gpusim serve --socket SOCK --state STATE --timeout 30 &
  record-spdm-session SOCK STATE/device-root.pem corpus/spdm_session/handshake.bin
(a new recording needs that root copied into fuzz_spdm_session.c).
Usage: make_session_seeds.py"""
import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
DIR = os.path.join(HERE, "corpus", "spdm_session")


def frames(b):
    out, o = [], 0
    while o < len(b):
        n, ver, typ, dev, sid = struct.unpack_from("<IBBHI", b, o)
        out.append([ver, typ, dev, sid, bytearray(b[o + 12:o + 12 + n])])
        o += 12 + n
    return out


def join(fs):
    return b"".join(struct.pack("<IBBHI", len(p), v, t, d, s) + bytes(p) for v, t, d, s, p in fs)


def put(name, fs):
    with open(os.path.join(DIR, name), "wb") as f:
        f.write(join(fs) if isinstance(fs, list) else fs)


def variant(name, edit):
    fs = frames(REC)
    edit(fs)
    put(name, fs)


with open(os.path.join(DIR, "handshake.bin"), "rb") as f:
    REC = f.read()
F = frames(REC)
CODES = {p[1]: i for i, (_, _, _, _, p) in enumerate(F) if F[i][1] == 1}
VERSION, CAPS, ALGS, DIGESTS = CODES[0x04], CODES[0x61], CODES[0x63], CODES[0x01]
CERTS = [i for i, f in enumerate(F) if f[1] == 1 and f[4][1] == 0x02]
KEX = CODES[0x64]

for k in (0, 1, 3, 4, KEX):
    put("cut-after-%d-frames.bin" % k, F[:k])
put("cut-inside-certificate.bin", REC[:len(join(F[:CERTS[1]])) + 500])


def set_byte(i, off, val):
    def edit(fs):
        fs[i][4][off] = val
    return edit


variant("version-only-1.1.bin", set_byte(VERSION, 7, 0x11))
variant("version-spdm-error.bin", lambda fs: fs[VERSION].__setitem__(4, bytearray(b"\x10\x7f\x01\x00")))
variant("caps-no-key-exchange.bin", set_byte(CAPS, 9, F[CAPS][4][9] & ~0x02))
variant("caps-small-transfer.bin", lambda fs: struct.pack_into("<I", fs[CAPS][4], 12, 128))
variant("caps-trailing-byte.bin", lambda fs: fs[CAPS][4].append(0))
variant("algorithms-sha256.bin", lambda fs: struct.pack_into("<I", fs[ALGS][4], 16, 0x01))
variant("algorithms-bad-length.bin", lambda fs: struct.pack_into("<H", fs[ALGS][4], 4, 40))
variant("algorithms-aes128.bin", lambda fs: struct.pack_into("<H", fs[ALGS][4], 42, 0x01))
variant("digests-no-slot0.bin", set_byte(DIGESTS, 3, 0x02))
variant("certificate-flipped-byte.bin", set_byte(CERTS[1], 100, F[CERTS[1]][4][100] ^ 0x01))
variant("certificate-zero-portion.bin", lambda fs: struct.pack_into("<H", fs[CERTS[0]][4], 4, 0))


def flipped_chain_with_digest(fs):
    """a certificate byte changed and DIGESTS made to name the changed chain: the chain itself must fail"""
    fs[CERTS[-1]][4][200] ^= 0x01
    chain = b"".join(bytes(fs[i][4][8:]) for i in CERTS)
    fs[DIGESTS][4][4:52] = hashlib.sha384(chain).digest()


variant("certificate-flipped-digest-updated.bin", flipped_chain_with_digest)
variant("key-exchange-trailing-byte.bin", lambda fs: fs[KEX][4].append(0))
variant("key-exchange-truncated.bin", lambda fs: fs[KEX].__setitem__(4, fs[KEX][4][:-1]))
variant("key-exchange-mutual-auth.bin", set_byte(KEX, 6, 1))
variant("transport-error-frame.bin",
        lambda fs: fs.__setitem__(0, [1, 0x7F, 0, 0, bytearray(struct.pack("<I", 108) + b"device refused")]))
variant("wrong-frame-type.bin", lambda fs: fs[0].__setitem__(1, 0x11))
variant("frame-version-2.bin", lambda fs: fs[0].__setitem__(0, 2))
variant("wrong-device.bin", lambda fs: fs[CAPS].__setitem__(2, 1))
