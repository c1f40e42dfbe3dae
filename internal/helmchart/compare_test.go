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
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/scimops/databricks-scim-operator/internal/installer"
	"github.com/scimops/databricks-scim-operator/internal/localenv"
)

// The labels the chart adds to every object by design (docs/install.md).
// They are checked, then removed before the comparison with config/.
var chartLabels = []string{
	"helm.sh/chart", "app.kubernetes.io/name", "app.kubernetes.io/instance",
	"app.kubernetes.io/version", "app.kubernetes.io/managed-by",
}

// The chart with its default values renders what config/default renders
// (the release installer, with the image pinned to VERSION), object by
// object, except the Namespace (Helm's --create-namespace makes it).
func TestDefaultRenderMatchesConfigDefault(t *testing.T) {
	root, version := repoRoot(t), releaseVersion(t)
	chart := render(t, Options{})
	raw, err := installer.Render(root, installer.Image(version))
	if err != nil {
		t.Fatal(err)
	}
	kustomized, err := localenv.DecodeManifests(raw)
	if err != nil {
		t.Fatal(err)
	}
	compareObjects(t, chart, kustomized, version, []string{"Namespace//" + Namespace})
}

// The optional ServiceMonitor, PrometheusRule and NetworkPolicy render what
// config/prometheus and config/network-policy render through config/default's
// namespace and name prefix.
func TestOptionalPartsMatchConfig(t *testing.T) {
	root, version := repoRoot(t), releaseVersion(t)
	chart := render(t, Options{SkipCRDs: true, Values: map[string]any{
		"serviceMonitor": map[string]any{"enabled": true},
		"prometheusRule": map[string]any{"enabled": true},
		"networkPolicy":  map[string]any{"enabled": true},
	}})
	for dir, kinds := range map[string][]string{
		"prometheus":     {"PrometheusRule", "ServiceMonitor"},
		"network-policy": {"NetworkPolicy"},
	} {
		kustomized, err := localenv.RenderWithOverlay(filepath.Join(root, "config", dir), Namespace, localenv.NamePrefix)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(kinds, kindsOf(kustomized)); diff != "" {
			t.Fatalf("config/%s renders other kinds than the chart's optional parts (-want +got):\n%s", dir, diff)
		}
		for _, want := range kustomized {
			got := localenv.Find(chart, want.GetKind(), want.GetName())
			if got == nil {
				t.Errorf("the chart renders no %s (config/%s does): %v", localenv.Describe(want), dir, localenv.Kinds(chart))
				continue
			}
			compareObjects(t, []*unstructured.Unstructured{got}, []*unstructured.Unstructured{want}, version, nil)
		}
	}
}

// kindsOf lists the objects' kinds, sorted.
func kindsOf(objs []*unstructured.Unstructured) []string {
	kinds := make([]string, 0, len(objs))
	for _, o := range objs {
		kinds = append(kinds, o.GetKind())
	}
	sort.Strings(kinds)
	return kinds
}

// crds/ holds config/crd/bases byte for byte (make manifests copies them).
func TestCRDsAreConfigCRDs(t *testing.T) {
	root := repoRoot(t)
	bases := readDir(t, filepath.Join(root, "config", "crd", "bases"))
	crds := readDir(t, filepath.Join(Dir(root), "crds"))
	if diff := cmp.Diff(sortedKeys(bases), sortedKeys(crds)); diff != "" {
		t.Fatalf("charts/databricks-scim-operator/crds and config/crd/bases hold different files (-config +chart); run make manifests:\n%s", diff)
	}
	for name, want := range bases {
		if !bytes.Equal(want, crds[name]) {
			t.Errorf("crds/%s differs from config/crd/bases/%s; run make manifests", name, name)
		}
	}
}

// compareObjects matches chart and kustomized objects by kind, namespace and
// name, and compares each pair after normalise. kustomizeOnly lists the keys
// only config/ may render.
func compareObjects(t *testing.T, chart, kustomized []*unstructured.Unstructured, version string, kustomizeOnly []string) {
	t.Helper()
	byKey := func(objs []*unstructured.Unstructured) map[string]*unstructured.Unstructured {
		m := map[string]*unstructured.Unstructured{}
		for _, o := range objs {
			k := key(o)
			if _, dup := m[k]; dup {
				t.Errorf("%s is rendered twice", k)
			}
			m[k] = o
		}
		return m
	}
	c, k := byKey(chart), byKey(kustomized)
	var missing, extra []string
	for name := range k {
		if _, ok := c[name]; !ok && !slices.Contains(kustomizeOnly, name) {
			missing = append(missing, name)
		}
	}
	for name := range c {
		if _, ok := k[name]; !ok {
			extra = append(extra, name)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("the chart renders different objects than config/:\nonly in config/: %v\nonly in the chart: %v", missing, extra)
	}
	for name, want := range k {
		got, ok := c[name]
		if !ok {
			continue
		}
		g, w := got.DeepCopy(), want.DeepCopy()
		if g.GetKind() != "CustomResourceDefinition" {
			checkChartLabels(t, name, g, version)
		}
		normalise(t, name, g, "chart")
		normalise(t, name, w, "config")
		if diff := cmp.Diff(w.Object, g.Object); diff != "" {
			t.Errorf("%s differs between config/ and the chart (-config +chart):\n%s", name, diff)
		}
	}
}

func key(o *unstructured.Unstructured) string {
	return o.GetKind() + "/" + o.GetNamespace() + "/" + o.GetName()
}

// checkChartLabels checks the labels the chart adds by design.
func checkChartLabels(t *testing.T, name string, o *unstructured.Unstructured, version string) {
	t.Helper()
	want := map[string]string{
		"helm.sh/chart":                "databricks-scim-operator-" + version,
		"app.kubernetes.io/name":       "databricks-scim-operator",
		"app.kubernetes.io/instance":   ReleaseName,
		"app.kubernetes.io/version":    version,
		"app.kubernetes.io/managed-by": "Helm",
	}
	labels := o.GetLabels()
	for k, v := range want {
		if labels[k] != v {
			t.Errorf("%s: label %s is %q, want %q", name, k, labels[k], v)
		}
	}
}

// normalise removes what the chart adds by design and config/ sets only on
// some objects: the chart labels (config/ may only agree on
// app.kubernetes.io/name; its managed-by says kustomize), and empty lists
// and maps (`volumes: []` is no volume). Numbers are compared as JSON numbers.
func normalise(t *testing.T, name string, o *unstructured.Unstructured, side string) {
	t.Helper()
	labels := o.GetLabels()
	if side == "config" {
		if v, ok := labels["app.kubernetes.io/name"]; ok && v != "databricks-scim-operator" {
			t.Errorf("%s: config/ sets app.kubernetes.io/name=%q", name, v)
		}
		if v, ok := labels["app.kubernetes.io/managed-by"]; ok && v != "kustomize" {
			t.Errorf("%s: config/ sets app.kubernetes.io/managed-by=%q", name, v)
		}
	}
	for _, k := range chartLabels {
		delete(labels, k)
	}
	o.SetLabels(labels)
	// One number type on both sides (the two decoders differ), then prune.
	raw, err := json.Marshal(o.Object)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	o.Object = prune(m).(map[string]any)
}

// prune drops empty lists and maps, recursively.
func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			e = prune(e)
			if isEmpty(e) {
				continue
			}
			out[k] = e
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			out = append(out, prune(e))
		}
		return out
	default:
		return v
	}
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = raw
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
