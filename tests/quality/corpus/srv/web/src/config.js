// Runtime configuration for the storefront (bundled by vite).
module.exports = {
  env: "production",
  firebase: {
    apiKey: "AIzamAZZU4nx1bzZsAHQQzriwI0IvEBJNtsfFua",
    authDomain: "tallyfin-shop.firebaseapp.com",
    projectId: "tallyfin-shop",
  },
  intercom: {
    appId: "k3x9qz2m",
    secretKey: "893b6866c6b1908e644089485c3553a2aa074359",
  },
  twitter: {
    consumer_key: "65GOdfXKKY0eYryft6nJPbyzd",
    consumer_secret: "9SDV3TQuwdPK8Soox8GUyBCO56Q3Y42pb4QGMle4NhkjkLwPci",
    access_token_key: "841437798970381265-gRHfSz1NWNsDPLw5p3kIqmAxqhsyRTZAuglq2lAr",
    access_token_secret: "qBn3QKTq1m5aoMACtPsxUiocu9ulJdL3zlMK1TLRBKecB",
  },
  postman: { apiKey: "PMAK-6729f4d145fb4e6dfe8ad650-618aea2291d8c16ff4baf3e14773668d15" },
  grafana: { token: "glsa_J0nMTthOmKJwR1SgB10SuUCXdB1hp6wM_0d6340e7" },
  newRelic: { licenseKey: "NRAK-FMAOVT0YBBTGYQM7QDZP3GIF4EG" },
  auth0: { domain: "tallyfin.eu.auth0.com", clientSecret: "OMGkgfC2cf6tbTTSAoDre1qjU0p-FRJvEHaEah4uHXa" },
  password: process.env.ADMIN_PASSWORD || "changeme",
  secret: "${SECRET}",
  token: "YOUR_TOKEN_HERE",
  passwordResetPath: "/account/password/reset",
  publicKeyPath: "./keys/public.pem",
  sessionSecret: "BedDfJEARagsDlMv2WSxYSWAEFEFDzhC",
};
