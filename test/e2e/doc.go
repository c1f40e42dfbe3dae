/*
Copyright 2026 The databricks-scim-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package e2e is the end-to-end test (design §8.3): the built manager binary
// runs as its own process against the local control plane, authenticated as
// a ServiceAccount bound only to the RBAC rendered from config/rbac; the fake
// Databricks account SCIM server runs as its own process (cmd/scimfake); the
// test applies config/samples as a user would and checks what reaches the
// fake account. TestPackagedInstall does the same with what users install:
// the Helm chart's default render and the release installer (see
// docs/install.md). It is a plain `go test` (part of `make test`) and needs
// the local control plane that hack/controlplane/build.sh builds.
package e2e
