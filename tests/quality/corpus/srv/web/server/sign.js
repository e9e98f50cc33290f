// Signs the storefront's webhook payloads. TODO(ops): load the key from the secret store instead.
const crypto = require("crypto");

const SIGNING_KEY = `-----BEGIN PRIVATE KEY-----
xriWgLkrIquTzt6byV+j1ZZLu/W3zpgynuR/OUwz4HfiuFgZcVeXKYuj2ZbtEUuH
lksq1Rbg7AS1me1IRMEUxPWdC5ZMqjytsvz7vw+DP/hgvivm8zqkMTEqj2VPnKIp
O6TgSy6O4atFJoDDAVpJjp1a4oGgxkN3IlxlUD/odCb3DgZ7y96412/O4VC5Nk32
7b/i+xAQgmhD21fm5mS5HyV9nM6F/zLP9o9ezAYxbCq34S6JLHOQF5IzuJETLr/e
N3H0vtD5tvWs33GS6Kay1M033oGABXRfR+oxLVljyWskeS7lQTyTh3W5IgKRf4SK
lEZf2bw/XnGW4yNTlTdjGJb40/lztKq9alHmb/DkLFw8fSbX+Q/thd+Zf8RuCy8e
gxsZ8Tfcu2JFSXdQbWw=
-----END PRIVATE KEY-----`;

function sign(payload) {
  const signer = crypto.createSign("RSA-SHA256");
  signer.update(JSON.stringify(payload));
  return signer.sign(SIGNING_KEY, "base64");
}

module.exports = { sign };
