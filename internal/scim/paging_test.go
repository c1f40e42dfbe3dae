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
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

func TestListPagingWithInsertMidListing(t *testing.T) {
	g := NewWithT(t)
	fake := startFake(t, scimfake.Options{Seed: 7})
	originals := make(map[string]bool)
	for i := range 1050 {
		u := fake.SeedUser(scim.User{UserName: fmt.Sprintf("user%04d@example.com", i)})
		originals[u.ID] = true
	}
	const lowID, highID = "99999999999999", "9999999999999999"
	var lists atomic.Int32
	fake.SetRequestHook(func(r scimfake.RequestRecord) {
		// After the first page: one object sorting before everything (it
		// shifts every offset by one, so page 2 repeats the end of page 1)
		// and one after everything (must be seen).
		if r.Class == scim.ClassList && lists.Add(1) == 2 {
			fake.SeedUser(scim.User{ID: lowID, UserName: "low@example.com"})
			fake.SeedUser(scim.User{ID: highID, UserName: "high@example.com"})
		}
	})
	c := newClient(t, fake)
	seen := make(map[string]int)
	err := c.ListUsers(context.Background(), scim.ListOptions{Attributes: []string{"id", "userName"}}, func(u scim.User) error {
		seen[u.ID]++
		return nil
	})
	g.Expect(err).NotTo(HaveOccurred())
	for id := range originals {
		g.Expect(seen[id]).To(Equal(1), "original %s seen %d times", id, seen[id])
	}
	g.Expect(seen[highID]).To(Equal(1))
	for id, n := range seen {
		g.Expect(n).To(Equal(1), "id %s delivered %d times", id, n)
	}
	// 1052 objects in pages of 100: 11 requests; the short last page that
	// reaches totalResults ends the listing without an extra empty page.
	g.Expect(lists.Load()).To(BeNumerically("==", 11))
}

func TestListStopsOnEmptyPageAndSurvivesBogusStartIndex(t *testing.T) {
	g := NewWithT(t)
	const total = 250
	var requests atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		start, _ := strconv.Atoi(r.URL.Query().Get("startIndex"))
		count, _ := strconv.Atoi(r.URL.Query().Get("count"))
		// A server that always echoes startIndex 1, reports no totalResults
		// and clamps pages to 40 items.
		resp := scim.ListResponse[scim.User]{StartIndex: 1}
		for i := start; i < start+min(count, 40) && i <= total; i++ {
			resp.Resources = append(resp.Resources, scim.User{ID: strconv.Itoa(i)})
		}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(ts.Close)
	c := clientFor(t, ts.URL, "tok")
	var n int
	g.Expect(c.ListUsers(context.Background(), scim.ListOptions{PageSize: 500}, func(scim.User) error { n++; return nil })).To(Succeed())
	g.Expect(n).To(Equal(total))
	g.Expect(requests.Load()).To(BeNumerically("==", 8), "7 pages of ≤40 plus the empty page")
}

func TestListCallbackErrorStops(t *testing.T) {
	g := NewWithT(t)
	fake := startFake(t, scimfake.Options{})
	for i := range 5 {
		fake.SeedGroup(scim.Group{DisplayName: fmt.Sprintf("g%d", i)})
	}
	c := newClient(t, fake)
	stop := fmt.Errorf("enough")
	var n int
	err := c.ListGroups(context.Background(), scim.ListOptions{PageSize: 2}, func(scim.Group) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	g.Expect(err).To(MatchError(stop))
	g.Expect(n).To(Equal(3))
}

func TestListOptionsReachServer(t *testing.T) {
	g := NewWithT(t)
	fake := startFake(t, scimfake.Options{})
	fake.SeedUser(scim.User{UserName: "a@example.com", DisplayName: "A", Roles: []scim.ComplexValue{{Value: scim.RoleAccountAdmin}}})
	c := newClient(t, fake)
	var got []scim.User
	err := c.ListUsers(context.Background(), scim.ListOptions{
		Filter:             scim.EqFilter("userName", "A@example.com"),
		Attributes:         []string{"userName", "roles", "displayName"},
		ExcludedAttributes: []string{"displayName"},
		PageSize:           10,
	}, func(u scim.User) error { got = append(got, u); return nil })
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(HaveLen(1))
	g.Expect(got[0].UserName).To(Equal("a@example.com"))
	g.Expect(got[0].DisplayName).To(BeEmpty())
	g.Expect(got[0].HasRole(scim.RoleAccountAdmin)).To(BeTrue())
	g.Expect(got[0].Active).To(BeNil(), "not requested")
	g.Expect(got[0].IsActive()).To(BeTrue())
	q := fake.Requests()[0].Query
	g.Expect(q).To(ContainSubstring("count=10"))
	g.Expect(q).To(ContainSubstring("startIndex=1"))
}
