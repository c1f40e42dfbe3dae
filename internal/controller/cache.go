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

package controller

import (
	"unique"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

// lastAppliedAnnotation is where client-side `kubectl apply` (and Argo CD,
// which applies that way by default) keeps a copy of the whole object.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// CacheTransform drops, before an object enters the manager's cache, what
// no controller reads and what would otherwise double the cache: managed
// fields and the last-applied copy of the object. Controllers only patch
// (never update) objects, so neither is lost on the server. It also trims
// the slices the decoder grew (see compactSlices) and makes the strings
// every object repeats share one copy (see internStrings).
func CacheTransform() toolscache.TransformFunc {
	stripManagedFields := cache.TransformStripManagedFields()
	return func(in any) (any, error) {
		in, err := stripManagedFields(in)
		if err != nil {
			return in, err
		}
		obj, err := meta.Accessor(in)
		if err != nil {
			return in, nil
		}
		if a := obj.GetAnnotations(); a != nil {
			if _, ok := a[lastAppliedAnnotation]; ok {
				kept := make(map[string]string, len(a)-1)
				for k, v := range a {
					if k != lastAppliedAnnotation {
						kept[k] = v
					}
				}
				obj.SetAnnotations(kept)
			}
		}
		compactSlices(in)
		internStrings(in)
		return in, nil
	}
}

// compactSlices copies the slices of a cached object to their length. The
// JSON decoder grows a slice by appending, so three conditions are decoded
// into room for four and a group's 50 members into room for 64: the spare
// capacity would live as long as the cached object.
func compactSlices(in any) {
	if obj, ok := in.(metav1.Object); ok {
		obj.SetFinalizers(compact(obj.GetFinalizers()))
	}
	if id, ok := in.(v1.Identity); ok {
		st := id.GetIdentityStatus()
		st.Conditions = compact(st.Conditions)
	}
	switch o := in.(type) {
	case *v1.Group:
		o.Spec.Members = compact(o.Spec.Members)
		o.Status.UnresolvedMembers = compact(o.Status.UnresolvedMembers)
	case *v1.DatabricksAccount:
		o.Status.Conditions = compact(o.Status.Conditions)
	}
}

// compact returns s with no spare capacity (s itself when it has none, or
// is empty: an empty slice stays distinct from a missing one).
func compact[S ~[]E, E any](s S) S {
	if len(s) == 0 || cap(s) == len(s) {
		return s
	}
	return append(make(S, 0, len(s)), s...)
}

// internStrings replaces the strings that repeat across cached objects with
// one shared copy: the decoder allocates every string anew, so 10,000 users
// held 10,000 copies of their kind, namespace, account name, finalizer,
// policies and each condition's type, status and reason. Names, ids and
// messages differ per object and are left alone: interning them would only
// add an entry per object to the intern table.
func internStrings(in any) {
	if obj, ok := in.(metav1.Object); ok {
		obj.SetNamespace(unique.Make(obj.GetNamespace()).Value())
		fins := obj.GetFinalizers()
		for i := range fins {
			fins[i] = unique.Make(fins[i]).Value()
		}
	}
	if id, ok := in.(v1.Identity); ok {
		internConditions(id.GetIdentityStatus().Conditions)
	}
	if t, ok := in.(runtime.Object); ok {
		// Through TypeMeta itself: SetGroupVersionKind would build a new
		// apiVersion string.
		if tm, ok := t.GetObjectKind().(*metav1.TypeMeta); ok {
			intern(&tm.APIVersion)
			intern(&tm.Kind)
		}
	}
	switch o := in.(type) {
	case *v1.User:
		intern(&o.Spec.AccountRef.Name)
		intern(&o.Spec.AdoptionPolicy)
		intern(&o.Spec.ManagementPolicy)
		intern(&o.Spec.DeletionPolicy)
	case *v1.ServicePrincipal:
		intern(&o.Spec.AccountRef.Name)
		intern(&o.Spec.AdoptionPolicy)
		intern(&o.Spec.ManagementPolicy)
		intern(&o.Spec.DeletionPolicy)
	case *v1.Group:
		intern(&o.Spec.AccountRef.Name)
		intern(&o.Spec.AdoptionPolicy)
		intern(&o.Spec.ManagementPolicy)
		intern(&o.Spec.DeletionPolicy)
		intern(&o.Spec.MembershipPolicy)
	case *v1.DatabricksAccount:
		internConditions(o.Status.Conditions)
	}
}

func internConditions(conds []metav1.Condition) {
	for i := range conds {
		c := &conds[i]
		c.Type = unique.Make(c.Type).Value()
		c.Status = unique.Make(c.Status).Value()
		c.Reason = unique.Make(c.Reason).Value()
	}
}

// intern replaces *p, of any string type, with its shared copy.
func intern[S ~string](p *S) { *p = unique.Make(*p).Value() }
