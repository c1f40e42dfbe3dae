#!/usr/bin/env bash
# Builds the local control plane (kube-apiserver and etcd) and kubectl from
# pinned Go modules into $OUT, once. No prebuilt binary is ever downloaded:
# envtest and `make demo` point KUBEBUILDER_ASSETS at the result, and the demo
# puts $OUT on the PATH it prints, for kubectl.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-"$here/../../bin/k8s/1.37.2-$(go env GOOS)-$(go env GOARCH)"}
KUBE_VERSION=v1.37.2
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

version_flags="-s -w \
 -X k8s.io/component-base/version.gitVersion=${KUBE_VERSION} \
 -X k8s.io/component-base/version.gitMajor=1 \
 -X k8s.io/component-base/version.gitMinor=37 \
 -X k8s.io/component-base/version.gitTreeState=clean \
 -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"

build() { # name, package (relative to this module), ldflags, what it costs
  local name=$1 pkg=$2 flags=$3 cost=$4
  if [ -x "$OUT/$name" ]; then
    return 0
  fi
  echo ">> building $name from Go modules (first time only, $cost on 2 cores)" >&2
  local start=$SECONDS
  (cd "$here" && CGO_ENABLED=0 go build -trimpath -ldflags "$flags" -o "$OUT/$name.tmp" "$pkg")
  mv "$OUT/$name.tmp" "$OUT/$name"
  echo ">> built $name in $((SECONDS - start))s" >&2
}

build etcd ./etcd "-s -w" "about 1 minute"
build kube-apiserver ./kube-apiserver "$version_flags" "about 4 minutes"
# Upstream's own kubectl main package, same pinned Kubernetes release.
build kubectl k8s.io/kubernetes/cmd/kubectl "$version_flags" "about 2 minutes"
echo "$OUT"
