// Runtime configuration for the storefront (bundled by vite).
module.exports = {
  env: "production",
  firebase: {
    apiKey: "⟦S provider-token gcp-api-key⟧",
    authDomain: "tallyfin-shop.firebaseapp.com",
    projectId: "tallyfin-shop",
  },
  intercom: {
    appId: "⟦N identifier =k3x9qz2m⟧",
    secretKey: "⟦S generic-assignment hex40⟧",
  },
  twitter: {
    consumer_key: "⟦S oauth1 oauth-consumer-key⟧",
    consumer_secret: "⟦S oauth1 oauth-consumer-secret⟧",
    access_token_key: "⟦S oauth1 oauth-token⟧",
    access_token_secret: "⟦S oauth1 oauth-token-secret⟧",
  },
  postman: { apiKey: "⟦S provider-token postman⟧" },
  grafana: { token: "⟦S provider-token grafana-sa⟧" },
  newRelic: { licenseKey: "⟦S provider-token newrelic⟧" },
  auth0: { domain: "tallyfin.eu.auth0.com", clientSecret: "⟦S generic-assignment urlsafe43⟧" },
  password: process.env.ADMIN_PASSWORD || "⟦N placeholder =changeme⟧",
  secret: "⟦N placeholder =${SECRET}⟧",
  token: "⟦N placeholder =YOUR_TOKEN_HERE⟧",
  passwordResetPath: "⟦N file-path =/account/password/reset⟧",
  publicKeyPath: "⟦N file-path =./keys/public.pem⟧",
  sessionSecret: "⟦S generic-assignment b64-24⟧",
};
