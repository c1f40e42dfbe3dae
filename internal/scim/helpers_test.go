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
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

// unlimited turns the client-side limiter off.
var unlimited = scim.Limits{Get: -1, List: -1, Patch: -1, Write: -1}

// loopbackOK is the host policy of every test client: the test servers
// listen on 127.0.0.1.
var loopbackOK = scim.HostPolicy{AllowLoopback: true}

func startFake(t testing.TB, opts scimfake.Options) *scimfake.Server {
	t.Helper()
	s := scimfake.New(opts)
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func newClient(t testing.TB, s *scimfake.Server, mods ...func(*scim.Config)) *scim.HTTPClient {
	t.Helper()
	cfg := scim.Config{
		Host:      s.URL(),
		AccountID: s.AccountID(),
		Token:     scim.StaticToken(s.Token()),
		Limits:    unlimited,
		Hosts:     loopbackOK,
	}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := scim.New(cfg)
	if err != nil {
		t.Fatalf("scim.New: %v", err)
	}
	return c
}

// startWrapped serves fake's handler behind a hook that sees each request
// first.
func startWrapped(t testing.TB, fake *scimfake.Server, before func(*http.Request)) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		before(r)
		fake.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// newClientAt builds a client for fake's account at another server's URL.
func newClientAt(t testing.TB, ts *httptest.Server, fake *scimfake.Server, mods ...func(*scim.Config)) *scim.HTTPClient {
	t.Helper()
	return newClient(t, fake, append([]func(*scim.Config){func(cfg *scim.Config) { cfg.Host = ts.URL }}, mods...)...)
}

// cannedServer answers every request with the given status, headers and body.
func cannedServer(t testing.TB, status int, header map[string]string, body string) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(ts.Close)
	return ts
}

// clientFor builds a client against an arbitrary test server.
func clientFor(t testing.TB, url, token string, mods ...func(*scim.Config)) *scim.HTTPClient {
	t.Helper()
	cfg := scim.Config{Host: url, AccountID: "acct", Token: scim.StaticToken(token), Limits: unlimited, Hosts: loopbackOK}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := scim.New(cfg)
	if err != nil {
		t.Fatalf("scim.New: %v", err)
	}
	return c
}
