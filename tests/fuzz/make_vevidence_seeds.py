#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the variants of the verifier-evidence fuzz seed corpus/vevidence/valid.json
(a document quoted by swtpm: tests/integration/test_vtee.c with
CCGPU_VTEE_SEED_DIR set writes it and its AK, whose PEM fuzz_vevidence.c holds).
Each variant fails one check of ccg_vevidence_check; expect/vevidence.expect
lists the verdicts."""
import base64, copy, hashlib, json, os

HERE = os.path.dirname(os.path.abspath(__file__))
DIR = os.path.join(HERE, 'corpus', 'vevidence')
LABEL = b'ccgpu-verifier-evidence/v1'


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode()


def thumbprint(jwk):
    """RFC 7638 SHA-256 thumbprint (raw bytes) of an EC JWK."""
    canon = json.dumps({k: jwk[k] for k in ('crv', 'kty', 'x', 'y')}, separators=(',', ':'), sort_keys=True)
    return hashlib.sha256(canon.encode()).digest()


def binding(doc):
    return hashlib.sha384(LABEL + bytes.fromhex(doc['nonce']) + thumbprint(doc['keys']['token']) +
                          thumbprint(doc['keys']['upload'])).hexdigest()


def put(name, doc):
    with open(os.path.join(DIR, name), 'w') as f:
        f.write(doc if isinstance(doc, str) else json.dumps(doc, separators=(',', ':')))


with open(os.path.join(DIR, 'valid.json')) as f:
    text = f.read()
valid = json.loads(text)
assert binding(valid) == valid['binding'], 'the binding as docs/protocols.md defines it'


def variant(edit):
    d = copy.deepcopy(valid)
    edit(d)
    return d


put('nonce-other.json', variant(lambda d: d.update(nonce='ff' + d['nonce'][2:])))
put('binding-flipped.json', variant(lambda d: d.update(binding=('0' if d['binding'][0] != '0' else '1') + d['binding'][1:])))


def replace_upload(d, rebind):
    # the token key's point as the upload key: a valid P-384 key the quote did not bind
    u = d['keys']['upload']
    u['x'], u['y'] = d['keys']['token']['x'], d['keys']['token']['y']
    u['kid'] = b64url(thumbprint(u))
    if rebind:
        d['binding'] = binding(d)


put('upload-replaced.json', variant(lambda d: replace_upload(d, False)))
put('upload-rebound.json', variant(lambda d: replace_upload(d, True)))
put('keys-swapped.json', variant(lambda d: d['keys'].update(token=d['keys']['upload'], upload=d['keys']['token'])))
put('token-x5c.json', variant(lambda d: d['keys']['token'].update(x5c=['AAAA'])))
put('token-kid-other.json', variant(lambda d: d['keys']['token'].update(kid=d['keys']['upload']['kid'])))
put('version-2.json', variant(lambda d: d.update({'ccgpu-verifier-evidence': 2})))
put('extra-member.json', variant(lambda d: d.update(extra=1)))
put('cpu-missing.json', variant(lambda d: d.pop('cpu')))


def flip_sig(d):
    s = d['cpu']['quote']['signature']
    d['cpu']['quote']['signature'] = s[:-2] + ('00' if s[-2:] != '00' else '01')


def change_pcr(d):
    d['cpu']['quote']['pcrs'][0] = 'ab' * 32


put('quote-signature-flipped.json', variant(flip_sig))
put('pcr-changed.json', variant(change_pcr))
put('truncated.json', text[:len(text) // 2])
put('not-json.json', 'ccgpu-verifier-evidence')
