PASSWORD = "fake-allowlisted-password"  # pragma: allowlist secret
OTHER_PASSWORD = "fake-not-allowlisted-password"
