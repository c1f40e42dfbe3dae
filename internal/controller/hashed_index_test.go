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
	"testing"

	. "github.com/onsi/gomega"
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
