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
	"context"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

// Field indexes on the manager's cache.
const (
	// indexNaturalKey: "<account>/<kind>:<natural key>", to find resources
	// that target the same remote object (conflicts).
	indexNaturalKey = ".spec.naturalKey"
	// indexAccount: spec.accountRef.name, to wake identities when their account changes.
	indexAccount = ".spec.accountRef.name"
	// indexMemberRef: "<kind>/<name>" of each Group member reference, to wake a
	// group when a referenced resource changes.
	indexMemberRef = ".spec.members.ref"
)

func userNaturalKey(u *v1.User) string {
	return u.Spec.AccountRef.Name + "/user:" + key(u.Spec.UserName)
}

func spNaturalKey(s *v1.ServicePrincipal) string {
	if s.Spec.ApplicationID != "" {
		return s.Spec.AccountRef.Name + "/sp-app:" + key(s.Spec.ApplicationID)
	}
	return s.Spec.AccountRef.Name + "/sp-name:" + key(s.Spec.DisplayName)
}

func groupNaturalKey(g *v1.Group) string {
	return g.Spec.AccountRef.Name + "/group:" + key(g.Spec.DisplayName)
}

func naturalKeyOf(obj client.Object) string {
	switch o := obj.(type) {
	case *v1.User:
		return userNaturalKey(o)
	case *v1.ServicePrincipal:
		return spNaturalKey(o)
	case *v1.Group:
		return groupNaturalKey(o)
	}
	return ""
}

const (
	refUser  = "user/"
	refSP    = "sp/"
	refGroup = "group/"
)

func memberRefs(g *v1.Group) []string {
	var refs []string
	for _, m := range g.Spec.Members {
		switch {
		case m.UserRef != nil:
			refs = append(refs, refUser+m.UserRef.Name)
		case m.ServicePrincipalRef != nil:
			refs = append(refs, refSP+m.ServicePrincipalRef.Name)
		case m.GroupRef != nil:
			refs = append(refs, refGroup+m.GroupRef.Name)
		}
	}
	return refs
}

// SetupIndexes registers the field indexes every controller relies on.
func SetupIndexes(ctx context.Context, mgr ctrl.Manager) error {
	idx := mgr.GetFieldIndexer()
	for _, obj := range []client.Object{&v1.User{}, &v1.ServicePrincipal{}, &v1.Group{}} {
		if err := idx.IndexField(ctx, obj, indexNaturalKey, func(o client.Object) []string {
			return []string{naturalKeyOf(o)}
		}); err != nil {
			return err
		}
		if err := idx.IndexField(ctx, obj, indexSCIMID, scimIDIndexValue); err != nil {
			return err
		}
		if err := idx.IndexField(ctx, obj, indexAccount, func(o client.Object) []string {
			return []string{o.(v1.Identity).GetAccountName()}
		}); err != nil {
			return err
		}
	}
	return idx.IndexField(ctx, &v1.Group{}, indexMemberRef, func(o client.Object) []string {
		return memberRefs(o.(*v1.Group))
	})
}

// requestsFor lists the objects matching an index value as reconcile requests.
func requestsFor(ctx context.Context, c client.Client, list client.ObjectList, field, value string) []reconcile.Request {
	if err := c.List(ctx, list, client.MatchingFields{field: value}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Failed to list objects to enqueue", "index", field, "value", value)
		return nil
	}
	var reqs []reconcile.Request
	_ = forEachItem(list, func(o client.Object) {
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()}})
	})
	return reqs
}

// groupsReferencing wakes the groups in obj's namespace that name obj as a member.
func groupsReferencing(c client.Client, prefix string) func(context.Context, client.Object) []reconcile.Request {
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		var groups v1.GroupList
		if err := c.List(ctx, &groups, client.InNamespace(obj.GetNamespace()), client.MatchingFields{indexMemberRef: prefix + obj.GetName()}); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "Failed to list groups to enqueue")
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(groups.Items))
		for i := range groups.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&groups.Items[i])})
		}
		return reqs
	}
}

// sameKeyResources wakes every resource with the same natural key as obj, so
// a conflict resolves as soon as the owner goes away.
func sameKeyResources(c client.Client, newList func() client.ObjectList) func(context.Context, client.Object) []reconcile.Request {
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		k := naturalKeyOf(obj)
		if strings.HasSuffix(k, ":") {
			return nil
		}
		var out []reconcile.Request
		for _, r := range requestsFor(ctx, c, newList(), indexNaturalKey, k) {
			if r.Name != obj.GetName() || r.Namespace != obj.GetNamespace() {
				out = append(out, r)
			}
		}
		return out
	}
}
