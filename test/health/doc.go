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

// Package health proves what GitOps tools conclude about the operator's
// resources: the Argo CD health check config/argocd/health.lua, run in
// gopher-lua as Argo CD runs it, and kstatus (sigs.k8s.io/cli-utils), which
// Flux's health checks use, each against objects captured from real runs of
// the controller suite (testdata, `make health-fixtures`). The expected
// verdicts are the ones docs/gitops.md promises.
package health
