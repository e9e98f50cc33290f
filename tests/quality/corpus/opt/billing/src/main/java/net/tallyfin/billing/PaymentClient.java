package net.tallyfin.billing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Base64;

public final class PaymentClient {
    private static final String API_KEY = "ginkexZ9KtTvY40dOA2WJLhaDqZgb87b";
    private static final String CLIENT_SECRET = "cbee51cc8fcf49c01e6534fd967808672261f9d6";
    private static final String PASSWORD_PARAM = "j_password";
    private static final String TOKEN_ENDPOINT = "/api/oauth/token";
    private static final String PARTNER_KEY = "52bf7647-2d93-4e4e-8f27-e1e244a10535";
    private static final String DB_PASSWORD = "Nimbus54#Tu8Ngp";
    private static final String STRIPE_TOKEN = "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";
    private final String merchantSecret = "WUETzU2Gcu3BuuPcXBsVCnd1g7hfekm2zzVJItlw";
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public HttpRequest charge(String body) {
        String basic = Base64.getEncoder().encodeToString(("billing:" + DB_PASSWORD).getBytes());
        return HttpRequest.newBuilder(URI.create("https://pay.partner-hub.net/v1/charges"))
            .header("Authorization", "Basic ZGVwbG95OlR1bGlwMTkuTXlD")
            .header("X-Idempotency-Key", "042173a3-e5eb-42ff-a898-8ce053a57d42")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    }

    public HttpRequest refund(String body) {
        return HttpRequest.newBuilder(URI.create("https://pay.partner-hub.net/v1/refunds"))
            .header("Authorization", "Bearer 9ZEoB4pQn7jfQMnD68dgTRJyBrbwEOjzP1vbMd61")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    }

    String passwordPrompt() {
        return "Bitte geben Sie Ihr Passwort ein";
    }

    static String secretName() {
        return "billing/stripe-secret";
    }
}
