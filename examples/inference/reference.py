#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The model owner's plaintext side of the inference example, written apart
from the C code on purpose: an independent implementation to check the GPU's
answers against.

  reference.py weights SHAPE OUT [ROW-HEX]
      random int8 weights (-8..8) for SHAPE ("ROWSxCOLS/SHIFT,..."), raw, to
      OUT; with ROW-HEX, layer 0's first row is those bytes (a canary row;
      at most cols bytes, the rest of the row stays random)
  reference.py answer SHAPE WEIGHTS PROMPT-FILE
      the answer ccgpu-inference must give to that prompt, computed in
      plaintext: the input as model.h's model_input makes it, the int8 MLP
      of docs/gpusim-transport.md ("Compute"), the scores as text
      (model_answer: the alphabet at score mod 32)
"""
import os
import sys

ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def shape(s):
    layers = []
    for part in s.split(","):
        dims, _, shift = part.partition("/")
        rows, cols = dims.split("x")
        layers.append((int(rows), int(cols), int(shift or 0)))
    return layers


def weights(spec, out, row_hex=None):
    layers = shape(spec)
    n = sum(r * c for r, c, _ in layers)
    w = bytearray((b % 17 - 8) & 0xFF for b in os.urandom(n))
    if row_hex:
        row = bytes.fromhex(row_hex)
        assert len(row) <= layers[0][1], "the canary row is longer than a row"
        w[: len(row)] = row
    open(out, "wb").write(bytes(w))


def answer(spec, wfile, pfile):
    layers = shape(spec)
    w = open(wfile, "rb").read()
    prompt = open(pfile, "rb").read()
    cols0 = layers[0][1]
    x = [0] * cols0
    for i, b in enumerate(prompt):
        x[i % cols0] ^= b
    x = [v & 0x7F for v in x]
    off = 0
    for li, (rows, cols, shift) in enumerate(layers):
        i8 = lambda b: b - 256 if b > 127 else b
        acc = [sum(i8(w[off + r * cols + c]) * x[c] for c in range(cols)) for r in range(rows)]
        off += rows * cols
        if li + 1 < len(layers):
            x = [min(max(a, 0) >> shift, 127) for a in acc]
        else:
            x = acc
    return "".join(ALPHABET[a & 31] for a in x)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "weights":
        weights(*sys.argv[2:5])
    elif len(sys.argv) == 5 and sys.argv[1] == "answer":
        print(answer(*sys.argv[2:5]))
    else:
        sys.exit(__doc__)
