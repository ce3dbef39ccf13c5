// Generates the DHKEM(P-384, HKDF-SHA384) / HKDF-SHA384 / AES-256-GCM base-mode vector
// with hpke-js (@hpke/core), an implementation independent of ccgpu's.
import { CipherSuite, DhkemP384HkdfSha384, HkdfSha384, Aes256Gcm } from "@hpke/core";
import { createHash } from "node:crypto";

const hex = (b) => Buffer.from(b).toString("hex");
const unhex = (h) => new Uint8Array(Buffer.from(h, "hex")).buffer;
// fixed ikm: SHA-384 of a label, so anyone can rebuild the vector
const ikm = (label) => new Uint8Array(createHash("sha384").update(label).digest()).buffer;

const suite = new CipherSuite({ kem: new DhkemP384HkdfSha384(), kdf: new HkdfSha384(), aead: new Aes256Gcm() });
const ikmE = ikm("ccgpu HPKE P-384 vector ikmE"), ikmR = ikm("ccgpu HPKE P-384 vector ikmR");
const info = unhex("4f6465206f6e2061204772656369616e2055726e");
const pt = unhex("4265617574792069732074727574682c20747275746820626561757479");
const rkp = await suite.kem.deriveKeyPair(ikmR);
const ekp = await suite.kem.deriveKeyPair(ikmE);
const sender = await suite.createSenderContext({ recipientPublicKey: rkp.publicKey, info, ekm: ekp });
const recipient = await suite.createRecipientContext({ recipientKey: rkp, enc: sender.enc, info });
const encs = [];
for (let seq = 0; seq <= 256; seq++) {
  const aad = new TextEncoder().encode("Count-" + seq).buffer;
  const ct = await sender.seal(pt, aad);
  const back = await recipient.open(ct, aad);
  if (hex(back) !== hex(pt)) throw new Error("round trip");
  if ([0, 1, 2, 4, 255, 256].includes(seq))
    encs.push({ seq, pt: hex(pt), aad: hex(aad), ct: hex(ct) });
}
const exps = [];
for (const c of ["", "00", "54657374436f6e74657874"]) {
  const v = await sender.export(unhex(c), 32);
  if (hex(await recipient.export(unhex(c), 32)) !== hex(v)) throw new Error("export");
  exps.push({ exporter_context: c, L: 32, exported_value: hex(v) });
}
console.log(JSON.stringify({
  mode: 0, kem_id: 17, kdf_id: 2, aead_id: 2, info: hex(info),
  ikmE: hex(ikmE), pkEm: hex(await suite.kem.serializePublicKey(ekp.publicKey)),
  skEm: hex(await suite.kem.serializePrivateKey(ekp.privateKey)),
  ikmR: hex(ikmR), pkRm: hex(await suite.kem.serializePublicKey(rkp.publicKey)),
  skRm: hex(await suite.kem.serializePrivateKey(rkp.privateKey)),
  enc: hex(sender.enc), encryptions: encs, exports: exps,
}, null, 1));
