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
	"sync/atomic"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

func TestTokenRotation(t *testing.T) {
	g := NewWithT(t)
	const oldTok, newTok = "dapi-old-token-0000000000", "dapi-new-token-1111111111"
	fake := startFake(t, scimfake.Options{Tokens: []string{oldTok}})
	for i := range 450 {
		fake.SeedUser(scim.User{UserName: fmt.Sprintf("r%03d@example.com", i)})
	}
	var current atomic.Value
	current.Store(oldTok)
	c := newClient(t, fake, func(cfg *scim.Config) {
		cfg.Token = func(context.Context) (string, error) { return current.Load().(string), nil }
	})
	ctx := context.Background()
	g.Expect(c.Ping(ctx)).To(Succeed())

	// Regenerate: both valid for a while; the client picks the new one up
	// on its next request.
	fake.SetTokens(oldTok, newTok)
	current.Store(newTok)
	g.Expect(c.Ping(ctx)).To(Succeed())

	// The old token expires in the middle of a listing; the source already
	// returns the new one, so the listing completes.
	current.Store(oldTok)
	var lists atomic.Int32
	fake.SetRequestHook(func(r scimfake.RequestRecord) {
		if r.Class == scim.ClassList && lists.Add(1) == 2 {
			current.Store(newTok)
			fake.SetTokens(newTok)
		}
	})
	var n int
	g.Expect(c.ListUsers(ctx, scim.ListOptions{}, func(scim.User) error { n++; return nil })).To(Succeed())
	g.Expect(n).To(Equal(450))
	fake.SetRequestHook(nil)

	// A source still returning the expired token fails as unauthorized.
	current.Store(oldTok)
	err := c.Ping(ctx)
	g.Expect(scim.IsUnauthorized(err)).To(BeTrue(), "%v", err)
	g.Expect(err.Error()).NotTo(ContainSubstring(oldTok))
}

func TestUnknownAccountAndMissingToken(t *testing.T) {
	g := NewWithT(t)
	fake := startFake(t, scimfake.Options{})
	c := newClient(t, fake, func(cfg *scim.Config) { cfg.AccountID = "00000000-0000-0000-0000-00000000dead" })
	err := c.Ping(context.Background())
	g.Expect(scim.IsNotFound(err)).To(BeTrue(), "%v", err)

	c = newClient(t, fake, func(cfg *scim.Config) { cfg.Token = scim.StaticToken("wrong-token-value") })
	err = c.Ping(context.Background())
	g.Expect(scim.IsUnauthorized(err)).To(BeTrue(), "%v", err)
	g.Expect(err.Error()).NotTo(ContainSubstring("wrong-token-value"))
}
