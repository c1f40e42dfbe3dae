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

package scimtest_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimtest"
)

func TestUnsetMethodFailsAndIsRecorded(t *testing.T) {
	g := NewWithT(t)
	c := &scimtest.Client{}
	u, err := c.GetUser(context.Background(), "u1")
	g.Expect(u).To(BeNil())
	g.Expect(err).To(MatchError("scimtest: unexpected call to GetUser(u1)"))
	var unexpected *scimtest.UnexpectedCallError
	g.Expect(errors.As(err, &unexpected)).To(BeTrue())
	g.Expect(unexpected.Call).To(Equal("GetUser(u1)"))
	g.Expect(scim.IsNotFound(err)).To(BeFalse(), "an unexpected call must not look like an API answer")
	g.Expect(c.Ping(context.Background())).To(MatchError("scimtest: unexpected call to Ping"))
	g.Expect(c.Unexpected()).To(Equal([]string{"GetUser(u1)", "Ping"}))
	g.Expect(c.Calls()).To(Equal([]string{"GetUser(u1)", "Ping"}))
}

func TestSetMethodIsCalledAndRecorded(t *testing.T) {
	g := NewWithT(t)
	c := scimtest.New(t)
	c.CreateUserFunc = func(_ context.Context, u scim.User) (*scim.User, error) {
		u.ID = "u9"
		return &u, nil
	}
	c.PatchUserFunc = func(context.Context, string, []scim.Operation) error { return scimtest.HTTPError(400) }
	created, err := c.CreateUser(context.Background(), scim.User{UserName: "alice@example.com"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(created.ID).To(Equal("u9"))
	err = c.PatchUser(context.Background(), "u9", []scim.Operation{scim.ReplaceActive(false)})
	apiErr, ok := scim.AsAPIError(err)
	g.Expect(ok).To(BeTrue())
	g.Expect(apiErr.StatusCode).To(Equal(400))
	g.Expect(c.Calls()).To(Equal([]string{"CreateUser(alice@example.com)", "PatchUser(u9)"}))
	g.Expect(c.Count("PatchUser")).To(Equal(1))
	g.Expect(c.Count("Patch")).To(Equal(0), "Count matches whole method names")
	g.Expect(c.Unexpected()).To(BeEmpty())
	c.Reset()
	g.Expect(c.Calls()).To(BeEmpty())
}

func TestListsServeAnAccount(t *testing.T) {
	g := NewWithT(t)
	c := scimtest.New(t)
	c.Lists([]scim.User{{ID: "u1"}, {ID: "u2"}}, []scim.ServicePrincipal{{ID: "s1"}}, nil)
	var ids []string
	g.Expect(c.ListUsers(context.Background(), scim.ListOptions{}, func(u scim.User) error {
		ids = append(ids, u.ID)
		return nil
	})).To(Succeed())
	g.Expect(c.ListServicePrincipals(context.Background(), scim.ListOptions{}, func(s scim.ServicePrincipal) error {
		ids = append(ids, s.ID)
		return nil
	})).To(Succeed())
	g.Expect(c.ListGroups(context.Background(), scim.ListOptions{}, func(scim.Group) error {
		return errors.New("no group expected")
	})).To(Succeed())
	g.Expect(ids).To(Equal([]string{"u1", "u2", "s1"}))
	g.Expect(c.Calls()).To(Equal([]string{"ListUsers", "ListServicePrincipals", "ListGroups"}))
}

func TestThrottledHTTPErrorCarriesRetryAfter(t *testing.T) {
	g := NewWithT(t)
	g.Expect(scim.IsThrottled(scimtest.HTTPError(429))).To(BeTrue())
	g.Expect(scimtest.HTTPError(429).RetryAfter).To(BeNumerically(">", 0))
	g.Expect(scimtest.HTTPError(502).RetryAfter).To(BeZero())
	g.Expect(scim.IsAlreadyExists(scimtest.HTTPError(409))).To(BeTrue())
}

func TestRecordingIsConcurrencySafe(t *testing.T) {
	g := NewWithT(t)
	c := &scimtest.Client{PingFunc: func(context.Context) error { return nil }}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				_ = c.Ping(context.Background())
				_, _ = c.GetGroup(context.Background(), "g1")
				_ = c.Calls()
			}
		})
	}
	wg.Wait()
	g.Expect(c.Count("Ping")).To(Equal(400))
	g.Expect(c.Unexpected()).To(HaveLen(400))
}
