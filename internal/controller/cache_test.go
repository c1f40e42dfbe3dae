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
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

var _ = Describe("Cache transform", func() {
	It("drops managed fields and the last-applied copy, and keeps every other annotation", func() {
		u := &v1.User{ObjectMeta: metav1.ObjectMeta{
			Annotations:   map[string]string{lastAppliedAnnotation: strings.Repeat("x", 4096), AnnotationReconcileRequestedAt: "now"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
		}}
		out, err := CacheTransform()(u)
		Expect(err).NotTo(HaveOccurred())
		cached := out.(*v1.User)
		Expect(cached.ManagedFields).To(BeNil())
		Expect(cached.Annotations).To(Equal(map[string]string{AnnotationReconcileRequestedAt: "now"}))
	})

	It("trims the spare capacity the decoder leaves in a cached object's slices, and keeps their contents", func() {
		members := make([]v1.GroupMember, 50)
		for i := range members {
			members[i] = v1.GroupMember{UserName: fmt.Sprintf("user-%d@example.com", i)}
		}
		in := &v1.Group{
			ObjectMeta: metav1.ObjectMeta{Finalizers: []string{v1.Finalizer, "example.com/a", "example.com/b"}},
			Spec:       v1.GroupSpec{Members: members},
			Status: v1.GroupStatus{IdentityStatus: v1.IdentityStatus{Conditions: []metav1.Condition{
				{Type: "Ready"}, {Type: "Synced"}, {Type: "Conflict"},
			}}},
		}
		raw, err := json.Marshal(in)
		Expect(err).NotTo(HaveOccurred())
		decoded := &v1.Group{}
		Expect(json.Unmarshal(raw, decoded)).To(Succeed())
		Expect(cap(decoded.Spec.Members)).To(BeNumerically(">", 50), "the decoder grows slices by appending")
		Expect(cap(decoded.Status.Conditions)).To(BeNumerically(">", 3))
		Expect(cap(decoded.Finalizers)).To(BeNumerically(">", 3))
		want := decoded.DeepCopy()

		out, err := CacheTransform()(decoded)
		Expect(err).NotTo(HaveOccurred())
		cached := out.(*v1.Group)
		Expect(cached.Spec.Members).To(Equal(want.Spec.Members))
		Expect(cached.Status.Conditions).To(Equal(want.Status.Conditions))
		Expect(cached.Finalizers).To(Equal(want.Finalizers))
		Expect(cap(cached.Spec.Members)).To(Equal(50))
		Expect(cap(cached.Status.Conditions)).To(Equal(3))
		Expect(cap(cached.Finalizers)).To(Equal(3))
	})

	It("leaves the last-applied annotation on the server through the controller's writes", func() {
		ctx := context.Background()
		s := newScenario()
		u := s.user("applied", "applied@example.com")
		u.Annotations = map[string]string{lastAppliedAnnotation: `{"kind":"User"}`}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectCurrent(u) // finalizer and status were patched from the cached copy
		patchObject(u, func(u *v1.User) { u.Spec.DisplayName = "Applied" })
		expectCurrent(u)
		var onServer v1.User
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(u), &onServer)).To(Succeed())
		Expect(onServer.Annotations).To(HaveKeyWithValue(lastAppliedAnnotation, `{"kind":"User"}`))
		Expect(onServer.Finalizers).To(ContainElement(v1.Finalizer))
	})
})
