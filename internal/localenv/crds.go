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
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// WaitEstablished waits until every CustomResourceDefinition among objs is
// Established and its kinds are served, as `kubectl wait
// --for=condition=Established` would.
func (cp *ControlPlane) WaitEstablished(ctx context.Context, objs []*unstructured.Unstructured, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, o := range objs {
		if o.GetKind() != "CustomResourceDefinition" {
			continue
		}
		kind, _, _ := unstructured.NestedString(o.Object, "spec", "names", "kind")
		group, _, _ := unstructured.NestedString(o.Object, "spec", "group")
		if err := poll(ctx, func() (bool, error) {
			return cp.established(ctx, o.GetName(), schema.GroupKind{Group: group, Kind: kind})
		}); err != nil {
			return fmt.Errorf("CustomResourceDefinition %s is not established: %w", o.GetName(), err)
		}
	}
	return nil
}

func (cp *ControlPlane) established(ctx context.Context, name string, gk schema.GroupKind) (bool, error) {
	crd := &unstructured.Unstructured{}
	crd.SetGroupVersionKind(schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"})
	if err := cp.Client.Get(ctx, types.NamespacedName{Name: name}, crd); err != nil {
		return false, client.IgnoreNotFound(err)
	}
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	if !slices.ContainsFunc(conds, func(raw any) bool {
		m, _ := raw.(map[string]any)
		return m["type"] == "Established" && m["status"] == "True"
	}) {
		return false, nil
	}
	// The client's REST mapper must also know the kind before objects of it can be applied.
	if _, err := cp.Client.RESTMapper().RESTMapping(gk); err != nil {
		return false, nil // not served yet: poll again
	}
	return true, nil
}

// poll calls cond every 50ms until it is true, fails, or ctx ends.
func poll(ctx context.Context, cond func() (bool, error)) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
