#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# embed_text.py IN OUT NAME: writes a C header defining `static const char NAME[]` holding IN's text.
import json
import sys

src, out, name = sys.argv[1], sys.argv[2], sys.argv[3]
with open(src, encoding="ascii") as f:
    text = f.read()
with open(out, "w", encoding="ascii") as f:
    f.write("/* generated from %s */\n" % src.split("/")[-1])
    f.write("static const char %s[] = %s;\n" % (name, json.dumps(text)))
