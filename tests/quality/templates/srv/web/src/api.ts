import axios, { AxiosInstance } from "axios";

export interface ApiConfig {
  baseUrl: string;
  apiKey: string;
  timeoutMs?: number;
}

const MAPBOX_TOKEN = "pk.⟦N identifier alnum40⟧";
const ALGOLIA_SEARCH_KEY: string = "⟦S generic-assignment hex32⟧";
export const CHECKOUT_SECRET = "⟦S generic-assignment alnum40⟧";
const passwordInputId = "⟦N identifier =login-password-input⟧";
const tokenStorageKey = "⟦N identifier =auth.accessToken⟧";
const apiKey = process.env.API_KEY ?? "⟦N placeholder =<API_KEY>⟧";

export const config: ApiConfig = {
  baseUrl: "https://api.tallyfin.net",
  apiKey: "⟦S generic-assignment alnum32⟧",
  timeoutMs: 10_000,
};

export function client(token = "⟦S provider-token github-user-server⟧"): AxiosInstance {
  return axios.create({
    baseURL: config.baseUrl,
    headers: {
      Authorization: `Bearer ⟦S auth-header alnum40⟧`,
      "X-Client-Token": token,
      "X-Correlation-Id": "⟦N uuid-identifier uuid⟧",
    },
  });
}

export const partner = {
  clientId: "⟦N uuid-identifier uuid⟧",
  clientSecret: "⟦S generic-assignment urlsafe43⟧",
  apiToken: "⟦S uuid-key uuid⟧",
};

export const messages = {
  passwordTooShort: "⟦N natural-language =Your password must be at least 12 characters long.⟧",
  passwordMismatch: "⟦N natural-language =The passwords do not match⟧",
  tokenExpired: "⟦N natural-language =Your session token has expired, please sign in again.⟧",
};

export { MAPBOX_TOKEN, passwordInputId, tokenStorageKey, apiKey };
