#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Prints the verdicts a built replay program gives a target's seeds, in the
manifest format of tests/fuzz/expect/<target>.expect, for writing or updating
a manifest after seeds are added. Every verdict must then be checked by hand
against what the seed was made to test: the manifest is the test's oracle.
Usage: list_verdicts.py BUILDDIR TARGET (CCGPU_TESTDATA set for the real files)"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def testdata_args(target):
    text = open(os.path.join(HERE, "meson.build")).read()
    m = re.search(r"fuzz_testdata = \{(.*?)\n\}", text, re.S)
    for line in m.group(1).strip().splitlines():
        key, value = line.split(":", 1)
        if key.strip().strip("'") == target:
            return re.findall(r"'(testdata:[^']+)'", value)
    return []


def main():
    build, target = sys.argv[1], sys.argv[2]
    args = [os.path.join(build, "tests", "fuzz", "replay-" + target), "--list",
            os.path.join(HERE, "corpus", target)] + testdata_args(target)
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    sys.stdout.write("".join(line + "\n" for line in out.splitlines() if " inputs, " not in line))


if __name__ == "__main__":
    main()
