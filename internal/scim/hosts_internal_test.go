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
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	. "github.com/onsi/gomega"
)

// TestTransportIsBoundToTheCheckedHost: even a request built by hand on the
// client's own http.Client cannot reach another host, whichever client the
// caller supplied.
func TestTransportIsBoundToTheCheckedHost(t *testing.T) {
	var hits [2]atomic.Int32
	var servers [2]*httptest.Server
	for i := range servers {
		servers[i] = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			hits[i].Add(1)
			_, _ = w.Write([]byte(`{"id":"1"}`))
		}))
		t.Cleanup(servers[i].Close)
	}
	for _, hc := range []*http.Client{nil, {}, {Transport: http.DefaultTransport}} {
		g := NewWithT(t)
		c, err := New(Config{Host: servers[0].URL, AccountID: "acct", Token: StaticToken("t"),
			Hosts: HostPolicy{AllowLoopback: true}, HTTPClient: hc, Limits: Limits{Get: -1, List: -1, Patch: -1, Write: -1}})
		g.Expect(err).NotTo(HaveOccurred())
		_, err = c.GetUser(context.Background(), "1")
		g.Expect(err).NotTo(HaveOccurred())

		for _, target := range []string{servers[1].URL + "/x", strings.Replace(servers[0].URL, "http://", "https://", 1) + "/x",
			strings.Replace(servers[0].URL, "127.0.0.1", "localhost", 1) + "/x"} {
			req, err := http.NewRequest(http.MethodPost, target, strings.NewReader("body"))
			g.Expect(err).NotTo(HaveOccurred())
			_, err = c.cfg.HTTPClient.Do(req)
			g.Expect(IsHostNotAllowed(err)).To(BeTrue(), "%s: %v", target, err)
			g.Expect(err.Error()).To(ContainSubstring("sends nothing elsewhere"))
		}
	}
	g := NewWithT(t)
	g.Expect(hits[0].Load()).To(BeEquivalentTo(3))
	g.Expect(hits[1].Load()).To(BeZero())
}

func TestLoopbackDialerRefusesOtherAddresses(t *testing.T) {
	g := NewWithT(t)
	for _, a := range []string{"127.0.0.1:80", "127.9.9.9:1", "[::1]:443"} {
		g.Expect(loopbackOnly("tcp", a, nil)).To(Succeed(), a)
	}
	for _, a := range []string{"10.0.0.1:80", "169.254.169.254:80", "[fd00::1]:443", "0.0.0.0:80", "localhost:80", "bad"} {
		g.Expect(loopbackOnly("tcp", a, nil)).To(MatchError(errNotLoopback), a)
	}
	c, err := New(Config{Host: "https://ACCOUNTS.cloud.databricks.com", AccountID: "a", Token: StaticToken("t")})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.cfg.HTTPClient.Transport.(*hostGuard).host).To(Equal("accounts.cloud.databricks.com"))
}
