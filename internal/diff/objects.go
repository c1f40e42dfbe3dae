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

package diff

import (
	"context"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/naturalkey"
)

// Objects is an in-memory Resources: a fixed set of User, ServicePrincipal
// and Group resources (the files `kubectl databricks plan` reads). It is not
// safe for concurrent modification; reads may run concurrently.
type Objects struct {
	byKey  map[string]client.Object
	groups []*v1.Group // sorted by namespace/name
}

// NewObjects holds objs (other kinds are ignored). Get returns copies.
func NewObjects(objs ...client.Object) *Objects {
	o := &Objects{byKey: map[string]client.Object{}}
	for _, obj := range objs {
		kind := kindOf(obj)
		if kind == "" {
			continue
		}
		o.byKey[kind+"/"+obj.GetNamespace()+"/"+obj.GetName()] = obj
		if g, ok := obj.(*v1.Group); ok {
			o.groups = append(o.groups, g)
		}
	}
	sort.Slice(o.groups, func(i, j int) bool {
		return o.groups[i].Namespace+"/"+o.groups[i].Name < o.groups[j].Namespace+"/"+o.groups[j].Name
	})
	return o
}

func kindOf(obj client.Object) string {
	switch obj.(type) {
	case *v1.User:
		return "User"
	case *v1.ServicePrincipal:
		return "ServicePrincipal"
	case *v1.Group:
		return "Group"
	}
	return ""
}

var resourceOf = map[string]string{"User": "users", "ServicePrincipal": "serviceprincipals", "Group": "groups"}

// Get implements Resources: a copy of the object, or a NotFound error.
func (o *Objects) Get(_ context.Context, key types.NamespacedName, obj client.Object, _ ...client.GetOption) error {
	kind := kindOf(obj)
	if kind == "" {
		return fmt.Errorf("diff.Objects holds no %T", obj)
	}
	found, ok := o.byKey[kind+"/"+key.Namespace+"/"+key.Name]
	if !ok {
		return apierrors.NewNotFound(schema.GroupResource{Group: v1.GroupVersion.Group, Resource: resourceOf[kind]}, key.Name)
	}
	switch dst := obj.(type) {
	case *v1.User:
		found.(*v1.User).DeepCopyInto(dst)
	case *v1.ServicePrincipal:
		found.(*v1.ServicePrincipal).DeepCopyInto(dst)
	case *v1.Group:
		found.(*v1.Group).DeepCopyInto(dst)
	}
	return nil
}

// GroupNamed implements Resources: the first Group, by namespace and name,
// bound to account with displayName's natural key.
func (o *Objects) GroupNamed(_ context.Context, account, displayName string) (*v1.Group, error) {
	for _, g := range o.groups {
		if g.Spec.AccountRef.Name == account && naturalkey.Equal(g.Spec.DisplayName, displayName) {
			return g.DeepCopy(), nil
		}
	}
	return nil, nil
}
