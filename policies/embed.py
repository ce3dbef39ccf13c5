#!/usr/bin/env python3
# Embeds a text file as a NUL-terminated C char array: embed.py INPUT OUTPUT SYMBOL
# (an array initialiser, not a string literal: ISO C bounds literals at 4095 bytes)
import sys
data = open(sys.argv[1], "rb").read() + b"\0"
with open(sys.argv[2], "w", encoding="ascii") as out:
    out.write("/* generated from %s by embed.py; do not edit */\n" % sys.argv[1].split("/")[-1])
    out.write("extern const char %s[];\n" % sys.argv[3])
    out.write("const char %s[] = {\n" % sys.argv[3])
    for i in range(0, len(data), 16):
        out.write("\t" + ", ".join("0x%02x" % b for b in data[i:i + 16]) + ",\n")
    out.write("};\n")
