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

package remote

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

const secret = "dapi-0123456789abcdef-secret"

func TestLoadToken(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		g.Expect(os.WriteFile(p, []byte(content), 0o600)).To(Succeed())
		return p
	}
	noEnv := func(string) string { return "" }

	tok, err := LoadToken(write("nl", secret+"\n"), noEnv)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tok).To(Equal(secret), "a trailing newline is not part of the token")
	tok, err = LoadToken(write("crlf", "  "+secret+"\r\n"), noEnv)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tok).To(Equal(secret))

	tok, err = LoadToken("", func(k string) string {
		if k == TokenEnv {
			return secret + "\n"
		}
		return ""
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tok).To(Equal(secret))

	for name, tc := range map[string]struct {
		file string
		env  string
		want string
	}{
		"nothing":            {want: "no SCIM token: give --token-file FILE or set DATABRICKS_SCIM_TOKEN"},
		"empty file":         {file: write("empty", "\n\n"), want: "is empty"},
		"empty env":          {env: " \n", want: "$DATABRICKS_SCIM_TOKEN is empty"},
		"two lines":          {file: write("two", secret+"\n"+secret+"\n"), want: "white space or control characters inside"},
		"missing file":       {file: filepath.Join(dir, "missing"), want: "no such file"},
		"control characters": {env: secret + "\x00x", want: "white space or control characters inside"},
	} {
		_, err := LoadToken(tc.file, func(string) string { return tc.env })
		g.Expect(err).To(MatchError(ContainSubstring(tc.want)), name)
		g.Expect(err.Error()).NotTo(ContainSubstring(secret), name)
	}
}

func TestNewClientHostPolicy(t *testing.T) {
	g := NewWithT(t)
	cfg := Config{AccountID: scimfake.DefaultAccountID, Token: secret}
	for host, want := range map[string]string{
		"http://accounts.example.com":   "must use https",
		"http://127.0.0.1:8080":         "loopback host, which is only for tests and demos: add --allow-loopback-host",
		"https://localhost":             "add --allow-loopback-host",
		"accounts.cloud.databricks.com": "is not a URL",
		"https://user:pw@example.com":   "no user info",
	} {
		cfg.Host = host
		_, err := NewClient(cfg)
		g.Expect(err).To(MatchError(ContainSubstring(want)), host)
		g.Expect(err.Error()).NotTo(ContainSubstring("pw"))
	}
	cfg.Host = "https://accounts.example.com:8443"
	_, err := NewClient(cfg)
	g.Expect(err).NotTo(HaveOccurred(), "a https host the user names is allowed")
	cfg.Host, cfg.AllowLoopback = "http://127.0.0.1:8080", true
	_, err = NewClient(cfg)
	g.Expect(err).NotTo(HaveOccurred())
}

// calls counts SCIM calls by class.
type calls struct {
	mu sync.Mutex
	n  map[scim.Class]int
}

func (c *calls) observe(info scim.CallInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[scim.Class]int{}
	}
	c.n[info.Class]++
}

func (c *calls) get(class scim.Class) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[class]
}

func TestReadListsOnceAndGetsOnlyWantedGroups(t *testing.T) {
	g := NewWithT(t)
	fake := scimfake.New(scimfake.Options{Tokens: []string{secret}})
	srv := fake.Start()
	t.Cleanup(srv.Close)
	var ids []string
	for i := range 150 {
		u := fake.SeedUser(scim.User{UserName: fmt.Sprintf("u%03d@example.com", i), Roles: adminIf(i == 0)})
		ids = append(ids, u.ID)
	}
	sp := fake.SeedServicePrincipal(scim.ServicePrincipal{DisplayName: "etl"})
	fake.SeedGroup(scim.Group{DisplayName: "admins", Members: []scim.ComplexValue{{Value: ids[0]}}})
	for i := range 5 {
		fake.SeedGroup(scim.Group{DisplayName: fmt.Sprintf("g%d", i), Roles: adminIf(i == 1),
			Members: []scim.ComplexValue{{Value: ids[i]}, {Value: sp.ID}}})
	}

	var n calls
	c, err := NewClient(Config{Host: srv.URL, AccountID: fake.AccountID(), Token: secret, AllowLoopback: true,
		Limits: scim.Limits{Get: -1, List: -1}, Observer: n.observe})
	g.Expect(err).NotTo(HaveOccurred())
	var out bytes.Buffer
	snap, err := Read(context.Background(), c, ReadOptions{
		WantGroup: func(g scim.Group) bool { return g.DisplayName != "admins" && g.DisplayName != "g4" },
		Progress:  &Progress{Out: &out, Every: -1},
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(snap.Users).To(HaveLen(150))
	admins := 0
	for _, u := range snap.Users {
		if u.HasRole(scim.RoleAccountAdmin) {
			admins++
			g.Expect(u.UserName).To(Equal("u000@example.com"))
		}
	}
	g.Expect(admins).To(Equal(1), "roles are listed")
	g.Expect(snap.ServicePrincipals).To(HaveLen(1))
	g.Expect(snap.Groups).To(HaveLen(6))
	byName := map[string]scim.Group{}
	for _, grp := range snap.Groups {
		byName[grp.DisplayName] = grp
	}
	g.Expect(byName["g1"].Members).To(HaveLen(2))
	g1 := byName["g1"]
	g.Expect(g1.HasRole(scim.RoleAccountAdmin)).To(BeTrue())
	g.Expect(scim.MemberResource(byName["g1"].Members[0])).NotTo(BeEmpty())
	g.Expect(byName["g4"].Members).To(BeEmpty(), "not wanted: not read")

	// The floor: list pages (2 + 1 + 1) and one GET per wanted group.
	g.Expect(n.get(scim.ClassList)).To(Equal(4))
	g.Expect(n.get(scim.ClassGet)).To(Equal(4))
	g.Expect(fake.Writes()).To(BeZero())
	g.Expect(out.String()).To(ContainSubstring("reading the account: 150 users, 1 service principals, 6 groups, members of 4/4 groups"))
}

func adminIf(b bool) []scim.ComplexValue {
	if !b {
		return nil
	}
	return []scim.ComplexValue{{Value: scim.RoleAccountAdmin}}
}

func TestReadExplainsAWrongTokenWithoutShowingIt(t *testing.T) {
	g := NewWithT(t)
	fake := scimfake.New(scimfake.Options{Tokens: []string{"the-right-one"}})
	srv := fake.Start()
	t.Cleanup(srv.Close)
	c, err := NewClient(Config{Host: srv.URL, AccountID: fake.AccountID(), Token: secret, AllowLoopback: true})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = Read(context.Background(), c, ReadOptions{})
	g.Expect(err).To(MatchError(ContainSubstring("the account refused the token")))
	g.Expect(err.Error()).To(ContainSubstring("401"))
	g.Expect(err.Error()).NotTo(ContainSubstring(secret))

	c, err = NewClient(Config{Host: srv.URL, AccountID: "00000000-0000-4000-8000-0000000000ff", Token: "the-right-one", AllowLoopback: true})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = Read(context.Background(), c, ReadOptions{})
	g.Expect(err).To(MatchError(ContainSubstring("the account was not found")))
	g.Expect(strings.Count(err.Error(), "the-right-one")).To(BeZero())
}

func TestReadObeysRetryAfter(t *testing.T) {
	g := NewWithT(t)
	// The fake allows one list page per second; the client, told to send
	// lists unpaced, gets a 429 with Retry-After, pauses and retries.
	fake := scimfake.New(scimfake.Options{Tokens: []string{secret}, RateLimits: scim.Limits{List: 1}})
	srv := fake.Start()
	t.Cleanup(srv.Close)
	fake.SeedGroup(scim.Group{DisplayName: "g"})
	c, err := NewClient(Config{Host: srv.URL, AccountID: fake.AccountID(), Token: secret, AllowLoopback: true,
		Limits: scim.Limits{List: -1}})
	g.Expect(err).NotTo(HaveOccurred())
	snap, err := Read(context.Background(), c, ReadOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(snap.Groups).To(HaveLen(1))
	var throttled, listed int
	for _, r := range fake.Requests() {
		switch {
		case r.Status == http.StatusTooManyRequests && r.RetryAfter > 0:
			throttled++
		case r.Class == scim.ClassList && r.Status == http.StatusOK:
			listed++
		}
	}
	g.Expect(throttled).To(BeNumerically(">=", 1), "the fake throttled")
	g.Expect(listed).To(Equal(3), "every list page was read in the end")
}
