#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""What an operator with the verifier's SQLite database can do to the release
log (verifier/log.h's store layout, RFC 9162 hashing), for the party tests:

  oplog.py DB append N          append N entries, every table consistent (as the daemon would)
  oplog.py DB rewrite WHICH     change one entry (WHICH: an index, or the first entry of that
                                "type") and rebuild every leaf, node and hash row to match: a
                                self-consistent forged history the daemon serves without complaint
  oplog.py DB edit INDEX TEXT   overwrite one entry row in place (UPDATE), nothing else

Layout: records(tbl, key, value): log.entry %016x -> entry; log.node %02u.%016x ->
hash of the complete subtree of 2^level leaves at that index; log.hash hex(leaf) ->
first index (decimal); log.meta size -> decimal.
"""
import hashlib
import json
import sqlite3
import sys


def h(b):
    return hashlib.sha256(b).digest()


def entries_of(db):
    rows = dict(db.execute("SELECT key, value FROM records WHERE tbl = 'log.entry'").fetchall())
    return [bytes(rows["%016x" % i]) for i in range(len(rows))]


def rebuild(db, entries):
    db.execute("DELETE FROM records WHERE tbl LIKE 'log.%'")
    level = [h(b"\0" + e) for e in entries]
    for i, (e, leaf) in enumerate(zip(entries, level)):
        db.execute("INSERT INTO records VALUES ('log.entry', ?, ?)", ("%016x" % i, e))
        db.execute("INSERT OR IGNORE INTO records VALUES ('log.hash', ?, ?)", (leaf.hex(), str(i).encode()))
    depth = 0
    while level:
        for i, node in enumerate(level):
            db.execute("INSERT INTO records VALUES ('log.node', ?, ?)", ("%02u.%016x" % (depth, i), node))
        level = [h(b"\1" + level[2 * i] + level[2 * i + 1]) for i in range(len(level) // 2)]
        depth += 1
    db.execute("INSERT INTO records VALUES ('log.meta', 'size', ?)", (str(len(entries)).encode(),))


def main(argv):
    db = sqlite3.connect(argv[1])
    entries = entries_of(db)
    if argv[2] == "append":
        for i in range(int(argv[3])):
            n = len(entries)
            entries.append(json.dumps({"type": "upload", "contract": "ops", "secret": "s%d" % n, "version": 1,
                                       "by": "acme", "time": 1795305600 + n}, separators=(",", ":")).encode())
    elif argv[2] == "rewrite":
        which = argv[3]
        idx = int(which) if which.isdigit() else next(
            i for i, e in enumerate(entries) if json.loads(e).get("type") == which)
        j = json.loads(entries[idx])
        j["to" if "to" in j else "by"] = "rewritten-by-the-operator"
        entries[idx] = json.dumps(j, separators=(",", ":")).encode()
    elif argv[2] == "edit":
        db.execute("UPDATE records SET value = ? WHERE tbl = 'log.entry' AND key = ?",
                   (argv[4].encode(), "%016x" % int(argv[3])))
        db.commit()
        return 0
    else:
        print(__doc__, file=sys.stderr)
        return 2
    rebuild(db, entries)
    db.commit()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
