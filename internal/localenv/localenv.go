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

// Package localenv runs the operator locally with nothing installed: the local
// control plane (etcd and kube-apiserver built by hack/controlplane/build.sh,
// started through envtest), the fake Databricks account SCIM server and the
// manager binary, each as its own process, all on loopback.
//
// `make demo` (hack/demo), the end-to-end test (test/e2e) and the benchmark
// build on it. Every process it starts is stopped, and every temporary file
// removed, by Stack.Stop.
package localenv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/scimops/databricks-scim-operator/internal/testenv"
)

// Names shared with the shipped manifests (config/default/kustomization.yaml
// sets the same namespace and name prefix).
const (
	// OperatorNamespace is where the manager, its ServiceAccount and the token Secrets live.
	OperatorNamespace = "databricks-scim-system"
	// NamePrefix is kustomize's namePrefix for everything in config/default.
	NamePrefix = "databricks-scim-"
	// ServiceAccountName is config/rbac's ServiceAccount after the prefix.
	ServiceAccountName = NamePrefix + "controller-manager"
	// TokenSecretName is the Secret the samples' DatabricksAccount names.
	TokenSecretName = "databricks-scim-token"
	// Category is the category every kind of the API is in.
	Category = "databricks"

	modulePath = "github.com/scimops/databricks-scim-operator"
)

// FindRepoRoot returns the repository's top directory: the nearest directory
// above the working directory whose go.mod declares this module, or, failing
// that, the directory this package was compiled from.
func FindRepoRoot() (string, error) {
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if isRepoRoot(dir) {
				return dir, nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if dir := testenv.RepoRoot(); isRepoRoot(dir) {
		return dir, nil
	}
	return "", errors.New("cannot find the databricks-scim-operator repository: run from inside it")
}

func isRepoRoot(dir string) bool {
	raw, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "module" {
			return f[1] == modulePath
		}
	}
	return false
}

// AssetsDir is the directory holding the built kube-apiserver and etcd
// (KUBEBUILDER_ASSETS, or bin/k8s/... under root).
func AssetsDir(root string) (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return checkAssets(dir)
	}
	dir, err := testenv.AssetsDir()
	if err == nil {
		return checkAssets(dir)
	}
	// testenv looks next to its own source; also accept root's bin/.
	matches, _ := filepath.Glob(filepath.Join(root, "bin", "k8s", "*", "kube-apiserver"))
	if len(matches) > 0 {
		return checkAssets(filepath.Dir(matches[0]))
	}
	return "", err
}

func checkAssets(dir string) (string, error) {
	for _, name := range []string{"kube-apiserver", "etcd"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return "", fmt.Errorf("the local control plane is incomplete: %s has no executable %s; run hack/controlplane/build.sh (or 'make envtest')", dir, name)
		}
	}
	return dir, nil
}
