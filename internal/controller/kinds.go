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
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/inventory"
)

// identityObject is a User, ServicePrincipal or Group.
type identityObject interface {
	client.Object
	v1.Identity
}

// kind describes one identity kind to the controller builder, the watches,
// the change router and the engine.
type kind struct {
	// name names the controller; kindName is the API kind.
	name, kindName string
	newObject      func() identityObject
	newList        func() client.ObjectList
	// prototype names the kind to the cache (which informer); it is never
	// read or written.
	prototype identityObject
	// keyName is the name the natural key is made of and the prefix that
	// tells the kinds' keys apart (naturalKey); name is "" when the spec
	// names none.
	keyName func(identityObject) (prefix, name string)
	// keys lists the natural keys the spec names (its own and its members'),
	// for validation.
	keys func(identityObject) []string
}

var (
	userKind = kind{
		name: "user", kindName: "User",
		newObject: func() identityObject { return &v1.User{} },
		newList:   func() client.ObjectList { return &v1.UserList{} },
		prototype: &v1.User{},
		keyName: func(o identityObject) (string, string) {
			return "user:", o.(*v1.User).Spec.UserName
		},
		keys: func(o identityObject) []string { return []string{o.(*v1.User).Spec.UserName} },
	}
	servicePrincipalKind = kind{
		name: "serviceprincipal", kindName: "ServicePrincipal",
		newObject: func() identityObject { return &v1.ServicePrincipal{} },
		newList:   func() client.ObjectList { return &v1.ServicePrincipalList{} },
		prototype: &v1.ServicePrincipal{},
		keyName: func(o identityObject) (string, string) {
			s := o.(*v1.ServicePrincipal)
			if s.Spec.ApplicationID != "" {
				return "sp-app:", s.Spec.ApplicationID
			}
			return "sp-name:", s.Spec.DisplayName
		},
		keys: func(o identityObject) []string {
			s := o.(*v1.ServicePrincipal)
			return nonEmpty(s.Spec.ApplicationID, s.Spec.DisplayName)
		},
	}
	groupKind = kind{
		name: "group", kindName: "Group",
		newObject: func() identityObject { return &v1.Group{} },
		newList:   func() client.ObjectList { return &v1.GroupList{} },
		prototype: &v1.Group{},
		keyName: func(o identityObject) (string, string) {
			return "group:", o.(*v1.Group).Spec.DisplayName
		},
		keys: func(o identityObject) []string {
			g := o.(*v1.Group)
			keys := []string{g.Spec.DisplayName}
			for _, m := range g.Spec.Members {
				keys = append(keys, nonEmpty(m.UserName, m.ApplicationID, m.GroupDisplayName)...)
			}
			return keys
		},
	}
	identityKinds = []kind{userKind, servicePrincipalKind, groupKind}
)

// naturalKey is what identifies the remote object within a Databricks
// account, e.g. "user:alice@example.com"; "" when the spec names none.
func (k kind) naturalKey(o identityObject) string { return keyed(k.keyName(o)) }

func keyed(prefix, value string) string {
	if value == "" {
		return ""
	}
	return prefix + inventory.Key(value)
}

// kindOf returns the descriptor of obj's kind.
func kindOf(obj client.Object) kind {
	switch obj.(type) {
	case *v1.ServicePrincipal:
		return servicePrincipalKind
	case *v1.Group:
		return groupKind
	default:
		return userKind
	}
}

func nonEmpty(values ...string) []string {
	var out []string
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
