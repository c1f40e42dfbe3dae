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

package localenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	databricksv1alpha1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

// Scheme knows the built-in kinds and this project's API.
var Scheme = runtime.NewScheme()

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(Scheme))
	utilruntime.Must(databricksv1alpha1.AddToScheme(Scheme))
}

// ControlPlane is a running local etcd and kube-apiserver with the CRDs installed.
type ControlPlane struct {
	Env *envtest.Environment
	// Config authenticates as the admin user (system:masters).
	Config *rest.Config
	// Client and Clientset use Config.
	Client    client.Client
	Clientset kubernetes.Interface
	// Kubeconfig is the admin kubeconfig file.
	Kubeconfig string
	// LogPath receives etcd's and kube-apiserver's output.
	LogPath string
	// Assets is the directory of the control-plane binaries; kubectl, built
	// from the same Kubernetes release, sits next to them.
	Assets string

	logFile *os.File
}

// KubectlPath is the kubectl that hack/controlplane/build.sh builds, or ""
// when this assets directory predates it.
func (cp *ControlPlane) KubectlPath() string {
	path := filepath.Join(cp.Assets, "kubectl")
	if fi, err := os.Stat(path); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return ""
	}
	return path
}

// Kubectl runs the built kubectl as the admin user and returns its output.
func (cp *ControlPlane) Kubectl(ctx context.Context, args ...string) ([]byte, error) {
	path := cp.KubectlPath()
	if path == "" {
		return nil, fmt.Errorf("no kubectl in %s: run hack/controlplane/build.sh", cp.Assets)
	}
	cmd := exec.CommandContext(ctx, path, append([]string{"--kubeconfig", cp.Kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return out, nil
}

// ControlPlaneOptions configure StartControlPlaneWith.
type ControlPlaneOptions struct {
	// SkipCRDs starts an empty API server: the caller installs the CRDs
	// (e.g. from a Helm chart's render or the release installer).
	SkipCRDs bool
}

// StartControlPlane starts etcd and kube-apiserver from the binaries in
// AssetsDir(root), installs config/crd/bases and writes the admin kubeconfig
// into dir. Stop it with Stop.
func StartControlPlane(root, dir string) (*ControlPlane, error) {
	return StartControlPlaneWith(root, dir, ControlPlaneOptions{})
}

// StartControlPlaneWith is StartControlPlane with options.
func StartControlPlaneWith(root, dir string, opts ControlPlaneOptions) (*ControlPlane, error) {
	assets, err := AssetsDir(root)
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "controlplane.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		UseExistingCluster:       new(false), // never a real cluster, whatever USE_EXISTING_CLUSTER says
		ErrorIfCRDPathMissing:    true,
		BinaryAssetsDirectory:    assets,
		Scheme:                   Scheme,
		ControlPlaneStartTimeout: 90 * time.Second, // 2 busy cores (make test) slow the first start
		ControlPlaneStopTimeout:  30 * time.Second,
	}
	if !opts.SkipCRDs {
		env.CRDDirectoryPaths = []string{filepath.Join(root, "config", "crd", "bases")}
	}
	env.CRDInstallOptions.Scheme = Scheme
	// The control plane's output goes to a file, shown when something fails.
	env.ControlPlane.Etcd = &envtest.Etcd{Out: logFile, Err: logFile}
	env.ControlPlane.APIServer = &envtest.APIServer{Out: logFile, Err: logFile}

	cfg, err := env.Start()
	if err != nil {
		_ = env.Stop()
		_ = logFile.Close()
		tail, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("failed to start the local control plane from %s: %w\nlast lines of its log:\n%s", assets, err, indent(tailLines(string(tail), 20), "    "))
	}
	cp := &ControlPlane{Env: env, Config: cfg, LogPath: logPath, Kubeconfig: filepath.Join(dir, "admin.kubeconfig"), Assets: assets, logFile: logFile}
	stop := func(err error) (*ControlPlane, error) {
		_ = cp.Stop()
		return nil, err
	}
	if err := os.WriteFile(cp.Kubeconfig, env.KubeConfig, 0o600); err != nil {
		return stop(err)
	}
	if cp.Client, err = client.New(cfg, client.Options{Scheme: Scheme}); err != nil {
		return stop(err)
	}
	if cp.Clientset, err = kubernetes.NewForConfig(cfg); err != nil {
		return stop(err)
	}
	return cp, nil
}

// Stop stops kube-apiserver and etcd and removes envtest's temporary directories.
func (cp *ControlPlane) Stop() error {
	if cp == nil || cp.Env == nil {
		return nil
	}
	err := cp.Env.Stop()
	if cp.logFile != nil {
		_ = cp.logFile.Close()
	}
	if err != nil {
		return fmt.Errorf("stopping the local control plane: %w", err)
	}
	return nil
}

// Server is the kube-apiserver URL.
func (cp *ControlPlane) Server() string { return cp.Config.Host }
