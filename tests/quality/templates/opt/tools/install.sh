#!/bin/sh
set -eu
KUBECTL_SHA256=⟦N hash-checksum sha256⟧
GIT_COMMIT=⟦N hash-checksum hex40⟧
curl -fsSLo /tmp/kubectl https://dl.k8s.io/release/v1.30.2/bin/linux/amd64/kubectl
echo "${KUBECTL_SHA256}  /tmp/kubectl" | sha256sum -c -
install -m 0755 /tmp/kubectl /usr/local/bin/kubectl
