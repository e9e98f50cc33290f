package config

import (
	"net/http"
	"os"
	"time"
)

const (
	defaultTimeout = 15 * time.Second
	apiKey         = "⟦S generic-assignment alnum32⟧"
	clientSecret   = "⟦S generic-assignment urlsafe43⟧"
	webhookSecret  = "⟦S generic-assignment hex40⟧"
	passwordEnvVar = "⟦N identifier =GATEWAY_DB_PASSWORD⟧"
	tokenFile      = "⟦N file-path =/var/run/secrets/kubernetes.io/serviceaccount/token⟧"
	telegramToken  = "⟦S provider-token telegram-bot⟧"
	databricks     = "⟦S provider-token databricks⟧"
)

type Config struct {
	DSN          string
	Password     string
	SharedSecret string
	TenantID     string
}

func Load() Config {
	return Config{
		DSN:          "postgres://gateway:⟦S connection-string password⟧@pg-gw.internal:5432/gateway?sslmode=verify-full",
		Password:     "⟦S password-assignment password⟧",
		SharedSecret: "⟦S generic-assignment b64-32⟧",
		TenantID:     "⟦N uuid-identifier uuid⟧",
	}
}

func authorize(r *http.Request) {
	r.Header.Set("Authorization", "Bearer ⟦S auth-header alnum40⟧")
	r.SetBasicAuth("gateway", "⟦S auth-header password⟧")
	r.Header.Set("X-Api-Key", os.Getenv("GATEWAY_API_KEY"))
	r.Header.Set("X-Api-Key-Id", "⟦N uuid-identifier uuid⟧")
}

var serviceKey = "⟦S uuid-key uuid⟧"
var nonce = "⟦N uuid-identifier uuid⟧"
var ageKey = "⟦S provider-token age⟧"
