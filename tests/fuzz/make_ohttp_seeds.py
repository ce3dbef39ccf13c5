#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpora of the prompt-privacy fuzz targets (branch ohttp):
bhttp (RFC 9292 §5's four examples, RFC 9458 Appendix A's request, and
refused variants), ohttp_keys (Appendix A's key configuration as an
application/ohttp-keys list, beside a configuration of an unknown KEM, and
refused variants) and ohttp (Appendix A's encapsulated request and response
and refused variants). Every seed comes from the RFCs' published bytes; the
expected verdicts go to expect/<target>.expect, and the replay test checks
each. Run once; the seeds are committed. Usage: make_ohttp_seeds.py"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

KREQ = bytes.fromhex(
    "0003474554056874747073000a2f68656c6c6f2e747874406c0a757365722d6167656e74346375726c2f372e31362e33206c6962"
    "6375726c2f372e31362e33204f70656e53534c2f302e392e376c207a6c69622f312e322e3304686f73740f7777772e6578616d70"
    "6c652e636f6d0f6163636570742d6c616e677561676506656e2c206d690000")
IREQ = bytes.fromhex(
    "0203474554056874747073000a2f68656c6c6f2e7478740a757365722d6167656e74346375726c2f372e31362e33206c69626375"
    "726c2f372e31362e33204f70656e53534c2f302e392e376c207a6c69622f312e322e3304686f73740f7777772e6578616d706c65"
    "2e636f6d0f6163636570742d6c616e677561676506656e2c206d6900000000000000000000000000")
IRES = bytes.fromhex(
    "0340660772756e6e696e670a22736c65657020313522004067046c696e6b233c2f7374796c652e6373733e3b2072656c3d707265"
    "6c6f61643b2061733d7374796c65046c696e6b243c2f7363726970742e6a733e3b2072656c3d7072656c6f61643b2061733d7363"
    "726970740040c804646174651d4d6f6e2c203237204a756c20323030392031323a32383a353320474d5406736572766572064170"
    "616368650d6c6173742d6d6f6469666965641d5765642c203232204a756c20323030392031393a31353a353620474d5404657461"
    "671422333461613338372d642d3135363865623030220d6163636570742d72616e6765730562797465730e636f6e74656e742d6c"
    "656e67746802353104766172790f4163636570742d456e636f64696e670c636f6e74656e742d747970650a746578742f706c6169"
    "6e003348656c6c6f20576f726c6421204d7920636f6e74656e7420696e636c75646573206120747261696c696e672043524c462e"
    "0d0a0000")
KRES = bytes.fromhex("0140c8001d5468697320636f6e74656e7420636f6e7461696e732043524c462e0d0a0d07747261696c65720474657874")
A_REQUEST = bytes.fromhex("00034745540568747470730b6578616d706c652e636f6d012f")
A_CONFIG = bytes.fromhex("01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e79815500080001000100010003")
A_ENC_REQUEST = bytes.fromhex(
    "010020000100014b28f881333e7c164ffc499ad9796f877f4e1051ee6d31bad19dec96c208b4726374e469135906992e1268c5"
    "94d2a10c695d858c40a026e7965e7d86b83dd440b2c0185204b4d63525")
A_ENC_RESPONSE = bytes.fromhex("c789e7151fcba46158ca84b04464910d86f9013e404feea014e7be4a441f234f857fbd")


def flip(b, i):
    b = bytearray(b)
    b[i] ^= 0x01
    return bytes(b)


def listed(*configs):
    return b"".join(len(c).to_bytes(2, "big") + c for c in configs)


SEEDS = {
    "bhttp": [
        ("rfc9292-known-request.bin", KREQ, "OK"),
        ("rfc9292-indeterminate-request.bin", IREQ, "OK"),
        ("rfc9292-informational-response.bin", IRES, "OK"),
        ("rfc9292-chunked-response.bin", KRES, "OK"),
        ("rfc9458-request.bin", A_REQUEST, "OK"),
        ("cut-in-header.bin", KREQ[:60], "ERR_TRUNCATED"),
        ("upper-case-name.bin", KREQ[:26] + b"U" + KREQ[27:], "ERR_MALFORMED"),
        ("framing-4.bin", b"\x04" + KREQ[1:], "ERR_UNSUPPORTED"),
        ("nonzero-padding.bin", IREQ[:-1] + b"\x01", "ERR_TRAILING_DATA"),
        ("status-99.bin", b"\x01\x40\x63\x00\x00\x00", "ERR_MALFORMED"),
        ("no-final-status.bin", IRES[:20], "ERR_TRUNCATED"),
    ],
    "ohttp_keys": [
        ("rfc9458-config.bin", listed(A_CONFIG), "OK"),
        ("unknown-kem-beside.bin", listed(A_CONFIG[:1] + b"\x00\x99" + A_CONFIG[3:], A_CONFIG), "OK"),
        ("unknown-kem-only.bin", listed(A_CONFIG[:1] + b"\x00\x99" + A_CONFIG[3:]), "ERR_UNSUPPORTED"),
        ("cut.bin", listed(A_CONFIG)[:-1], "ERR_TRUNCATED"),
        ("algs-length-7.bin", listed(A_CONFIG[:35] + b"\x00\x07" + A_CONFIG[37:]), "ERR_MALFORMED"),
        ("trailing-byte.bin", listed(A_CONFIG + b"\x00"), "ERR_TRAILING_DATA"),
    ],
    "ohttp": [
        ("rfc9458-request.bin", b"\x00" + A_ENC_REQUEST, "OK"),
        ("request-tag-flipped.bin", b"\x00" + flip(A_ENC_REQUEST, len(A_ENC_REQUEST) - 1), "ERR_MAC"),
        ("request-key-id-2.bin", b"\x00" + b"\x02" + A_ENC_REQUEST[1:], "ERR_OHTTP_KEY"),
        ("request-aead-3.bin", b"\x00" + A_ENC_REQUEST[:6] + b"\x03" + A_ENC_REQUEST[7:], "ERR_OHTTP_KEY"),
        ("request-cut-enc.bin", b"\x00" + A_ENC_REQUEST[:20], "ERR_TRUNCATED"),
        ("rfc9458-response.bin", b"\x01" + A_ENC_RESPONSE, "OK"),
        ("response-flipped.bin", b"\x01" + flip(A_ENC_RESPONSE, 17), "ERR_MAC"),
        ("response-nonce-flipped.bin", b"\x01" + flip(A_ENC_RESPONSE, 3), "ERR_MAC"),
        ("response-cut.bin", b"\x01" + A_ENC_RESPONSE[:20], "ERR_TRUNCATED"),
    ],
}


def main():
    for target, seeds in SEEDS.items():
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        lines = ["# expected verdict of each seed of fuzz target %s (written by make_ohttp_seeds.py from the RFCs' "
                 "published bytes)" % target]
        for name, data, verdict in sorted(seeds):
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
            lines.append("%s %s" % (name, verdict))
        with open(os.path.join(HERE, "expect", target + ".expect"), "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
