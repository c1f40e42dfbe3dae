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

package scim_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

// BenchmarkListUsers10k lists 10,000 users through the client from the fake
// (rate limits off on both sides), requesting the attributes the inventory
// compares. Client and server share the process, so ns/object and
// allocs/object include the fake's work.
func BenchmarkListUsers10k(b *testing.B) {
	const n = 10_000
	fake := startFake(b, scimfake.Options{Seed: 1})
	for i := range n {
		u := scim.User{
			UserName:    fmt.Sprintf("user%05d@example.com", i),
			DisplayName: fmt.Sprintf("User %05d", i),
			Name:        &scim.Name{GivenName: "Given", FamilyName: fmt.Sprintf("Family%05d", i)},
			ExternalID:  fmt.Sprintf("ext-%05d", i),
		}
		if i%100 == 0 {
			u.Roles = []scim.ComplexValue{{Value: scim.RoleAccountAdmin}}
		}
		fake.SeedUser(u)
	}
	c := newClient(b, fake)
	opts := scim.ListOptions{Attributes: []string{"id", "userName", "displayName", "active", "externalId", "name", "roles"}}
	ctx := context.Background()

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var got int
		if err := c.ListUsers(ctx, opts, func(scim.User) error { got++; return nil }); err != nil {
			b.Fatal(err)
		}
		if got != n {
			b.Fatalf("listed %d users, want %d", got, n)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	objects := float64(b.N) * n
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/objects, "ns/object")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/objects, "allocs/object")
}
