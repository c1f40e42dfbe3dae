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

package helmchart

import (
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/scimops/databricks-scim-operator/internal/installer"
	"github.com/scimops/databricks-scim-operator/internal/testenv"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root := testenv.RepoRoot()
	if _, err := os.Stat(Dir(root)); err != nil {
		t.Fatalf("the chart is not at %s: %v", Dir(root), err)
	}
	return root
}

func releaseVersion(t *testing.T) string {
	t.Helper()
	v, err := installer.ReadVersion(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func render(t *testing.T, opts Options) []*unstructured.Unstructured {
	t.Helper()
	objs, err := Render(t.Context(), repoRoot(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// A release bump cannot forget the chart: its version and appVersion, and
// so the default image tag, are the VERSION file's.
func TestChartVersionIsRelease(t *testing.T) {
	version := releaseVersion(t)
	raw, err := os.ReadFile(filepath.Join(Dir(repoRoot(t)), "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Version    string `json:"version"`
		AppVersion string `json:"appVersion"`
	}
	if err := yaml.Unmarshal(raw, &meta); err != nil {
		t.Fatal(err)
	}
	if meta.APIVersion != "v2" {
		t.Errorf("Chart.yaml apiVersion is %q, want v2 (installable by Helm 3 and 4)", meta.APIVersion)
	}
	if meta.Version != version || meta.AppVersion != version {
		t.Errorf("Chart.yaml has version %q and appVersion %q; the VERSION file says %q: change them together", meta.Version, meta.AppVersion, version)
	}
	d := deployment(t, render(t, Options{SkipCRDs: true}), "databricks-scim-controller-manager")
	if got, want := containerImage(t, d), installer.Image(version); got != want {
		t.Errorf("the default image is %q, want %q", got, want)
	}
}

func deployment(t *testing.T, objs []*unstructured.Unstructured, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == "Deployment" && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no Deployment %s rendered", name)
	return nil
}

func container(t *testing.T, d *unstructured.Unstructured) map[string]any {
	t.Helper()
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if len(cs) != 1 {
		t.Fatalf("the Deployment has %d containers, want 1", len(cs))
	}
	return cs[0].(map[string]any)
}

func containerImage(t *testing.T, d *unstructured.Unstructured) string {
	t.Helper()
	image, _, _ := unstructured.NestedString(container(t, d), "image")
	return image
}
