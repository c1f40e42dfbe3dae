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

package scim

import (
	"encoding/json"
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
)

func TestOperationJSON(t *testing.T) {
	cases := []struct {
		op   Operation
		want string
	}{
		{ReplaceActive(false), `{"op":"replace","path":"active","value":[{"value":"false"}]}`},
		{ReplaceActive(true), `{"op":"replace","path":"active","value":[{"value":"true"}]}`},
		{ReplaceDisplayName(""), `{"op":"replace","path":"displayName","value":""}`},
		{ReplaceExternalID("e"), `{"op":"replace","path":"externalId","value":"e"}`},
		{ReplaceName("Ada", ""), `{"op":"replace","path":"name","value":{"givenName":"Ada"}}`},
		{AddRole(RoleAccountAdmin), `{"op":"add","path":"roles","value":[{"value":"account_admin"}]}`},
		{RemoveRole(RoleAccountAdmin), `{"op":"remove","path":"roles[value eq \"account_admin\"]"}`},
		{AddMembers("1", "2"), `{"op":"add","path":"members","value":[{"value":"1"},{"value":"2"}]}`},
		{RemoveMember("12"), `{"op":"remove","path":"members[value eq \"12\"]"}`},
	}
	for _, tc := range cases {
		raw, err := json.Marshal(tc.op)
		NewWithT(t).Expect(err).NotTo(HaveOccurred())
		NewWithT(t).Expect(string(raw)).To(Equal(tc.want))
	}
}

func TestEqFilter(t *testing.T) {
	g := NewWithT(t)
	g.Expect(EqFilter("userName", "a@b.com")).To(Equal(`userName eq "a@b.com"`))
	g.Expect(EqFilter("userName", `a"b\c`)).To(Equal(`userName eq "a\"b\\c"`))
	g.Expect(EqFilter("displayName", "tab\there\x01")).To(Equal(`displayName eq "tab\there\u0001"`))
	g.Expect(EqFilter("displayName", "Ünïcode")).To(Equal(`displayName eq "Ünïcode"`))
}

func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

func TestMemberPatches(t *testing.T) {
	g := NewWithT(t)
	g.Expect(MemberPatches(nil, nil)).To(BeNil())

	small := MemberPatches([]string{"1", "2"}, []string{"3"})
	g.Expect(small).To(HaveLen(1))
	g.Expect(small[0]).To(Equal([]Operation{AddMembers("1", "2"), RemoveMember("3")}))

	count := func(ops []Operation) int {
		n := 0
		for _, op := range ops {
			if v, ok := op.Value.([]ComplexValue); ok {
				n += len(v)
			} else {
				n++
			}
		}
		return n
	}
	add, remove := ids("a", 2500), ids("r", 700)
	chunks := MemberPatches(add, remove)
	total := 0
	for _, ops := range chunks {
		g.Expect(count(ops)).To(BeNumerically("<=", MaxMembersPerPatch))
		total += count(ops)
	}
	g.Expect(total).To(Equal(3200))
	g.Expect(chunks).To(HaveLen(4))
	g.Expect(count(chunks[2])).To(Equal(MaxMembersPerPatch), "third request: 500 adds + 500 removes")
	g.Expect(chunks[2][0]).To(Equal(AddMembers(add[2000:]...)))
	g.Expect(MemberPatches(nil, ids("r", MaxMembersPerPatch))).To(HaveLen(1))
}

func TestConfigValidation(t *testing.T) {
	tok := StaticToken("t")
	base := Config{Host: "https://accounts.cloud.databricks.com", AccountID: "acct", Token: tok}
	ok := func(mod func(*Config)) error {
		cfg := base
		mod(&cfg)
		_, err := New(cfg)
		return err
	}
	g := NewWithT(t)
	g.Expect(ok(func(*Config) {})).To(Succeed())
	g.Expect(ok(func(c *Config) { c.Host = "https://accounts.cloud.databricks.com/" })).To(Succeed())
	for _, h := range []string{"http://localhost:8080", "http://127.0.0.5:1", "http://[::1]:9"} {
		g.Expect(IsHostNotAllowed(ok(func(c *Config) { c.Host = h }))).To(BeTrue(), "loopback needs the flag: %s", h)
		g.Expect(ok(func(c *Config) { c.Host, c.Hosts.AllowLoopback = h, true })).To(Succeed(), h)
	}
	g.Expect(ok(func(c *Config) { c.Hosts.Allowed = []string{"https://x"} })).To(MatchError(ContainSubstring("not a URL")))
	for _, h := range []string{"http://accounts.cloud.databricks.com", "accounts.cloud.databricks.com", "",
		"https://accounts.cloud.databricks.com/api", "https://u:p@host", "ftp://host", "http://10.0.0.1"} {
		g.Expect(ok(func(c *Config) { c.Host = h })).NotTo(Succeed(), h)
	}
	g.Expect(ok(func(c *Config) { c.AccountID = "" })).NotTo(Succeed())
	g.Expect(ok(func(c *Config) { c.AccountID = "a/b" })).NotTo(Succeed())
	g.Expect(ok(func(c *Config) { c.APIVersion = "2.0" })).To(Succeed())
	g.Expect(ok(func(c *Config) { c.APIVersion = "3" })).NotTo(Succeed())
	g.Expect(ok(func(c *Config) { c.Token = nil })).NotTo(Succeed())

	c, err := New(base)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.base).To(Equal("https://accounts.cloud.databricks.com/api/2.1/accounts/acct/scim/v2/"))
	g.Expect(c.cfg.HTTPClient.CheckRedirect).NotTo(BeNil())
	g.Expect(c.cfg.MaxResponseBytes).To(Equal(int64(DefaultMaxResponseBytes)))
}

func TestLimitsDefaults(t *testing.T) {
	g := NewWithT(t)
	g.Expect(Limits{}.withDefaults()).To(Equal(DefaultLimits))
	g.Expect(Limits{Patch: 7}.withDefaults().Patch).To(Equal(7.0))
	g.Expect(DefaultLimits.Scale(10)).To(Equal(Limits{Get: 200, List: 40, Patch: 20, Write: 50}))
}
