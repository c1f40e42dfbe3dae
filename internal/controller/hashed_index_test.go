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
	"slices"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

// collidingUsers returns two users whose natural keys fall into the same
// bucket of the natural-key index (found by trying names: the seed is
// random per process).
func collidingUsers(t *testing.T) (*v1.User, *v1.User) {
	t.Helper()
	seen := map[string]*v1.User{}
	for i := range 100_000 {
		u := stepUser(fmt.Sprintf("user-%d", i), func(u *v1.User) { u.Spec.UserName = fmt.Sprintf("user-%d@example.com", i) })
		b := bucketOf(naturalKeyIndexValue(u)[0])
		if other, ok := seen[b]; ok {
			return other, u
		}
		seen[b] = u
	}
	t.Fatal("no two of 100,000 natural keys share a bucket")
	return nil, nil
}

func TestListMatchingKeepsOnlyTheValueFromASharedBucket(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	a, b := collidingUsers(t)
	c := newStepClient(t, a, b, stepUser("unrelated", func(u *v1.User) { u.Spec.UserName = "unrelated@example.com" }))
	key := naturalKeyIndexValue(a)[0]

	var bucket v1.UserList
	g.Expect(c.List(ctx, &bucket, client.MatchingFields{indexNaturalKey: bucketOf(key)})).To(Succeed())
	g.Expect(bucket.Items).To(HaveLen(2), "the index keeps both users in one bucket")

	for _, opts := range [][]client.ListOption{nil, {client.UnsafeDisableDeepCopy}} {
		var l v1.UserList
		g.Expect(listMatching(ctx, c, &l, indexNaturalKey, key, opts...)).To(Succeed())
		g.Expect(l.Items).To(HaveLen(1))
		g.Expect(l.Items[0].Name).To(Equal(a.Name))
	}

	var none v1.UserList
	g.Expect(listMatching(ctx, c, &none, indexNaturalKey, naturalKeyIndexValue(a)[0]+"x")).To(Succeed())
	g.Expect(none.Items).To(BeEmpty())
}

// collidingRefs returns two user names whose member references ("user/<name>")
// fall into the same bucket of the member-reference index.
func collidingRefs(t *testing.T) (string, string) {
	t.Helper()
	seen := map[string]string{}
	for i := range 100_000 {
		name := fmt.Sprintf("user-%d", i)
		b := bucketOf(refUser + name)
		if other, ok := seen[b]; ok {
			return other, name
		}
		seen[b] = name
	}
	t.Fatal("no two of 100,000 member references share a bucket")
	return "", ""
}

func TestMemberReferencesWakeOnlyTheGroupsThatNameTheMember(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	named, sameBucket := collidingRefs(t)
	group := func(namespace, name string, members ...v1.GroupMember) *v1.Group {
		return &v1.Group{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
			Spec:       v1.GroupSpec{AccountRef: v1.AccountReference{Name: stepAccountName}, DisplayName: name, Members: members},
		}
	}
	ref := func(n string) *v1.LocalObjectReference { return &v1.LocalObjectReference{Name: n} }
	c := newStepClient(t,
		group(stepNamespace, "admins", v1.GroupMember{UserRef: ref(named)}, v1.GroupMember{UserName: sameBucket + "@example.com"}),
		// Same names, other kinds: a service principal and a nested group.
		group(stepNamespace, "robots", v1.GroupMember{ServicePrincipalRef: ref(sameBucket)}, v1.GroupMember{GroupRef: ref(sameBucket)}),
		// Another tenant's group naming the same user name in its own namespace.
		group("team-b", "theirs", v1.GroupMember{UserRef: ref(named)}),
	)
	groupsNaming := func(ref string) []string {
		var l v1.GroupList
		g.Expect(listMatching(ctx, c, &l, indexMemberRef, ref, client.InNamespace(stepNamespace))).To(Succeed())
		var out []string
		for _, it := range l.Items {
			out = append(out, it.Name)
		}
		return out
	}
	var bucket v1.GroupList
	g.Expect(c.List(ctx, &bucket, client.InNamespace(stepNamespace), client.MatchingFields{indexMemberRef: bucketOf(refUser + sameBucket)})).To(Succeed())
	g.Expect(bucket.Items).NotTo(BeEmpty(), "the bucket of %q holds the group naming %q", sameBucket, named)

	g.Expect(groupsNaming(refUser + named)).To(Equal([]string{"admins"}))
	g.Expect(groupsNaming(refUser+sameBucket)).To(BeEmpty(), "a shared bucket, a userName member or another kind's reference is not a reference")
	g.Expect(groupsNaming(refSP + sameBucket)).To(Equal([]string{"robots"}))
	g.Expect(groupsNaming(refGroup + sameBucket)).To(Equal([]string{"robots"}))
	g.Expect(groupsNaming(refUser+named[:len(named)-1])).To(BeEmpty(), "a prefix of a name is not the name")
}

// The exact tests of the natural-key and SCIM-id buckets answer as the
// index values do, for every kind, and build no strings for the common
// (lower-case ASCII) key.
func TestBucketTestsAgreeWithTheIndexValues(t *testing.T) {
	sp := func(appID, name string) *v1.ServicePrincipal {
		s := &v1.ServicePrincipal{ObjectMeta: metav1.ObjectMeta{Name: "sp", Namespace: stepNamespace}}
		s.Spec.AccountRef.Name, s.Spec.ApplicationID, s.Spec.DisplayName = stepAccountName, appID, name
		return s
	}
	group := &v1.Group{ObjectMeta: metav1.ObjectMeta{Name: "g", Namespace: stepNamespace}}
	group.Spec.AccountRef.Name, group.Spec.DisplayName, group.Status.ID = stepAccountName, "Data Engineers", "g-1"
	objects := []identityObject{
		stepUser("plain", func(u *v1.User) { u.Spec.UserName = "alice@example.com" }, withID("u-1")),
		stepUser("upper", func(u *v1.User) { u.Spec.UserName = "Alice@Example.com" }),
		stepUser("folded", func(u *v1.User) { u.Spec.UserName = "STRASSE@example.com" }),
		stepUser("other-account", func(u *v1.User) { u.Spec.AccountRef.Name = "other"; u.Spec.UserName = "alice@example.com" }, withID("u-1")),
		sp("0b8e3c1a-7f2d-4e5a-9c6b-1d2e3f4a5b6c", "etl"),
		sp("", "etl"),
		group,
	}
	values := func(o client.Object) []string {
		return append(naturalKeyIndexValue(o), scimIDIndexValue(o)...)
	}
	var candidates []string
	for _, o := range objects {
		for _, v := range values(o) {
			candidates = append(candidates, v, v[:len(v)-1], v+"x", "x"+v, "other/"+v)
		}
	}
	candidates = append(candidates, stepAccountName+"/straße@example.com", stepAccountName+"/user:straße@example.com", stepAccountName+"/", "", stepAccountName+"/user:")
	for _, o := range objects {
		for _, v := range candidates {
			if got, want := hasNaturalKey(o, v), slices.Contains(naturalKeyIndexValue(o), v); got != want {
				t.Errorf("%s: hasNaturalKey(%q) = %v, the index has it: %v", o.GetName(), v, got, want)
			}
			if got, want := hasSCIMID(o, v), slices.Contains(scimIDIndexValue(o), v); got != want {
				t.Errorf("%s: hasSCIMID(%q) = %v, the index has it: %v", o.GetName(), v, got, want)
			}
		}
	}

	plain, key, id := objects[0], naturalKeyIndexValue(objects[0])[0], scimIDIndexValue(objects[0])[0]
	if allocs := testing.AllocsPerRun(100, func() {
		if !hasNaturalKey(plain, key) || !hasSCIMID(plain, id) {
			t.Fatal("the object does not have its own values")
		}
	}); allocs != 0 {
		t.Errorf("the bucket tests allocate %v times per object, want 0", allocs)
	}
}
