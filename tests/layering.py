#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The layering test: every #include "..." in the tree against the layer table.

usage: layering.py SOURCE_ROOT            check the tree (TAP on stdout)
       layering.py --self-test            check the checker on small synthetic trees

The table is the one in docs/architecture.md between the lines
"<!-- layers: begin -->" and "<!-- layers: end -->": one row per folder,
bottom up, with the folders (or single headers) it may include besides its
own folder and include/ccgpu/. "may use" is transitive: a folder may include
what the folders it names may include. "*" means anything (tests, bench,
examples). A row whose "public only" column says yes (a client of libccgpu)
may include nothing but include/ccgpu/, its own folder and the headers it
names explicitly; nothing it names is followed further.

Refused:
- an include of a header in a folder the including file's folder may not use
  (a layer above it, or a sibling it does not name);
- an include of a private header (internal.h, *_internal.h, *_int.h) from
  outside the folder that holds it, unless the including folder's row names
  that header (tests, bench and examples aside);
- a header that resolves nowhere (neither beside the file, nor from the
  tree's root, nor under include/) outside tests, bench and examples;
- a C file in a folder the table does not name;
- a main() outside tools/, tests/, bench/ and examples/ (no library folder
  holds a main).
"""
import os
import re
import sys
import tempfile

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
MAIN_RE = re.compile(r'^\s*int\s+main\s*\(', re.M)
PRIVATE_RE = re.compile(r'(^|_)(internal|int)\.h$')
SKIP_DIRS = {'.git', 'subprojects'}
MAIN_ALLOWED = ('tools/', 'tests/', 'bench/', 'examples/')
PUBLIC = 'include/ccgpu'


def read_table(doc_path):
    """The rows of the layer table: {folder: (uses list, public_only)}."""
    rows = {}
    inside = False
    with open(doc_path, encoding='utf-8') as f:
        for line in f:
            if '<!-- layers: begin -->' in line:
                inside = True
                continue
            if '<!-- layers: end -->' in line:
                break
            if not inside or not line.startswith('|'):
                continue
            cells = [c.strip() for c in line.strip().strip('|').split('|')]
            if len(cells) < 3 or cells[0] in ('folder', '') or set(cells[0]) <= set('-: '):
                continue
            folder = cells[0].strip('`').rstrip('/')
            uses = [u.strip().strip('`').rstrip('/') for u in cells[1].split(',')]
            uses = [u for u in uses if u and u != '—' and u != '-']
            public_only = cells[2].lower().startswith('yes')
            if folder in rows:
                raise ValueError('%s: folder %s twice in the layer table' % (doc_path, folder))
            rows[folder] = (uses, public_only)
    if not rows:
        raise ValueError('%s: no layer table between "<!-- layers: begin -->" and "<!-- layers: end -->"' % doc_path)
    for folder, (uses, _) in rows.items():
        for u in uses:
            if u != '*' and not u.endswith('.h') and u not in rows:
                raise ValueError('layer table: %s uses %s, which has no row' % (folder, u))
    return rows


def owner(rows, path):
    """The longest table folder holding path (a tree-relative file path), or None."""
    best = None
    for folder in rows:
        if path.startswith(folder + '/') and (best is None or len(folder) > len(best)):
            best = folder
    return best


def allowed(rows, folder):
    """What folder may include: a set of folders and single headers (transitive)."""
    uses, public_only = rows[folder]
    if public_only:
        return set(uses)
    out = set()
    todo = list(uses)
    while todo:
        u = todo.pop()
        if u in out:
            continue
        out.add(u)
        if u in rows and not rows[u][1]:
            todo.extend(rows[u][0])
    return out


def resolve(root, src, name):
    """The tree-relative path an include names, or None (the compiler's search: beside, root, include/)."""
    for base in (os.path.dirname(src), '', 'include'):
        cand = os.path.normpath(os.path.join(base, name))
        if not cand.startswith('..') and os.path.isfile(os.path.join(root, cand)):
            return cand
    return None


def c_files(root):
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        dirnames[:] = sorted(d for d in dirnames
                             if d not in SKIP_DIRS and not d.startswith('build')
                             and not (rel == '.' and d.startswith('.')))
        for fn in sorted(filenames):
            if fn.endswith(('.c', '.h')):
                yield os.path.normpath(os.path.join(rel, fn))


def check(root, doc=None):
    """A list of (file, message) for every violation in the tree at root."""
    rows = read_table(doc or os.path.join(root, 'docs', 'architecture.md'))
    bad = []
    for src in c_files(root):
        folder = owner(rows, src)
        if folder is None:
            bad.append((src, 'its folder is not in the layer table of docs/architecture.md'))
            continue
        uses, public_only = rows[folder]
        anything = '*' in uses
        ok_set = allowed(rows, folder)
        with open(os.path.join(root, src), encoding='utf-8', errors='replace') as f:
            text = f.read()
        if src.endswith('.c') and MAIN_RE.search(text) and not src.startswith(MAIN_ALLOWED):
            bad.append((src, 'defines main() outside tools/, tests/, bench/, examples/'))
        for lineno, line in enumerate(text.splitlines(), 1):
            m = INCLUDE_RE.match(line)
            if m is None:
                continue
            name = m.group(1)
            where = '%s:%d' % (src, lineno)
            target = resolve(root, src, name)
            if target is None:
                # generated in the build tree (e.g. verifier/default_policy.h): judged by its spelling
                if anything or '/' not in name:
                    continue
                target = os.path.normpath(name)
            tfolder = PUBLIC if target.startswith(PUBLIC + '/') else owner(rows, target)
            if PRIVATE_RE.search(os.path.basename(target)) and os.path.dirname(target) != os.path.dirname(src) \
                    and not anything and target not in ok_set:
                bad.append((where, '"%s" is private to %s/' % (name, os.path.dirname(target))))
                continue
            if anything or tfolder == PUBLIC or tfolder == folder or target in ok_set:
                continue
            if tfolder is None:
                bad.append((where, '"%s" is in no folder of the layer table' % name))
            elif tfolder not in ok_set:
                if public_only:
                    why = 'a client of the public API' + (' and of %s only' % ', '.join(uses) if uses else '')
                else:
                    why = 'its layer may not use %s/' % tfolder
                bad.append((where, '"%s" from %s/: %s' % (name, folder, why)))
    return bad


def run(root):
    try:
        bad = check(root)
    except (OSError, ValueError) as e:
        print('1..1\nnot ok 1 - layer table\n# %s' % e)
        return 1
    print('1..1')
    if bad:
        print('not ok 1 - every #include follows the layer table (%d violations)' % len(bad))
        for where, msg in bad:
            print('# %s: %s' % (where, msg))
        return 1
    print('ok 1 - every #include follows the layer table')
    return 0


SELF_TABLE = """\
<!-- layers: begin -->
| folder | may use | public only |
|---|---|---|
| include/ccgpu | — | no |
| common | — | no |
| attest/pki | common | no |
| attest/gpu | attest/pki | no |
| attest/cpu | attest/pki | no |
| lib | attest/gpu, common/named_internal.h | no |
| tools/cli | tee/collect.h | yes |
| tools/daemon | tee | yes |
| tee | lib | no |
| tests | * | no |
<!-- layers: end -->
"""

GOOD = {
    'include/ccgpu/status.h': '',
    'common/cursor.h': '#include "ccgpu/status.h"\n',
    'common/internal.h': '',
    'common/named_internal.h': '',
    'common/cursor.c': '#include "common/cursor.h"\n#include "common/internal.h"\n#include "internal.h"\n',
    'attest/pki/chain.h': '#include "common/cursor.h"\n',
    'attest/gpu/rim.h': '#include "attest/pki/chain.h"\n',
    'attest/gpu/rim.c': '#include "attest/gpu/rim.h"\n#include "common/cursor.h"\n',
    'attest/cpu/snp.h': '#include "attest/pki/chain.h"\n',
    'lib/x.c': '#include "attest/gpu/rim.h"\n#include "common/cursor.h"\n#include "lib/gen.h"\n'
               '#include "common/named_internal.h"\n',
    'tee/collect.h': '',
    'tee/collect.c': '#include "lib/x.h"\n#include "tee/collect.h"\n',
    'tools/cli/cli.h': '',
    'tools/cli/main.c': '#include "ccgpu/status.h"\n#include "cli.h"\n#include "tee/collect.h"\nint main(void)\n',
    'tools/daemon/main.c': '#include "ccgpu/status.h"\n#include "tee/collect.h"\nint main(void)\n',
    'tests/t.c': '#include "common/internal.h"\n#include "tee/collect.h"\n#include "support.h"\nint main(void)\n',
}

# each: (what it shows, file, content) added to GOOD; each must be refused
BAD = [
    ('a layer including one above it', 'common/up.c', '#include "attest/pki/chain.h"\n'),
    ('a sibling layer it does not name', 'attest/gpu/side.c', '#include "attest/cpu/snp.h"\n'),
    ('a header of a layer above (transitively unnamed)', 'attest/pki/up.c', '#include "lib/x.h"\n'),
    ('a CLI including an internal header', 'tools/cli/bad.c', '#include "common/cursor.h"\n'),
    ('a CLI including a library header', 'tools/cli/bad.c', '#include "attest/gpu/rim.h"\n'),
    ('a layer\'s program including common/ (below its own layer)', 'tools/daemon/bad.c', '#include "common/cursor.h"\n'),
    ('a layer\'s program including a header its layer uses', 'tools/daemon/bad.c', '#include "lib/x.h"\n'),
    ('a private header from another folder', 'lib/priv.c', '#include "common/internal.h"\n'),
    ('a header that is nowhere', 'lib/lost.c', '#include "nowhere/lost.h"\n'),
    ('a folder the table does not name', 'newdir/a.c', '#include "common/cursor.h"\n'),
    ('a main() in a library folder', 'lib/main.c', '#include "common/cursor.h"\nint main(int argc, char **argv)\n'),
]


def self_test():
    n = 1 + len(BAD)
    print('1..%d' % n)
    failed = 0

    def tree(extra):
        d = tempfile.mkdtemp(prefix='layering-')
        files = dict(GOOD)
        files['lib/x.h'] = '#include "attest/gpu/rim.h"\n'
        files.update(extra)
        for path, text in files.items():
            full = os.path.join(d, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, 'w', encoding='utf-8') as f:
                f.write(text)
        os.makedirs(os.path.join(d, 'docs'), exist_ok=True)
        with open(os.path.join(d, 'docs', 'architecture.md'), 'w', encoding='utf-8') as f:
            f.write('# x\n\n' + SELF_TABLE)
        return d

    bad = check(tree({}))
    if bad:
        failed += 1
        print('not ok 1 - a tree that follows the table passes')
        for where, msg in bad:
            print('# %s: %s' % (where, msg))
    else:
        print('ok 1 - a tree that follows the table passes')
    for i, (what, path, text) in enumerate(BAD, 2):
        found = [b for b in check(tree({path: text})) if b[0].split(':')[0] == path]
        if found:
            print('ok %d - refused: %s (%s)' % (i, what, found[0][1]))
        else:
            failed += 1
            print('not ok %d - not refused: %s' % (i, what))
    return 1 if failed else 0


if __name__ == '__main__':
    if len(sys.argv) == 2 and sys.argv[1] == '--self-test':
        sys.exit(self_test())
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        sys.exit(2)
    sys.exit(run(sys.argv[1]))
