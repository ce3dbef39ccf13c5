#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Looks for canaries in files (branch inference, the whole-story test).

usage: canary_scan.py CANARIES PATH...

CANARIES holds one canary per line, "NAME HEX" (the canary's bytes in hex).
Each PATH is a file or a directory (searched recursively). Every canary is
looked for in every file in each of its forms: the raw bytes, lower- and
upper-case hex, and base64 and base64url at each of the three alignments it
can have inside a longer encoding (the characters that depend on the canary's
bytes alone). Prints one line per hit, "NAME FORM PATH", and the number of
files and bytes read on stderr. Exit status: 1 when any canary was found, 0
when none, 2 on usage errors or when no byte was read at all (a scan of
nothing proves nothing).
"""
import base64
import os
import sys


def forms(c):
    out = [("raw", c), ("hex", c.hex().encode()), ("HEX", c.hex().upper().encode())]
    for k in range(3):
        for name, enc in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
            e = enc(b"\0" * k + c)
            # the first group holds the k prefix bytes, the last may hold padding: keep what lies between
            inner = e[4:-4]
            if len(inner) >= 8:
                out.append(("%s@%d" % (name, k), inner))
    return out


def files(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                for n in sorted(names):
                    yield os.path.join(root, n)
        else:
            yield p


def main():
    if len(sys.argv) < 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    canaries = []
    for line in open(sys.argv[1]):
        if line.strip():
            name, hx = line.split()
            canaries.append((name, forms(bytes.fromhex(hx))))
    hits, n_files, n_bytes = 0, 0, 0
    for f in files(sys.argv[2:]):
        if not os.path.isfile(f):  # a socket, a FIFO: nothing kept there
            continue
        try:
            with open(f, "rb") as fh:
                data = fh.read()
        except OSError as e:
            print("canary_scan: cannot read %s: %s" % (f, e), file=sys.stderr)
            return 2
        n_files += 1
        n_bytes += len(data)
        for name, fs in canaries:
            for form, b in fs:
                if b in data:
                    print("%s %s %s" % (name, form, f))
                    hits += 1
    print("canary_scan: %d canaries, %d files, %d bytes read, %d hits" % (len(canaries), n_files, n_bytes, hits),
          file=sys.stderr)
    if n_bytes == 0:
        return 2
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
