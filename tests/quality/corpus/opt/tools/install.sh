#!/bin/sh
set -eu
KUBECTL_SHA256=51bb83a7f49f5ee601d3b8048a7bc55c47ce2b0f5545dc8dbd605f76aa252065
GIT_COMMIT=cf426fea838a15619ce6e68e77aeb0fbb12153a5
curl -fsSLo /tmp/kubectl https://dl.k8s.io/release/v1.30.2/bin/linux/amd64/kubectl
echo "${KUBECTL_SHA256}  /tmp/kubectl" | sha256sum -c -
install -m 0755 /tmp/kubectl /usr/local/bin/kubectl
