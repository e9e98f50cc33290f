// Signs the storefront's webhook payloads. TODO(ops): load the key from the secret store instead.
const crypto = require("crypto");

const SIGNING_KEY = `⟦S private-key pkcs8-key⟧`;

function sign(payload) {
  const signer = crypto.createSign("RSA-SHA256");
  signer.update(JSON.stringify(payload));
  return signer.sign(SIGNING_KEY, "base64");
}

module.exports = { sign };
