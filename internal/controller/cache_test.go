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
	"runtime"
	"strings"
	"unique"
	"unsafe"

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

	It("makes the strings that repeat across objects share one copy, and leaves names and messages alone", func() {
		// Held, so the intern table keeps these values while the test runs
		// (it forgets a value once nothing holds its handle).
		var held []unique.Handle[string]
		for _, s := range []string{"team-a", "User", v1.GroupVersion.String(), v1.Finalizer, "prod", "Ready", "True", v1.ReasonSynced} {
			held = append(held, unique.Make(s))
		}
		decode := func(name string) *v1.User {
			in := &v1.User{
				TypeMeta:   metav1.TypeMeta{APIVersion: v1.GroupVersion.String(), Kind: "User"},
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team-a", Finalizers: []string{v1.Finalizer}},
				Spec:       v1.UserSpec{AccountRef: v1.AccountReference{Name: "prod"}, UserName: name + "@example.com"},
				Status: v1.UserStatus{IdentityStatus: v1.IdentityStatus{Conditions: []metav1.Condition{
					{Type: "Ready", Status: metav1.ConditionTrue, Reason: v1.ReasonSynced, Message: "User " + name + " is in sync"},
				}}},
			}
			raw, err := json.Marshal(in)
			Expect(err).NotTo(HaveOccurred())
			decoded := &v1.User{}
			Expect(json.Unmarshal(raw, decoded)).To(Succeed())
			want := decoded.DeepCopy()
			out, err := CacheTransform()(decoded)
			Expect(err).NotTo(HaveOccurred())
			Expect(out).To(Equal(want), "interning changes no value")
			return out.(*v1.User)
		}
		a, b := decode("alice"), decode("bob")
		shared := func(x, y string) bool { return unsafe.StringData(x) == unsafe.StringData(y) }
		Expect(shared(a.Namespace, b.Namespace)).To(BeTrue(), "namespace")
		Expect(shared(a.Kind, b.Kind)).To(BeTrue(), "kind")
		Expect(shared(a.APIVersion, b.APIVersion)).To(BeTrue(), "apiVersion")
		Expect(shared(a.Finalizers[0], b.Finalizers[0])).To(BeTrue(), "finalizer")
		Expect(shared(a.Spec.AccountRef.Name, b.Spec.AccountRef.Name)).To(BeTrue(), "account")
		ca, cb := a.Status.Conditions[0], b.Status.Conditions[0]
		Expect(shared(ca.Type, cb.Type) && shared(string(ca.Status), string(cb.Status)) && shared(ca.Reason, cb.Reason)).To(BeTrue(), "condition type, status and reason")
		// Per-object strings get no intern entry: the same text decoded
		// twice stays two copies.
		again := decode("alice")
		Expect(shared(a.Name, again.Name)).To(BeFalse(), "name")
		Expect(shared(a.Spec.UserName, again.Spec.UserName)).To(BeFalse(), "userName")
		Expect(shared(ca.Message, again.Status.Conditions[0].Message)).To(BeFalse(), "message")
		runtime.KeepAlive(held)
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
