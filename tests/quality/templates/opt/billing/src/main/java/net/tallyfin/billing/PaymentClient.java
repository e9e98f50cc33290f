package net.tallyfin.billing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Base64;

public final class PaymentClient {
    private static final String API_KEY = "⟦S generic-assignment alnum32⟧";
    private static final String CLIENT_SECRET = "⟦S generic-assignment hex40⟧";
    private static final String PASSWORD_PARAM = "⟦N identifier =j_password⟧";
    private static final String TOKEN_ENDPOINT = "⟦N file-path =/api/oauth/token⟧";
    private static final String PARTNER_KEY = "⟦S uuid-key uuid⟧";
    private static final String DB_PASSWORD = "⟦S password-assignment password⟧";
    private static final String STRIPE_TOKEN = "⟦S provider-token stripe-secret⟧";
    private final String merchantSecret = "⟦S generic-assignment alnum40⟧";
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public HttpRequest charge(String body) {
        String basic = Base64.getEncoder().encodeToString(("billing:" + DB_PASSWORD).getBytes());
        return HttpRequest.newBuilder(URI.create("https://pay.partner-hub.net/v1/charges"))
            .header("Authorization", "Basic ⟦S auth-header basic-cred⟧")
            .header("X-Idempotency-Key", "⟦N uuid-identifier uuid⟧")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    }

    public HttpRequest refund(String body) {
        return HttpRequest.newBuilder(URI.create("https://pay.partner-hub.net/v1/refunds"))
            .header("Authorization", "Bearer ⟦S auth-header alnum40⟧")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    }

    String passwordPrompt() {
        return "⟦N natural-language =Bitte geben Sie Ihr Passwort ein⟧";
    }

    static String secretName() {
        return "⟦N identifier =billing/stripe-secret⟧";
    }
}
