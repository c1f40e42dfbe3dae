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
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// filterIgnoringServer lists every object of a resource whatever the filter,
// like a server that ignored it, and records the filters it was sent.
type filterIgnoringServer struct {
	mu      sync.Mutex
	filters []string
	objects map[string][]any // by resource: "Users", "Groups", "ServicePrincipals"
}

func (s *filterIgnoringServer) start(t *testing.T) *httptest.Server {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.filters = append(s.filters, r.URL.Query().Get("filter"))
		s.mu.Unlock()
		res := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		all := s.objects[res]
		var page []any
		if start, _ := strconv.Atoi(r.URL.Query().Get("startIndex")); start <= 1 {
			page = all
		}
		w.Header().Set("Content-Type", "application/scim+json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"schemas": []string{scim.SchemaListResponse}, "totalResults": len(all),
			"startIndex": 1, "itemsPerPage": len(page), "Resources": page,
		})
	}))
	t.Cleanup(ts.Close)
	return ts
}

// TestFindRechecksByNaturalKey: the re-check after a filtered list compares
// with naturalkey.Key: case-insensitive and NFKC, but nothing is trimmed or
// stripped, so a name with a trailing no-break space, line separator,
// vertical tab or zero-width space is a different name.
func TestFindRechecksByNaturalKey(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	srv := &filterIgnoringServer{objects: map[string][]any{
		"Users": {
			scim.User{ID: "1", UserName: "admin@corp.com\u00a0"},
			scim.User{ID: "2", UserName: "admin@corp.com\u2028"},
			scim.User{ID: "3", UserName: "admin@corp.com\v"},
			scim.User{ID: "4", UserName: " admin@corp.com"},
			scim.User{ID: "5", UserName: "admin@corp.com"},
			scim.User{ID: "6", UserName: "ｏｔｈｅｒ@corp.com"},
		},
		"Groups": {
			scim.Group{ID: "11", DisplayName: "\u200b"},
			scim.Group{ID: "12", DisplayName: "data eng\u3000"},
			scim.Group{ID: "13", DisplayName: "data\u200beng"},
			scim.Group{ID: "14", DisplayName: "Data Eng"},
			scim.Group{ID: "15", DisplayName: "ＡＤＭＩＮＳ"},
		},
		"ServicePrincipals": {
			scim.ServicePrincipal{ID: "21", ApplicationID: "6ef14233-a641-4f1e-905a-9158cbd3b353\u00a0"},
			scim.ServicePrincipal{ID: "22", ApplicationID: "6EF14233-A641-4F1E-905A-9158CBD3B353"},
		},
	}}
	c := clientFor(t, srv.start(t).URL, "token")

	u, err := c.FindUserByUserName(ctx, "ADMIN@corp.com")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(u).NotTo(BeNil())
	g.Expect(u.ID).To(Equal("5"), "only the name without the trailing or leading character matches")

	u, err = c.FindUserByUserName(ctx, "admin@corp.com\u00a0")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(u.ID).To(Equal("1"), "an odd name matches only itself")

	u, err = c.FindUserByUserName(ctx, "other@CORP.com")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(u).NotTo(BeNil(), "full-width letters are the same name after NFKC")
	g.Expect(u.ID).To(Equal("6"))

	u, err = c.FindUserByUserName(ctx, "nobody@corp.com")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(u).To(BeNil())

	grp, err := c.FindGroupByDisplayName(ctx, "data eng")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(grp).NotTo(BeNil())
	g.Expect(grp.ID).To(Equal("14"), "neither U+3000 nor U+200B is ignored")

	grp, err = c.FindGroupByDisplayName(ctx, "admins")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(grp).NotTo(BeNil())
	g.Expect(grp.ID).To(Equal("15"), "full-width upper case is the same name")

	grp, err = c.FindGroupByDisplayName(ctx, "dataeng")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(grp).To(BeNil(), "a zero-width space is not stripped")

	sp, err := c.FindServicePrincipalByApplicationID(ctx, "6ef14233-a641-4f1e-905a-9158cbd3b353")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(sp).NotTo(BeNil())
	g.Expect(sp.ID).To(Equal("22"), "applicationId is a UUID: case-insensitive, nothing trimmed")

	// The filters sent are unchanged: userName lower-cased like Databricks
	// stores it, the others as given.
	g.Expect(srv.filters).To(ContainElements(
		`userName eq "admin@corp.com"`,
		`displayName eq "data eng"`,
		`applicationId eq "6ef14233-a641-4f1e-905a-9158cbd3b353"`,
	))
}
