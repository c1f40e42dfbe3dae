#!/usr/bin/env bash
# Offline dependency vulnerability check: govulncheck on ./... against a local
# copy of the Go vulnerability database. Nothing but Go modules is fetched:
#   - govulncheck is built from the tools module hack/vulncheck (its own
#     go.mod, so its dependencies stay out of the operator's module graph);
#   - the database is the golang.org/x/vulndb module pinned below, whose
#     data/osv folder holds every published OSV entry; hack/vulncheck/osvindex
#     adds the index files govulncheck's `-db file://` reads.
# Both are cached in the git-ignored bin/ (bin/govulncheck-<version>,
# bin/vulndb/<version>) and reused on later runs.
#
# Fails (exit 1) when the code calls a vulnerable symbol of a module that
# go.mod requires (govulncheck's default, symbol-level verdict: vulnerabilities
# in imported or required code that is never called are listed, not failed).
# Called vulnerabilities in the Go standard library are fixed by a newer Go
# release, not by go.mod: they are printed as warnings unless
# VULNCHECK_STDLIB=fail.
#
# To move to a newer database: set VULNDB_VERSION to a newer pseudo-version of
# golang.org/x/vulndb that the module proxy serves, and VULNDB_SUM to the "Sum"
# that `go mod download -json golang.org/x/vulndb@VERSION` prints for it (the
# go command also checks it against the checksum database). The environment
# variables of the same names override both for a one-off run.
set -euo pipefail

VULNDB_VERSION=${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}
VULNDB_SUM=${VULNDB_SUM:-h1:mfngRv0Yoh0VApsXKEN82CjD99kl7mtparN3bs3JnqI=}
STDLIB=${VULNCHECK_STDLIB:-warn}

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/hack/vulncheck"
bin="$root/bin"
mkdir -p "$bin/vulndb"

# govulncheck, at the version hack/vulncheck/go.mod pins (built once).
gv_version=$(cd "$tools" && go list -m -f '{{.Version}}' golang.org/x/vuln)
govulncheck="$bin/govulncheck-$gv_version"
if [ ! -x "$govulncheck" ]; then
  echo ">> building govulncheck $gv_version (first time only)" >&2
  (cd "$tools" && go build -o "$govulncheck.tmp" golang.org/x/vuln/cmd/govulncheck)
  mv "$govulncheck.tmp" "$govulncheck"
fi
# The two small helpers are rebuilt every run (the build cache makes that
# instant) so they never go stale against their source.
(cd "$tools" && go build -o "$bin/vulncheck-osvindex" ./osvindex && go build -o "$bin/vulncheck-gate" ./gate)

# The database (prepared once per version).
db="$bin/vulndb/$VULNDB_VERSION"
if [ ! -f "$db/index/modules.json" ]; then
  echo ">> preparing the vulnerability database golang.org/x/vulndb@$VULNDB_VERSION (first time only)" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # Outside any module, so no go.mod or go.sum is touched.
  (cd "$tmp" && GOWORK=off go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION") > "$tmp/download.json"
  field() { sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}$/\1/p" "$tmp/download.json"; }
  sum=$(field Sum)
  if [ "$sum" != "$VULNDB_SUM" ]; then
    echo "golang.org/x/vulndb@$VULNDB_VERSION has sum $sum, want $VULNDB_SUM" >&2
    exit 2
  fi
  modified=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$(field Info)")
  rm -rf "$db.tmp"
  "$bin/vulncheck-osvindex" -src "$(field Dir)/data/osv" -out "$db.tmp" -modified "$modified"
  mv "$db.tmp" "$db"
fi

echo ">> govulncheck $gv_version on ./... with golang.org/x/vulndb@$VULNDB_VERSION ($(go env GOVERSION))" >&2
cd "$root"
"$govulncheck" -db "file://$db" -format json ./... | "$bin/vulncheck-gate" -stdlib="$STDLIB"
