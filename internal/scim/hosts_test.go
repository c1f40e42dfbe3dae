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
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

func TestHostPolicyDefaultsAllowTheAccountConsoles(t *testing.T) {
	g := NewWithT(t)
	g.Expect(scim.DefaultAllowedHosts).To(ConsistOf(
		"accounts.cloud.databricks.com", "accounts.cloud.databricks.us", "accounts-dod.cloud.databricks.mil",
		"accounts.azuredatabricks.net", "accounts.azuredatabricks.us", "accounts.azuredatabricks.cn",
		"accounts.gcp.databricks.com"))
	for _, h := range scim.DefaultAllowedHosts {
		for _, p := range []scim.HostPolicy{{}, {AllowLoopback: true}} {
			g.Expect(p.Check("https://"+h)).To(Succeed(), h)
			g.Expect(p.Check("https://"+h+"/")).To(Succeed(), h)
			g.Expect(p.Check("https://"+h+":443")).To(Succeed(), h)
			g.Expect(p.Check(" HTTPS://"+strings.ToUpper(h)+" ")).To(Succeed(), h)
			g.Expect(scim.IsHostNotAllowed(p.Check("http://"+h))).To(BeTrue(), "http %s", h)
			g.Expect(scim.IsHostNotAllowed(p.Check("https://"+h+":8443"))).To(BeTrue(), "other port %s", h)
		}
	}
}

func TestHostPolicyCheck(t *testing.T) {
	defaults := scim.HostPolicy{}
	loopback := scim.HostPolicy{AllowLoopback: true}
	listed := scim.HostPolicy{Allowed: []string{"scim.example.com", "10.0.0.1", "[fd00::1]:8443", "127.0.0.1:9443"}}
	cases := []struct {
		name   string
		policy scim.HostPolicy
		host   string
		ok     bool
		// want is in the message of a refusal; hidden never is.
		want, hidden string
	}{
		{name: "kubernetes API", policy: loopback, host: "https://kubernetes.default.svc", want: "--allowed-hosts"},
		{name: "metadata service", policy: loopback, host: "https://169.254.169.254", want: `add "169.254.169.254" to the manager's --allowed-hosts flag`},
		{name: "metadata service over http", policy: loopback, host: "http://169.254.169.254", want: "must use https"},
		{name: "private IP", policy: defaults, host: "https://10.0.0.1", want: "--allowed-hosts"},
		{name: "other host", policy: defaults, host: "https://evil.example.com", want: `host "https://evil.example.com" is not allowed`},
		{name: "suffix of an allowed host", policy: defaults, host: "https://accounts.cloud.databricks.com.evil.com"},
		{name: "prefix of an allowed host", policy: defaults, host: "https://evil-accounts.cloud.databricks.com"},
		{name: "trailing dot", policy: defaults, host: "https://accounts.cloud.databricks.com."},
		{name: "user info", policy: defaults, host: "https://user@accounts.cloud.databricks.com", want: "no user info", hidden: "user@"},
		{name: "password", policy: defaults, host: "https://u:SECRET-PASSWORD@accounts.cloud.databricks.com", hidden: "SECRET"},
		{name: "user info hiding another host", policy: defaults, host: "https://accounts.cloud.databricks.com@evil.com"},
		{name: "path", policy: defaults, host: "https://accounts.cloud.databricks.com/api/2.1", want: "no user info, path", hidden: "/api"},
		{name: "query", policy: defaults, host: "https://accounts.cloud.databricks.com?x=SECRET", hidden: "SECRET"},
		{name: "empty query", policy: defaults, host: "https://accounts.cloud.databricks.com?"},
		{name: "fragment", policy: defaults, host: "https://accounts.cloud.databricks.com#SECRET", hidden: "SECRET"},
		{name: "backslash", policy: defaults, host: `https://evil.com\@accounts.cloud.databricks.com`},
		{name: "no scheme", policy: defaults, host: "accounts.cloud.databricks.com", want: "not an absolute https URL"},
		{name: "other scheme", policy: loopback, host: "ftp://localhost:21"},
		{name: "empty", policy: defaults, host: "", want: "empty"},
		{name: "empty port", policy: defaults, host: "https://accounts.cloud.databricks.com:"},
		{name: "port 0", policy: loopback, host: "http://127.0.0.1:0", want: "port"},
		{name: "loopback without the flag", policy: defaults, host: "http://127.0.0.1:1234", want: "--allow-loopback-hosts"},
		{name: "loopback https without the flag", policy: defaults, host: "https://localhost:1234", want: "--allow-loopback-hosts"},
		{name: "IPv6 loopback without the flag", policy: defaults, host: "http://[::1]:9", want: "--allow-loopback-hosts"},
		{name: "loopback IP", policy: loopback, host: "http://127.0.0.1:1234", ok: true},
		{name: "other loopback IP", policy: loopback, host: "http://127.1.2.3:1234", ok: true},
		{name: "localhost", policy: loopback, host: "http://localhost:9", ok: true},
		{name: "LOCALHOST", policy: loopback, host: "http://LOCALHOST:9", ok: true},
		{name: "IPv6 loopback", policy: loopback, host: "http://[::1]:9", ok: true},
		{name: "loopback over https", policy: loopback, host: "https://127.0.0.1:8443", ok: true},
		{name: "localhost with a trailing dot", policy: loopback, host: "http://localhost.:9"},
		{name: "subdomain of localhost", policy: loopback, host: "http://evil.localhost:9"},
		{name: "unspecified address", policy: loopback, host: "http://0.0.0.0:9"},
		{name: "listed host", policy: listed, host: "https://SCIM.example.com", ok: true},
		{name: "defaults are replaced by a list", policy: listed, host: "https://accounts.cloud.databricks.com"},
		{name: "listed IP", policy: listed, host: "https://10.0.0.1", ok: true},
		{name: "listed IP, other port", policy: listed, host: "https://10.0.0.1:8443"},
		{name: "listed IP over http", policy: listed, host: "http://10.0.0.1"},
		{name: "listed IPv6 with port", policy: listed, host: "https://[fd00:0::1]:8443", ok: true},
		{name: "listed IPv6, default port", policy: listed, host: "https://[fd00::1]"},
		{name: "listed loopback without the flag", policy: listed, host: "https://127.0.0.1:9443", ok: true},
		{name: "listed loopback over http without the flag", policy: listed, host: "http://127.0.0.1:9443"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			err := tc.policy.Check(tc.host)
			if tc.ok {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(err).To(HaveOccurred())
			g.Expect(scim.IsHostNotAllowed(err)).To(BeTrue(), "%T %v", err, err)
			g.Expect(scim.IsHostNotAllowed(errors.Join(errors.New("wrapped"), err))).To(BeTrue())
			g.Expect(len(err.Error())).To(BeNumerically("<", 1024), "fits a condition message")
			if tc.want != "" {
				g.Expect(err.Error()).To(ContainSubstring(tc.want))
			}
			if tc.hidden != "" {
				g.Expect(err.Error()).NotTo(ContainSubstring(tc.hidden))
			}
		})
	}
}

func TestHostNotAllowedErrorIsBounded(t *testing.T) {
	g := NewWithT(t)
	err := scim.HostPolicy{}.Check("https://" + strings.Repeat("a", 2000) + ".example.com")
	g.Expect(scim.IsHostNotAllowed(err)).To(BeTrue())
	g.Expect(len(err.Error())).To(BeNumerically("<", 1024))
	g.Expect(scim.IsHostNotAllowed(nil)).To(BeFalse())
	g.Expect(scim.IsRetryable(err)).To(BeFalse())
}

func TestParseAllowedHosts(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  string
	}{
		{in: "accounts.cloud.databricks.com", want: []string{"accounts.cloud.databricks.com"}},
		{in: " Accounts.Cloud.Databricks.com , scim.example.com:8443,, ", want: []string{"accounts.cloud.databricks.com", "scim.example.com:8443"}},
		{in: "a.example.com,A.EXAMPLE.COM", want: []string{"a.example.com"}},
		{in: "10.0.0.1,fd00:0::1,[fd00::2]:8443,[fd00::3]", want: []string{"10.0.0.1", "fd00::1", "[fd00::2]:8443", "fd00::3"}},
		{in: strings.Join(scim.DefaultAllowedHosts, ","), want: scim.DefaultAllowedHosts},
		{in: "", err: "no host given"},
		{in: " , ", err: "no host given"},
		{in: "https://accounts.cloud.databricks.com", err: "not a URL"},
		{in: "accounts.cloud.databricks.com/api", err: "no path"},
		{in: "user@accounts.cloud.databricks.com", err: "no path or user info"},
		{in: "*.cloud.databricks.com", err: "wildcards"},
		{in: "host:0", err: "port"},
		{in: "host:65536", err: "port"},
		{in: "host:", err: "port"},
		{in: "host:0443", err: "port"},
		{in: "host:https", err: "port"},
		{in: "fd00::1:8443x", err: "IPv6"},
		{in: "[fd00::1", err: "IPv6"},
		{in: "[10.0.0.1]:443", err: "IPv6"},
		{in: "bad_host-.example.com", err: "not a valid hostname"},
		{in: "host.example.com.", err: "not a valid hostname"},
		{in: "exa mple.com", err: "hostname"},
		{in: "h\u00e9.example.com", err: "hostname"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			g := NewWithT(t)
			got, err := scim.ParseAllowedHosts(tc.in)
			if tc.err != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tc.err)))
				g.Expect(err).To(MatchError(HavePrefix("--allowed-hosts")))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tc.want))
			g.Expect(scim.HostPolicy{Allowed: got}.Validate()).To(Succeed())
		})
	}
}

// hitCounter is a server that counts every request it receives.
func hitCounter(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(`{"id":"1"}`))
	}))
	t.Cleanup(ts.Close)
	return ts, &hits
}

// TestNewRefusesDisallowedHosts: a host outside the policy gets no client,
// so no request at all.
func TestNewRefusesDisallowedHosts(t *testing.T) {
	g := NewWithT(t)
	ts, hits := hitCounter(t)
	for _, p := range []scim.HostPolicy{{}, {Allowed: []string{"accounts.cloud.databricks.com"}}, {Allowed: []string{"127.0.0.1"}}} {
		c, err := scim.New(scim.Config{Host: ts.URL, AccountID: "acct", Token: scim.StaticToken(secretToken), Hosts: p})
		g.Expect(scim.IsHostNotAllowed(err)).To(BeTrue(), "%+v: %v", p, err)
		g.Expect(c).To(BeNil())
		g.Expect(err.Error()).To(ContainSubstring("--allow-loopback-hosts"))
		g.Expect(err.Error()).NotTo(ContainSubstring(secretToken))
	}
	g.Expect(hits.Load()).To(BeZero())

	// The same server with the flag: the client works.
	c := clientFor(t, ts.URL, secretToken)
	_, err := c.GetUser(context.Background(), "1")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(hits.Load()).To(BeEquivalentTo(1))
}
