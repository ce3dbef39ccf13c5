#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the synthetic seed corpora of the fuzz targets for the JSON
documents ccgpu reads from outside: composite, cpu_evidence, tpm_quote,
claims, policy_import, rim_service, tdx_collateral and snp_vcek. Seeds are built here
from the documented layouts (docs/protocols.md, docs/cpu-attestation.md,
NVIDIA's and Azure's policy formats); no real evidence is copied (real files
are replayed from shared testdata, see fuzz_testdata in meson.build).

TPM quotes are signed with the test keys in keys/ (made once with
`openssl genpkey`; they are fuzzing fixtures, trusted nowhere else): the
RSA key is the attestation key the cpu_evidence and composite targets trust
(fuzz_support.c holds its public half), the P-256 key signs ECDSA quotes
that carry their own key. Needs python3-cryptography. Run once; the seeds are
committed, with their expected verdicts in expect/<target>.expect.
Usage: make_parser_seeds.py [TARGET...]"""
import base64
import hashlib
import json
import os
import struct
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

HERE = os.path.dirname(os.path.abspath(__file__))
# the nonce the composite target's verifier expects (fuzz_composite.c)
NONCE = bytes(range(32))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def js(o):
    return json.dumps(o, separators=(",", ":"))


def b64(b):
    return base64.b64encode(b).decode()


def key(name):
    with open(os.path.join(HERE, "keys", name), "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


RSA_AK, EC_AK = key("tpm-ak.pem"), key("tpm-ak-ec.pem")


def spki(k):
    return k.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


# ---------- TPM quotes (TPM 2.0 Part 2: TPMS_ATTEST, TPMT_SIGNATURE) ----------

PCRS = [hashlib.sha256(b"pcr %d" % i).digest() for i in range(24)]


def attest(extra, pcrs=PCRS, mask=0xFFFFFF, digest=None):
    sel = [i for i in range(24) if mask >> i & 1]
    if digest is None:
        digest = hashlib.sha256(b"".join(pcrs[i] for i in sel)).digest()
    a = struct.pack(">IH", 0xFF544347, 0x8018)
    a += struct.pack(">H", 34) + b"\x00\x0b" + bytes(32)
    a += struct.pack(">H", len(extra)) + extra
    a += struct.pack(">QIIB", 1000, 1, 0, 1)
    a += struct.pack(">Q", 0x2020031200120003)
    a += struct.pack(">I", 1) + struct.pack(">HB", 0x000B, 3) + mask.to_bytes(3, "little")
    a += struct.pack(">H", len(digest)) + digest
    return a


def tpmt_signature(k, msg):
    if isinstance(k, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(k.sign(msg, ec.ECDSA(hashes.SHA256())))
        r, s = r.to_bytes(32, "big"), s.to_bytes(32, "big")
        return struct.pack(">HHH", 0x0018, 0x000B, 32) + r + struct.pack(">H", 32) + s
    sig = k.sign(msg, padding.PKCS1v15(), hashes.SHA256())
    return struct.pack(">HHH", 0x0014, 0x000B, len(sig)) + sig


def quote(k, extra, pcrs=PCRS, **kw):
    msg = attest(extra, pcrs, **kw)
    return {"message": msg.hex(), "signature": tpmt_signature(k, msg).hex(), "pcrs": [p.hex() for p in pcrs]}


def tpm_quote_seeds():
    q = quote(RSA_AK, b"challenge")
    put("tpm_quote", "rsa-valid.json", js(q))
    put("tpm_quote", "rsa-base64.json", js(dict(q, message=b64(bytes.fromhex(q["message"])),
                                                signature=b64(bytes.fromhex(q["signature"])))))
    bad = bytearray(bytes.fromhex(q["signature"]))
    bad[-1] ^= 1
    put("tpm_quote", "rsa-bad-signature.json", js(dict(q, signature=bad.hex())))
    put("tpm_quote", "rsa-pcr-changed.json", js(dict(q, pcrs=[PCRS[0][::-1].hex()] + q["pcrs"][1:])))
    put("tpm_quote", "rsa-bare-signature.json",
        js(dict(q, signature=RSA_AK.sign(bytes.fromhex(q["message"]), padding.PKCS1v15(), hashes.SHA256()).hex())))
    put("tpm_quote", "pcrs-sha1.json", js(dict(q, pcrs=[p[:20].hex() for p in PCRS])))
    put("tpm_quote", "pcrs-mixed-sizes.json", js(dict(q, pcrs=[PCRS[0].hex(), PCRS[1][:20].hex()])))
    put("tpm_quote", "no-pcrs.json", js(dict(q, pcrs=[])))
    put("tpm_quote", "not-object.json", "[1,2]")
    put("tpm_quote", "message-not-hex.json", js(dict(q, message="zz")))
    e = quote(EC_AK, bytes(64))
    put("tpm_quote", "ecdsa-own-key.json", js({"ak_public": b64(spki(EC_AK)), "tpm_quote": e}))
    sig = bytes.fromhex(e["signature"])
    put("tpm_quote", "ecdsa-truncated-signature.json",
        js({"ak_public": b64(spki(EC_AK)), "tpm_quote": dict(e, signature=sig[:-5].hex())}))
    put("tpm_quote", "ecdsa-trailing-signature.json",
        js({"ak_public": b64(spki(EC_AK)), "tpm_quote": dict(e, signature=(sig + b"\x00").hex())}))
    put("tpm_quote", "ecdsa-unknown-scheme.json",
        js({"ak_public": b64(spki(EC_AK)), "tpm_quote": dict(e, signature=("0099" + e["signature"][4:]))}))
    put("tpm_quote", "ecdsa-with-rsa-key.json", js({"ak_public": b64(spki(RSA_AK)), "tpm_quote": e}))
    return q


# ---------- CPU evidence objects (docs/cpu-attestation.md) ----------

def snp_report(report_data=bytes(64)):
    b = bytearray(1184)
    struct.pack_into("<IIQ", b, 0, 2, 1, 0x30000)
    struct.pack_into("<I", b, 0x34, 1)
    b[0x50:0x90] = report_data
    struct.pack_into("<Q", b, 0x180, 0x4400000000000302)
    b[0x2A0] = 1
    b[0x2A0 + 72] = 1
    return bytes(b)


def tdx_quote():
    pem = b"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"
    hdr = struct.pack("<HHIHH", 4, 2, 0x81, 0, 0) + b"\x93\x9a\x72\x33" + bytes(12) + bytes(20)
    qe = bytes(384) + bytes(64) + struct.pack("<H", 32) + bytes(32) + struct.pack("<HI", 5, len(pem)) + pem
    sig = bytes(64) + bytes(64) + struct.pack("<HI", 6, len(qe)) + qe
    return hdr + bytes(584) + struct.pack("<I", len(sig)) + sig


# AMD's public Genoa ASK and ARK (tests/data/amd; not evidence): a chain that ends in a pinned ARK
# (the ASK twice: in the VCEK's place too, so the chain has its three certificates)
CERT_PEM = "".join(open(os.path.join(HERE, "..", "data", "amd", "genoa", n)).read() for n in ("ask.pem", "ask.pem", "ark.pem"))


def cpu_seeds():
    tpm = {"type": "tpm", "ak_public": b64(spki(RSA_AK)), "quote": quote(RSA_AK, b"challenge")}
    put("cpu_evidence", "tpm-trusted-ak.json", js(tpm))
    put("cpu_evidence", "tpm-file-layout.json", js({"ak_public": tpm["ak_public"], "tpm_quote": tpm["quote"]}))
    put("cpu_evidence", "tpm-untrusted-ak.json",
        js({"type": "tpm", "ak_public": b64(spki(EC_AK)), "quote": quote(EC_AK, b"challenge")}))
    put("cpu_evidence", "tpm-pcr-digest-wrong.json",
        js(dict(tpm, quote=quote(RSA_AK, b"challenge", digest=bytes(32)))))
    put("cpu_evidence", "tpm-ak-not-der.json", js(dict(tpm, ak_public=b64(b"\x30\x03\x02\x01\x01"))))
    put("cpu_evidence", "tpm-no-quote.json", js({"type": "tpm", "ak_public": tpm["ak_public"]}))
    put("cpu_evidence", "snp-synthetic.json", js({"type": "snp", "report": b64(snp_report()), "certs": CERT_PEM}))
    put("cpu_evidence", "snp-short-report.json",
        js({"type": "snp", "report": b64(snp_report()[:600]), "certs": CERT_PEM}))
    put("cpu_evidence", "snp-no-certs.json", js({"type": "snp", "report": b64(snp_report())}))
    put("cpu_evidence", "tdx-synthetic.json", js({"type": "tdx", "quote": b64(tdx_quote())}))
    put("cpu_evidence", "azure-short-hcl.json",
        js({"type": "azure-snp-vtpm", "hcl_report": b64(b"HCLA" + bytes(60)), "certs": CERT_PEM,
            "quote": tpm["quote"]}))
    put("cpu_evidence", "unknown-type.json", js({"type": "sgx"}))
    put("cpu_evidence", "no-type.json", js({"report": "AA=="}))
    put("cpu_evidence", "not-object.json", '"tpm"')
    put("cpu_evidence", "not-json.json", '{"type":"tpm",')
    return tpm


# ---------- composite documents (docs/protocols.md, "Composite evidence") ----------

def composite_seeds(tpm):
    import make_seeds
    rep = make_seeds.synthetic_report(1)
    rep = rep[:4] + NONCE + rep[36:]  # the request's nonce is the composite nonce
    gpu = js([{"arch": "HOPPER", "nonce": NONCE.hex(), "evidence": b64(rep),
               "certificate": b64(CERT_PEM.encode())}]).encode()
    tee_pub = spki(EC_AK)

    def binding(pub, gpu_bytes):
        return hashlib.sha512(NONCE + pub + hashlib.sha384(gpu_bytes).digest()).digest()

    def doc(cpu, nonce=NONCE, pub=tee_pub, gpu_bytes=gpu, version=1):
        return js({"ccgpu-composite": version, "nonce": nonce.hex(), "tee_public_key": b64(pub),
                   "gpu_evidence": b64(gpu_bytes), "cpu": cpu})

    bound = dict(tpm, quote=quote(RSA_AK, binding(tee_pub, gpu)))
    put("composite", "tpm-bound-gpu-unsigned.json", doc(bound))
    put("composite", "tpm-bound-gpu-not-json.json",
        doc(dict(tpm, quote=quote(RSA_AK, binding(tee_pub, b"not json"))), gpu_bytes=b"not json"))
    put("composite", "tpm-not-bound.json", doc(tpm))
    put("composite", "tpm-bound-other-key.json", doc(bound, pub=spki(RSA_AK)))
    put("composite", "tpm-untrusted-ak.json",
        doc({"type": "tpm", "ak_public": b64(spki(EC_AK)), "quote": quote(EC_AK, binding(tee_pub, gpu))}))
    put("composite", "other-nonce.json", doc(bound, nonce=bytes(32)))
    put("composite", "version-2.json", doc(bound, version=2))
    put("composite", "snp.json", doc({"type": "snp", "report": b64(snp_report(binding(tee_pub, gpu))),
                                      "certs": CERT_PEM}))
    put("composite", "no-cpu.json", js({"ccgpu-composite": 1, "nonce": NONCE.hex(), "tee_public_key": b64(tee_pub),
                                        "gpu_evidence": b64(gpu)}))
    put("composite", "no-type.json", doc({"report": "AA=="}))
    put("composite", "gpu-not-base64.json", doc(bound).replace('"gpu_evidence":"', '"gpu_evidence":"*'))
    put("composite", "not-object.json", "[]")


# ---------- claims documents (the input of ccg_policy_eval) ----------

def claims_seeds():
    gpu = {"measres": "success", "x-nvidia-gpu-attestation-report-signature-verified": True,
           "x-nvidia-gpu-driver-version": "550.90.07", "secboot": True, "dbgstat": "disabled",
           "x-nvidia-gpu-attestation-report-cert-chain": {"x-nvidia-cert-expiration-date": "2030-01-01T00:00:00Z"}}
    top = {"x-nvidia-overall-att-result": True, "eat_nonce": "00ff", "iat": 5, "ccgpu-gpu-count": 1}
    put("claims", "allow.json", js(dict(top, submods={"GPU-0": gpu})))
    put("claims", "deny-measres.json", js(dict(top, submods={"GPU-0": dict(gpu, measres="fail")})))
    put("claims", "deny-old-driver.json", js(dict(top, submods={"GPU-0": dict(gpu, **{
        "x-nvidia-gpu-driver-version": "535.1"})})))
    put("claims", "expired-chain.json", js(dict(top, submods={"GPU-0": dict(gpu, **{
        "x-nvidia-gpu-attestation-report-cert-chain": {"x-nvidia-cert-expiration-date": "2020-01-01T00:00:00Z"}})})))
    put("claims", "wrong-types.json", js(dict(top, iat=True, submods={"GPU-0": dict(gpu, secboot="yes")})))
    put("claims", "time-as-text.json", js(dict(top, iat="5", submods={"GPU-0": gpu})))
    put("claims", "cpu-tdx.json", js(dict(top, submods={"GPU-0": gpu}, **{"ccgpu-cpu-tee": "tdx"})))
    put("claims", "cpu-unknown-tee.json", js(dict(top, submods={"GPU-0": gpu}, **{"ccgpu-cpu-tee": "sgx"})))
    put("claims", "seventeen-gpus.json", js(dict(top, submods={"GPU-%d" % i: gpu for i in range(17)})))
    put("claims", "no-submods.json", js(top))
    put("claims", "submods-not-object.json", js(dict(top, submods=[gpu])))
    put("claims", "not-object.json", "[]")
    put("claims", "not-json.json", '{"iat":')


# ---------- policies to import (NVIDIA relying-party JSON, Azure SKR) ----------

def import_seeds():
    nv = {"version": "3.0", "authorization-rules": {"type": "JWT", "overall-claims": {
        "iss": "LOCAL_GPU_VERIFIER", "x-nvidia-overall-att-result": True},
        "detached-claims": {"measres": "success", "x-nvidia-gpu-attestation-report-signature-verified": True}}}
    put("policy_import", "nvidia.json", js(nv))
    put("policy_import", "nvidia-unknown-claim.json",
        js({"version": "3.0", "authorization-rules": {"type": "JWT", "overall-claims": {"x-nvidia-no-such-claim": True},
                                                    "detached-claims": {"measres": "success"}}}))
    put("policy_import", "nvidia-quote-in-value.json",
        js({"version": "3.0", "authorization-rules": {"type": "JWT", "overall-claims": {},
                                                    "detached-claims": {"measres": "a\"b\\c\nd"}}}))
    put("policy_import", "nvidia-float.json",
        js({"version": "3.0", "authorization-rules": {"type": "JWT", "overall-claims": {},
                                                    "detached-claims": {"measres": 1.5}}}))
    skr = {"version": "1.0.0", "anyOf": [{"authority": "https://sharedeus.eus.attest.azure.net", "allOf": [
        {"claim": "x-ms-isolation-tee.x-ms-attestation-type", "equals": "sevsnpvm"},
        {"claim": "x-ms-isolation-tee.x-ms-compliance-status", "equals": "azure-compliant-cvm"}]}]}
    put("policy_import", "azure-skr.json", js(skr))
    put("policy_import", "azure-skr-nested.json", js({"version": "1.0.0", "anyOf": [{"authority": "a", "anyOf": [
        {"allOf": [{"claim": "x-ms-isolation-tee.x-ms-sevsnpvm-is-debuggable", "equals": False}]},
        {"claim": "x-ms-isolation-tee.x-ms-sevsnpvm-guestsvn", "greaterOrEquals": 2}]}]}))
    deep = {"claim": "x-ms-isolation-tee.x-ms-attestation-type", "equals": "sevsnpvm"}
    for _ in range(20):
        deep = {"allOf": [deep]}
    put("policy_import", "azure-skr-too-deep.json", js({"version": "1.0.0", "anyOf": [dict(deep, authority="a")]}))
    put("policy_import", "azure-skr-no-operator.json", js({"version": "1.0.0", "anyOf": [
        {"authority": "a", "claim": "x-ms-isolation-tee.x-ms-attestation-type"}]}))
    put("policy_import", "azure-skr-empty.json", js({"version": "1.0.0", "anyOf": []}))
    put("policy_import", "neither.json", js({"version": "1.0.0"}))
    # text of the input that lands in comments must not end them (regressions found by fuzzing)
    put("policy_import", "nvidia-version-newline.json",
        js(dict(nv, version="3.0\nrule injected \"injected\" { x-nvidia-overall-att-result == false }")))
    put("policy_import", "nvidia-iss-control.json", js({"version": "3.0", "authorization-rules": {
        "type": "JWT", "overall-claims": {"iss": "a\fb"}, "detached-claims": {"measres": "success"}}}))
    put("policy_import", "nvidia-iss-only.json", js({"version": "3.0", "authorization-rules": {
        "type": "JWT", "overall-claims": {"iss": "LOCAL_GPU_VERIFIER"}, "detached-claims": {"x": {}}}}))
    put("policy_import", "azure-authority-newline.json",
        js(dict(skr, anyOf=[dict(skr["anyOf"][0], authority="a\npolicy \"evil\" version 1")])))
    put("policy_import", "nvidia-control-in-value.json",
        js({"version": "3.0", "authorization-rules": {"type": "JWT", "overall-claims": {},
                                                    "detached-claims": {"measres": "a\u0001b"}}}))
    put("policy_import", "not-json.json", "{")


# ---------- NVIDIA RIM service answers ----------

def rim_service_seeds():
    rid = "NV_GPU_DRIVER_GH100_550.144.03"
    with open(os.path.join(HERE, "corpus", "rim", "minimal.xml"), "rb") as f:
        xml = f.read()
    ans = {"id": rid, "rim": b64(xml), "rim_format": "TCG", "sha256": hashlib.sha256(xml).hexdigest()}
    put("rim_service", "answer.json", js(ans))
    put("rim_service", "answer-upper-hex.json", js(dict(ans, sha256=ans["sha256"].upper(), rim_format="xml")))
    put("rim_service", "answer-no-optional.json", js({"rim": ans["rim"]}))
    put("rim_service", "other-id.json", js(dict(ans, id="NV_GPU_DRIVER_GH100_535.1")))
    put("rim_service", "coswid-format.json", js(dict(ans, rim_format="CoSWID")))
    put("rim_service", "sha256-mismatch.json", js(dict(ans, sha256=hashlib.sha256(b"x").hexdigest())))
    put("rim_service", "sha256-not-string.json", js(dict(ans, sha256=1)))
    put("rim_service", "rim-not-base64.json", js(dict(ans, rim="*" + ans["rim"])))
    put("rim_service", "rim-not-xml.json", js(dict(ans, rim=b64(b"not xml"), sha256=hashlib.sha256(b"not xml").hexdigest())))
    put("rim_service", "no-rim.json", js({"id": rid}))
    put("rim_service", "not-object.json", "[]")


# ---------- Intel PCS TDX collateral bodies ----------

def tdx_collateral_seeds():
    level = {"tcb": {"sgxtcbcomponents": [{"svn": 2}] * 16, "pcesvn": 11,
                     "tdxtcbcomponents": [{"svn": 3}] * 16}, "tcbDate": "2024-03-13T00:00:00Z", "tcbStatus": "UpToDate"}
    ti = {"id": "TDX", "version": 3, "issueDate": "2026-01-01T00:00:00Z", "nextUpdate": "2026-03-01T00:00:00Z",
          "fmspc": "00806f050000", "pceId": "0000", "tcbType": 0, "tcbEvaluationDataNumber": 17,
          "tdxModule": {"mrsigner": "00" * 48, "attributes": "0000000000000000",
                        "attributesMask": "FFFFFFFFFFFFFFFF"}, "tcbLevels": [level]}
    put("tdx_collateral", "tcbinfo-unsigned.json", '{"tcbInfo":' + js(ti) + ',"signature":"' + "00" * 64 + '"}')
    put("tdx_collateral", "tcbinfo-short-signature.json", '{"tcbInfo":' + js(ti) + ',"signature":"00"}')
    put("tdx_collateral", "tcbinfo-three-members.json",
        '{"tcbInfo":' + js(ti) + ',"signature":"' + "00" * 64 + '","x":1}')
    put("tdx_collateral", "tcbinfo-not-object.json", '{"tcbInfo":[],"signature":"' + "00" * 64 + '"}')
    put("tdx_collateral", "tcbinfo-spaced.json", '{ "tcbInfo":' + js(ti) + ',"signature":"' + "00" * 64 + '"}')
    qe = {"id": "TD_QE", "version": 2, "issueDate": "2026-01-01T00:00:00Z", "nextUpdate": "2026-03-01T00:00:00Z",
          "tcbEvaluationDataNumber": 17, "miscselect": "00000000", "miscselectMask": "FFFFFFFF",
          "attributes": "11000000000000000000000000000000", "attributesMask": "FBFFFFFFFFFFFFFF0000000000000000",
          "mrsigner": "00" * 32, "isvprodid": 2,
          "tcbLevels": [{"tcb": {"isvsvn": 4}, "tcbDate": "2024-03-13T00:00:00Z", "tcbStatus": "UpToDate"}]}
    put("tdx_collateral", "qeidentity-unsigned.json",
        '{"enclaveIdentity":' + js(qe) + ',"signature":"' + "00" * 64 + '"}')
    put("tdx_collateral", "qeidentity-no-signature.json", '{"enclaveIdentity":' + js(qe) + '}')
    put("tdx_collateral", "not-json.json", '{"tcbInfo":')


# ---------- AMD KDS answers: VCEKs with AMD's extensions (fuzz_snp_vcek.c re-keys and re-signs them
# for the test PKI of tests/support/amd_pki.c, whose chip_id and TCB they name) ----------

def vcek_seeds():
    from cryptography import x509
    from cryptography.x509.oid import NameOID, ObjectIdentifier
    import datetime

    chip = bytes(0xA0 ^ i for i in range(64))  # tests/support/amd_pki.c's chip_id
    spl = {"1": 3, "2": 0, "3": 8, "8": 115}

    def der_int(v):
        b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")
        return bytes([2, len(b)]) + b

    def ia5(s):
        return bytes([0x16, len(s)]) + s.encode()

    def cert(exts):
        k = ec.generate_private_key(ec.SECP384R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SEV-VCEK")])
        b = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(k.public_key())
             .serial_number(1).not_valid_before(datetime.datetime(2020, 1, 1))
             .not_valid_after(datetime.datetime(2045, 1, 1)))
        for oid, val in exts:
            b = b.add_extension(x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.3704." + oid), val),
                                critical=False)
        return b.sign(k, hashes.SHA384()).public_bytes(serialization.Encoding.DER)

    def exts(product="Milan-B0", hwid=chip, over=None, drop=()):
        e = [("1.1", der_int(1)), ("1.2", ia5(product))]
        for n, v in spl.items():
            if n not in drop:
                e.append(("1.3." + n, (over or {}).get(n, der_int(v))))
        if hwid is not None:
            e.append(("1.4", hwid))
        return e

    put("snp_vcek", "vcek-valid.der", cert(exts()))
    put("snp_vcek", "vcek-hwid-in-octet-string.der", cert(exts(hwid=bytes([4, 64]) + chip)))
    put("snp_vcek", "vcek-other-chip.der", cert(exts(hwid=chip[::-1])))
    put("snp_vcek", "vcek-hwid-short.der", cert(exts(hwid=chip[:8])))
    put("snp_vcek", "vcek-no-hwid.der", cert(exts(hwid=None)))
    put("snp_vcek", "vcek-genoa.der", cert(exts(product="Genoa")))
    put("snp_vcek", "vcek-unknown-product.der", cert(exts(product="Naples")))
    put("snp_vcek", "vcek-blspl-4.der", cert(exts(over={"1": der_int(4)})))
    put("snp_vcek", "vcek-snpspl-7.der", cert(exts(over={"3": der_int(7)})))
    put("snp_vcek", "vcek-ucodespl-116.der", cert(exts(over={"8": der_int(116)})))
    put("snp_vcek", "vcek-teespl-missing.der", cert(exts(drop=("2",))))
    put("snp_vcek", "vcek-spl-300.der", cert(exts(over={"1": der_int(300)})))
    put("snp_vcek", "vcek-spl-not-integer.der", cert(exts(over={"1": ia5("3")})))
    put("snp_vcek", "vcek-spl-trailing.der", cert(exts(over={"1": der_int(3) + b"\x00"})))
    put("snp_vcek", "vcek-truncated.der", cert(exts())[:300])
    put("snp_vcek", "vcek-trailing.der", cert(exts()) + b"\x00")
    with open(os.path.join(HERE, "..", "data", "amd", "genoa", "ask.pem"), "rb") as f:
        ask = f.read()
    with open(os.path.join(HERE, "..", "data", "amd", "genoa", "ark.pem"), "rb") as f:
        ark = f.read()
    put("snp_vcek", "chain-genoa.pem", ask + ark)
    put("snp_vcek", "chain-ask-only.pem", ask)
    put("snp_vcek", "chain-reversed.pem", ark + ask)
    put("snp_vcek", "chain-three.pem", ask + ask + ark)


def main():
    only = set(sys.argv[1:])  # target names: write only their corpora (ECDSA signatures differ each run)
    if not only or only & {"tpm_quote", "cpu_evidence", "composite"}:
        tpm_quote_seeds()
        composite_seeds(cpu_seeds())
    for name, fn in (("claims", claims_seeds), ("policy_import", import_seeds), ("rim_service", rim_service_seeds),
                     ("tdx_collateral", tdx_collateral_seeds), ("snp_vcek", vcek_seeds)):
        if not only or name in only:
            fn()


if __name__ == "__main__":
    main()
