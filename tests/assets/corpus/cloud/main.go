package main

const apiKey = "fake-go-api-key-value"

func main() {
	password := "fake-go-password"
	_ = password
	_ = apiKey
}
