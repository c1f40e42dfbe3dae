# databricks-scim-operator
#
# Everything here works offline from the Go module proxy: controller-gen is a Go
# tool dependency (go.mod `tool`), and the local control plane used by envtest,
# the end-to-end test and `make demo` is built from Go modules by
# hack/controlplane/build.sh into the git-ignored bin/ (once; reused afterwards).

# The release (VERSION file): the image tag dist/install.yaml pins and the
# Helm chart's version and appVersion (a test keeps Chart.yaml equal to it).
RELEASE_VERSION := $(shell cat VERSION)
IMG ?= ghcr.io/scimops/databricks-scim-operator:$(RELEASE_VERSION)
CONTAINER_TOOL ?= docker
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
CHART_DIR = charts/databricks-scim-operator

LOCALBIN ?= $(CURDIR)/bin
CONTROLLER_GEN ?= go tool controller-gen
GO_TEST_FLAGS ?=

SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: ## Generate CRDs (config/crd/bases, copied to the Helm chart's crds/; the alert rules copied to its files/) and the manager ClusterRole (config/rbac/role.yaml) from markers.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./api/..." paths="./internal/controller/..." output:crd:artifacts:config=config/crd/bases
	rm -f $(CHART_DIR)/crds/*.yaml && cp config/crd/bases/*.yaml $(CHART_DIR)/crds/
	cp config/prometheus/rules.yaml $(CHART_DIR)/files/prometheus-rules.yaml

.PHONY: generate
generate: ## Generate DeepCopy methods (zz_generated.deepcopy.go) from markers.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: fmt
fmt: ## Run go fmt against code.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet against code.
	go vet ./...

.PHONY: verify
verify: manifests generate fmt ## Regenerate everything and fail if the tree changed (stale generated files).
	@if [ -n "$$(git status --porcelain)" ]; then \
		echo "The tree changed after 'make manifests generate fmt'; commit the regenerated files:"; \
		git status --porcelain; git --no-pager diff --stat; exit 1; \
	fi

.PHONY: envtest
envtest: ## Build (once) the local kube-apiserver and etcd from Go modules; print the KUBEBUILDER_ASSETS path.
	@hack/controlplane/build.sh

# Packages with concurrency (the controllers, the inventory, the account
# registry, the SCIM client and its limiters, the CLI's reader and its tests
# with the operator in-process) run under the race detector.
RACE_PKGS = ./internal/controller/... ./internal/inventory/... ./internal/account/... ./internal/scim/... ./internal/cli/... ./internal/diff/... ./internal/metricsauth/...

.PHONY: test
test: manifests generate vet ## Run every test: unit, the Helm chart and installer renders, envtest controllers (under -race) and the end-to-end tests (builds the control plane on first run).
	@assets=$$(hack/controlplane/build.sh) && \
	KUBEBUILDER_ASSETS="$$assets" go test $(GO_TEST_FLAGS) -race $(RACE_PKGS) -coverprofile cover-race.out && \
	KUBEBUILDER_ASSETS="$$assets" go test $(GO_TEST_FLAGS) $$(go list ./... | grep -v -e /internal/controller -e /internal/inventory -e /internal/account -e /internal/scim -e /internal/cli -e /internal/diff -e /internal/metricsauth) -coverprofile cover.out

# The objects test/health checks Argo CD's and Flux's verdicts on are captured
# from the controller suite's specs labelled health-fixtures.
HEALTH_FIXTURES = $(CURDIR)/test/health/testdata

.PHONY: health-fixtures
health-fixtures: ## Re-capture test/health/testdata from real runs of the controller suite (envtest).
	@assets=$$(hack/controlplane/build.sh) && rm -f $(HEALTH_FIXTURES)/*.yaml && \
	KUBEBUILDER_ASSETS="$$assets" CAPTURE_HEALTH_FIXTURES=$(HEALTH_FIXTURES) \
		go test -count=1 ./internal/controller/ -run TestControllers -ginkgo.label-filter=health-fixtures

.PHONY: vulncheck
vulncheck: ## Offline govulncheck of ./... against the pinned golang.org/x/vulndb module; fails on called vulnerabilities in go.mod's modules.
	@hack/vulncheck.sh

.PHONY: bench
bench: build ## Run the scale benchmarks (BENCH_SCALE=small for a short run, xl for 50,000 users; BENCH_SCENARIO=converge or export for one; BENCH_ORDER=groups-first or shuffled). Converge runs update docs/bench/results.json and scaling.svg.
	@assets=$$(hack/controlplane/build.sh) && \
	KUBEBUILDER_ASSETS="$$assets" go run ./hack/bench -scale=$(or $(BENCH_SCALE),full) -scenario=$(or $(BENCH_SCENARIO),all) -order=$(or $(BENCH_ORDER),users-first)

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build the manager and the fake SCIM server into bin/.
	go build -ldflags "-X main.version=$(VERSION)" -o $(LOCALBIN)/manager ./cmd/manager
	go build -o $(LOCALBIN)/scimfake ./cmd/scimfake

.PHONY: cli
cli: ## Build the command-line tool into bin/kubectl-databricks (put bin/ on the PATH for `kubectl databricks`).
	go build -ldflags "-X main.version=$(VERSION)" -o $(LOCALBIN)/kubectl-databricks ./cmd/kubectl-databricks

.PHONY: run
run: manifests generate fmt vet ## Run the manager against the cluster in ~/.kube/config (or $$KUBECONFIG).
	go run ./cmd/manager --secret-namespace=$${SECRET_NAMESPACE:-databricks-scim-system}

.PHONY: demo
demo: ## Run the operator on the embedded local default: local control plane + fake Databricks (DEMO_EXIT=1 exits after the table).
	@hack/demo.sh

# No Docker engine runs on the development machines; this target is for release machines.
.PHONY: docker-build
docker-build: ## Build the manager image (needs a container engine; nothing else depends on it).
	$(CONTAINER_TOOL) build -t $(IMG) .

.PHONY: build-installer
build-installer: manifests ## Render config/default into dist/install.yaml with IMG (default: the VERSION tag), in Go (no kubectl).
	go run ./hack/installer -image $(IMG) -o dist/install.yaml
