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

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

var _ = Describe("Field indexes", func() {
	// Each index keeps only the form its queries use (indexes.go); these
	// queries are the controllers' own, through controller-runtime's cache
	// reader, so a change in how it names index keys fails here.
	It("answer the controllers' queries in the scope each is kept for, and only in it", func() {
		ctx := context.Background()
		s := newScenario()
		u := s.user("indexed", "indexed@example.com")
		g := s.group("indexed-team", "Indexed team", []v1.GroupMember{{UserRef: &v1.LocalObjectReference{Name: u.Name}}})
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		Expect(k8sClient.Create(ctx, g)).To(Succeed())
		expectCurrent(u)
		expectCurrent(g)

		names := func(list client.ObjectList) []string {
			var out []string
			Expect(forEachItem(list, func(o client.Object) { out = append(out, o.GetName()) })).To(Succeed())
			return out
		}
		usersBy := func(field, value string, opts ...client.ListOption) []string {
			var l v1.UserList
			Expect(listMatching(ctx, managerCache, &l, field, value, opts...)).To(Succeed())
			return names(&l)
		}
		Eventually(func(g Gomega) {
			var cur v1.User
			g.Expect(managerCache.Get(ctx, client.ObjectKeyFromObject(u), &cur)).To(Succeed())
			g.Expect(cur.Status.ID).NotTo(BeEmpty())
			u = &cur
		}).Should(Succeed())

		for field, value := range map[string]string{
			indexNaturalKey: naturalKeyIndexValue(u)[0],
			indexSCIMID:     scimIDIndexValue(u)[0],
			indexAccount:    s.account,
		} {
			Expect(usersBy(field, value)).To(Equal([]string{u.Name}), "cluster-wide query by %s", field)
			Expect(usersBy(field, value, client.InNamespace(s.namespace))).To(BeEmpty(),
				"%s keeps no per-namespace copy", field)
		}

		groupsBy := func(opts ...client.ListOption) []string {
			var l v1.GroupList
			Expect(listMatching(ctx, managerCache, &l, indexMemberRef, refUser+u.Name, opts...)).To(Succeed())
			return names(&l)
		}
		Expect(groupsBy(client.InNamespace(s.namespace))).To(Equal([]string{g.Name}), "query in the member's namespace")
		Expect(groupsBy()).To(BeEmpty(), "member references keep no cluster-wide copy")

		// The account recount reads the same index in place: the same
		// objects a list finds, and the cache's own (no copies).
		inPlace := func(field, value string) (names []string, objs []client.Object) {
			Expect((cachedReader{managerCache.(cache.Informers), managerCache}).forEach(ctx, userKind, "", field, value, func(o client.Object) {
				names, objs = append(names, o.GetName()), append(objs, o)
			})).To(Succeed())
			return names, objs
		}
		for field, value := range map[string]string{indexAccount: s.account, indexNaturalKey: naturalKeyIndexValue(u)[0]} {
			found, first := inPlace(field, value)
			Expect(found).To(Equal(usersBy(field, value)), "in place by %s", field)
			Expect(found).To(Equal([]string{u.Name}))
			_, again := inPlace(field, value)
			Expect(again[0]).To(BeIdenticalTo(first[0]), "read in place by %s", field)
		}
		none, _ := inPlace(indexNaturalKey, naturalKeyIndexValue(u)[0]+"x")
		Expect(none).To(BeEmpty(), "only exact values from a hashed bucket")

		// A reconcile reads its object the same way: the cache's own to
		// patch against, and a copy to change.
		reader := cachedReader{managerCache.(cache.Informers), managerCache}
		cached, obj, err := reader.getWithCopy(ctx, userKind, client.ObjectKeyFromObject(u))
		Expect(err).NotTo(HaveOccurred())
		_, inCache := inPlace(indexAccount, s.account)
		Expect(cached).To(BeIdenticalTo(inCache[0]), "the cache's own object")
		Expect(obj).NotTo(BeIdenticalTo(cached))
		Expect(obj.(*v1.User).Spec).To(Equal(cached.(*v1.User).Spec))
		Expect(obj.(*v1.User).Status).To(Equal(cached.(*v1.User).Status))
		obj.GetIdentityStatus().ID = "changed"
		Expect(cached.GetIdentityStatus().ID).To(Equal(u.Status.ID), "the copy shares nothing with the cache")
		_, _, err = reader.getWithCopy(ctx, userKind, client.ObjectKey{Namespace: s.namespace, Name: "missing"})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "a missing object reads as NotFound: %v", err)

		// Without an indexer (a plain client) both are copies.
		plain := cachedReader{nil, managerCache}
		cached, obj, err = plain.getWithCopy(ctx, userKind, client.ObjectKeyFromObject(u))
		Expect(err).NotTo(HaveOccurred())
		Expect(cached).NotTo(BeIdenticalTo(inCache[0]))
		Expect(obj).NotTo(BeIdenticalTo(cached))
		Expect(obj.GetIdentityStatus().ID).To(Equal(u.Status.ID))
		_, _, err = plain.getWithCopy(ctx, userKind, client.ObjectKey{Namespace: s.namespace, Name: "missing"})
		Expect(apierrors.IsNotFound(err)).To(BeTrue())
	})
})
