import axios, { AxiosInstance } from "axios";

export interface ApiConfig {
  baseUrl: string;
  apiKey: string;
  timeoutMs?: number;
}

const MAPBOX_TOKEN = "pk.S1vUbZCKcBI10VzxEk0NCz6fwsc3fPHlV1CjTvvT";
const ALGOLIA_SEARCH_KEY: string = "83afcba77195c8b52cd25d94a141b516";
export const CHECKOUT_SECRET = "uYgGKIEKQlATuztg4swGFZdnbI9IMNEHR2Jn9Bxu";
const passwordInputId = "login-password-input";
const tokenStorageKey = "auth.accessToken";
const apiKey = process.env.API_KEY ?? "<API_KEY>";

export const config: ApiConfig = {
  baseUrl: "https://api.tallyfin.net",
  apiKey: "SG0Og5ORU2lty2YlgFLrq8wyFMWJn3Ht",
  timeoutMs: 10_000,
};

export function client(token = "ghu_UbCIr4O6jH2qvx7PLqAgnjDaqvbsX41KNfVz"): AxiosInstance {
  return axios.create({
    baseURL: config.baseUrl,
    headers: {
      Authorization: `Bearer xmgrGJjEVsEE6Y7MRcPTA9kpw3BFxGfeXNydSV4U`,
      "X-Client-Token": token,
      "X-Correlation-Id": "c87db05a-67ad-4a12-ad9c-3951dabe3ec7",
    },
  });
}

export const partner = {
  clientId: "b8d50ced-9e7c-4b87-a933-3792d88fc391",
  clientSecret: "-ujVeg_J7XYeDpvxfRm-rKRi1rR8O_i7q92XuhCTjXN",
  apiToken: "adab6c15-7a09-44f6-8fd9-3debc182bf89",
};

export const messages = {
  passwordTooShort: "Your password must be at least 12 characters long.",
  passwordMismatch: "The passwords do not match",
  tokenExpired: "Your session token has expired, please sign in again.",
};

export { MAPBOX_TOKEN, passwordInputId, tokenStorageKey, apiKey };
