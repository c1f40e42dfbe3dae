#!/usr/bin/env bash
# `make demo`: the operator on the embedded local default (design §7).
#
# Builds what it needs offline from Go modules (the local kube-apiserver and
# etcd once, then the demo, the manager and the fake SCIM server), starts the
# local control plane and the fake Databricks account SCIM server on
# loopback, applies config/samples, runs the manager, waits until every object
# is Ready, prints `kubectl get databricks` and the kubeconfig path, and keeps
# running until Ctrl-C. DEMO_EXIT=1 exits after the table. See hack/demo/main.go.
set -euo pipefail

cd "$(dirname "$0")/.."
start=$SECONDS

if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then
    export PATH="/usr/local/go/bin:$PATH"
  else
    echo "demo: the go command was not found in PATH." >&2
    echo "      Install Go 1.26 or newer (https://go.dev/dl/) or add its bin directory to PATH." >&2
    exit 1
  fi
fi
need=$(awk '$1 == "go" { print $2; exit }' go.mod)
have=$(go env GOVERSION | sed 's/^go//')
if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n1)" != "$need" ]; then
  echo "demo: Go $have is too old: go.mod needs Go $need or newer (https://go.dev/dl/)." >&2
  exit 1
fi

echo ">> local control plane: kube-apiserver and etcd from Go modules (built once; the first build takes 4-10 minutes on 2 cores)"
if ! assets=$(hack/controlplane/build.sh); then
  echo "demo: building the local control plane failed (see above)." >&2
  exit 1
fi
echo "   ready in $assets ($((SECONDS - start))s)"

echo ">> building the demo (bin/demo; the first build compiles the Kubernetes client libraries: a few minutes on 2 cores)"
mkdir -p bin
go build -o bin/demo ./hack/demo
echo "   built ($((SECONDS - start))s)"

export KUBEBUILDER_ASSETS="$assets"
exec bin/demo
