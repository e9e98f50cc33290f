"""Reading images straight from a registry through the OCI distribution API, without a Docker engine.

A small client of our own on `requests`, with `docker.auth` (from the docker SDK we already depend on)
for reading `~/.docker/config.json` and running `docker-credential-*` helpers. Why not a library:

- oras-py is built to pull artifacts to files (`pull` writes them to disk) and validates manifests with
  jsonschema; we must stream layer blobs straight into the layer reader and never write the image to
  disk. Its auth reads `auths` only, not `credsStore`/`credHelpers`, and it has no manifest-list
  platform selection, which we already have (`auditor.sources.selection`, shared with OCI layouts).
- What an audit needs of the protocol is small: GET a manifest (by tag or digest, with Accept headers),
  GET a blob as a stream, answer a Basic or Bearer challenge. Owning it lets every rule of this project
  hold without working around a library: each blob's sha256 checked, JSON size-capped, credentials never
  in a message, TLS verified with extra CAs *added* to the defaults, plain HTTP only when asked or on
  loopback, our own error types with 401/403/404 told apart.

Modules, one job each: `reference` (parse REGISTRY/REPO[:TAG|@DIGEST]), `challenge` (WWW-Authenticate
and token realms), `credentials` (where a login comes from, and which registry it is for), `retry` (which
failures to retry, and how long to wait), `tls` (trust and loopback), `watchdog` (ending reads blocked
past the deadline), `client` (the HTTP conversation).
"""
