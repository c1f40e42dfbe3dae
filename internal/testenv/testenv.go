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

// Package testenv starts the local control plane (envtest) for tests, using the
// kube-apiserver and etcd that hack/controlplane/build.sh builds from Go modules.
package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	databricksv1alpha1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

// RepoRoot is the repository's top directory, found from this file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// AssetsDir returns KUBEBUILDER_ASSETS, or the directory the build script
// writes to when the variable is unset (so `go test` works after `make envtest`).
func AssetsDir() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	dir := filepath.Join(RepoRoot(), "bin", "k8s", fmt.Sprintf("1.37.2-%s-%s", runtime.GOOS, runtime.GOARCH))
	if _, err := os.Stat(filepath.Join(dir, "kube-apiserver")); err != nil {
		return "", fmt.Errorf("no local control plane at %s: run 'make envtest' (or 'make test') first", dir)
	}
	return dir, nil
}

// Start runs etcd and kube-apiserver with the generated CRDs installed.
func Start() (*envtest.Environment, *rest.Config, error) {
	if err := databricksv1alpha1.AddToScheme(scheme.Scheme); err != nil {
		return nil, nil, err
	}
	assets, err := AssetsDir()
	if err != nil {
		return nil, nil, err
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(RepoRoot(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, nil, fmt.Errorf("failed to start the local control plane: %w", err)
	}
	return env, cfg, nil
}
