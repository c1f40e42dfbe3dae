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
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// config/default's Deployment runs locally with its own flags, minus the
// bind addresses, and POD_NAMESPACE from the downward API.
func TestManagerFromDeployment(t *testing.T) {
	all, err := RenderKustomization(filesys.MakeFsOnDisk(), filepath.Join(repoRoot(t), "config", "default"))
	if err != nil {
		t.Fatal(err)
	}
	d := Find(all, "Deployment", NamePrefix+"controller-manager")
	if d == nil {
		t.Fatalf("config/default renders no manager Deployment: %v", Kinds(all))
	}
	dm, err := ManagerFromDeployment(d)
	if err != nil {
		t.Fatal(err)
	}
	if dm.Namespace != OperatorNamespace || dm.ServiceAccount != ServiceAccountName || !dm.Metrics {
		t.Errorf("got namespace %q, ServiceAccount %q, metrics %t", dm.Namespace, dm.ServiceAccount, dm.Metrics)
	}
	if want := []string{"--leader-elect"}; !slices.Equal(dm.Args, want) {
		t.Errorf("Args = %v, want %v", dm.Args, want)
	}
	if want := []string{"POD_NAMESPACE=" + OperatorNamespace}; !slices.Equal(dm.Env, want) {
		t.Errorf("Env = %v, want %v", dm.Env, want)
	}

	// What a process cannot reproduce is refused, not silently dropped.
	bad := d.DeepCopy()
	cs, _, _ := unstructured.NestedSlice(bad.Object, "spec", "template", "spec", "containers")
	cs[0].(map[string]any)["env"] = []any{map[string]any{"name": "TOKEN", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "s", "key": "k"}}}}
	_ = unstructured.SetNestedSlice(bad.Object, cs, "spec", "template", "spec", "containers")
	if _, err := ManagerFromDeployment(bad); err == nil || !strings.Contains(err.Error(), "env TOKEN") {
		t.Errorf("a secretKeyRef env was accepted (err %v)", err)
	}
	if _, err := ManagerFromDeployment(Find(all, "Service", NamePrefix+"controller-manager-metrics-service")); err == nil {
		t.Error("a Service was read as a Deployment")
	}
}

func TestServiceAccountOf(t *testing.T) {
	sa := func(ns, name string) *unstructured.Unstructured {
		o := &unstructured.Unstructured{}
		o.SetAPIVersion("v1")
		o.SetKind("ServiceAccount")
		o.SetNamespace(ns)
		o.SetName(name)
		return o
	}
	if ns, name, err := serviceAccountOf([]*unstructured.Unstructured{sa("ops", "mgr")}); err != nil || ns != "ops" || name != "mgr" {
		t.Errorf("serviceAccountOf = %q %q %v", ns, name, err)
	}
	if ns, _, err := serviceAccountOf([]*unstructured.Unstructured{sa("", "mgr")}); err != nil || ns != OperatorNamespace {
		t.Errorf("no namespace: got %q %v, want %s", ns, err, OperatorNamespace)
	}
	for _, objs := range [][]*unstructured.Unstructured{nil, {sa("a", "x"), sa("a", "y")}} {
		if _, _, err := serviceAccountOf(objs); err == nil {
			t.Errorf("%d ServiceAccounts were accepted", len(objs))
		}
	}
}
