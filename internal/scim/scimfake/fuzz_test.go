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

package scimfake

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// fuzzServer is a small account shared by the fuzz targets.
func fuzzServer() (*Server, scim.User, scim.Group) {
	s := New(Options{Seed: 1})
	u := s.SeedUser(scim.User{UserName: "fuzz@example.com", DisplayName: "Fuzz", ExternalID: "x"})
	s.SeedServicePrincipal(scim.ServicePrincipal{DisplayName: "bot"})
	g := s.SeedGroup(scim.Group{DisplayName: "grp", Members: []scim.ComplexValue{{Value: u.ID}}})
	return s, u, g
}

func serveDirect(s *Server, method, target string, body []byte) int {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.Token())
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Code
}

// FuzzFilter: whatever the filter, the fake never panics and answers 200 or
// a 400; compiled filters evaluate without panicking.
func FuzzFilter(f *testing.F) {
	for _, seed := range []string{
		`userName eq "a@b.c"`, `displayName co "x" or (externalId sw "y" and id ne "1")`,
		`not (userName pr)`, `emails[type eq "work" and value co "@"]`, `userName eq "\u00e9\""`,
		`id eq 12`, `a eq true`, `((((`, `userName eq "`, `urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"`,
	} {
		f.Add(seed)
	}
	s, _, _ := fuzzServer()
	sample := scim.User{ID: "1", UserName: "fuzz@example.com", DisplayName: "Fuzz"}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, version := range []string{"2.0", "2.1"} {
			for _, res := range []scim.Resource{scim.ResourceUsers, scim.ResourceGroups, scim.ResourceServicePrincipals} {
				if cf, aerr := compileFilter(raw, version, res); aerr == nil {
					cf.match(userAttrs(&sample))
				} else if aerr.status != http.StatusBadRequest {
					t.Fatalf("status %d for %q", aerr.status, raw)
				}
				target := "/api/" + version + "/accounts/" + s.AccountID() + "/scim/v2/" + string(res) + "?filter=" + url.QueryEscape(raw)
				if code := serveDirect(s, http.MethodGet, target, nil); code != 200 && code != 400 {
					t.Fatalf("%s %s: status %d for %q", version, res, code, raw)
				}
			}
		}
	})
}

// FuzzPatch: arbitrary PATCH bodies get a 2xx or a 4xx, never a panic or 5xx.
func FuzzPatch(f *testing.F) {
	for _, seed := range []string{
		`{"Operations":[{"op":"add","path":"members","value":[{"value":"1"}]}]}`,
		`{"Operations":[{"op":"remove","path":"members[value eq \"1\"]","value":""}]}`,
		`{"Operations":[{"op":"replace","value":{"displayName":"x","active":"false","name":{"givenName":"g"}}}]}`,
		`{"Operations":[{"op":"replace","path":"active","value":[{"value":[1]}]}]}`,
		`{"Operations":[{"op":"add","path":"roles","value":{"value":"account_admin"}}]}`,
		`{"Operations":[{"op":"remove","path":"roles[value eq \"a\" or value eq \"b\"]"}]}`,
		`{"Operations":null}`, `[]`, `{}`,
	} {
		f.Add(seed, true)
	}
	s, u, g := fuzzServer()
	f.Fuzz(func(t *testing.T, body string, group bool) {
		target := "/api/2.1/accounts/" + s.AccountID() + "/scim/v2/Users/" + u.ID
		if group {
			target = "/api/2.1/accounts/" + s.AccountID() + "/scim/v2/Groups/" + g.ID
		}
		code := serveDirect(s, http.MethodPatch, target, []byte(body))
		if code >= 500 || code < 200 {
			t.Fatalf("status %d for %q", code, body)
		}
	})
}
