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
	"k8s.io/apimachinery/pkg/api/meta"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// lastAppliedAnnotation is where client-side `kubectl apply` (and Argo CD,
// which applies that way by default) keeps a copy of the whole object.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// CacheTransform drops, before an object enters the manager's cache, what
// no controller reads and what would otherwise double the cache: managed
// fields and the last-applied copy of the object. Controllers only patch
// (never update) objects, so neither is lost on the server.
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
		return in, nil
	}
}
