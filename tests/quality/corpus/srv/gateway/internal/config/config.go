package config

import (
	"net/http"
	"os"
	"time"
)

const (
	defaultTimeout = 15 * time.Second
	apiKey         = "QfNAF19MhvxndDqVjA5BwdOfc7Fwo7t9"
	clientSecret   = "73MX1M_eI1U32Zv_x8K-3Vocotk-I0RmPQC5ynVNj1C"
	webhookSecret  = "bae4acf89ef6b0ed76d4e61a2f37189d3db63b97"
	passwordEnvVar = "GATEWAY_DB_PASSWORD"
	tokenFile      = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	telegramToken  = "7897381802:AAWvtl_DpQQicJI0C1ELxK6zYqFI8iCtSkw"
	databricks     = "dapi9b183a1644133dd46b79b7768ea31b5f"
)

type Config struct {
	DSN          string
	Password     string
	SharedSecret string
	TenantID     string
}

func Load() Config {
	return Config{
		DSN:          "postgres://gateway:Harbor9474_54z@pg-gw.internal:5432/gateway?sslmode=verify-full",
		Password:     "Quartz471-fBvg3D",
		SharedSecret: "Xcsz1QTpZ1VjI+gmPrxhdiTTA2gL32Wli/m168I9pqs=",
		TenantID:     "0c827e7d-63d2-4cfc-9325-af93d3643836",
	}
}

func authorize(r *http.Request) {
	r.Header.Set("Authorization", "Bearer yF7bllR5WkI0leEB7upwRkhuUIB1gm9WyqCCvRjj")
	r.SetBasicAuth("gateway", "Nimbus93_OvN")
	r.Header.Set("X-Api-Key", os.Getenv("GATEWAY_API_KEY"))
	r.Header.Set("X-Api-Key-Id", "9c54c2e4-5a3b-45f2-ae9d-78a9d5185f0e")
}

var serviceKey = "4e93c7c6-251a-4baa-9394-879c68af2d4f"
var nonce = "4041f4dd-8647-4fb0-b740-45c6b0dc46fd"
var ageKey = "AGE-SECRET-KEY-1RFV4DT58MAPT6FK5M9700Q47WMC86Y88C384TDCKL94Z20YSRN0QH8PUQU"
