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
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

const secretToken = "dapi0123456789abcdef0123456789abcdef"

func TestErrorShapes(t *testing.T) {
	type want struct {
		notFound, exists, unauthorized, throttled, retryable bool
		code, text                                           string
		hidden                                               []string // never in the text
		retryAfter                                           time.Duration
	}
	cases := []struct {
		name   string
		status int
		header map[string]string
		body   string
		want   want
	}{
		{
			name: "SCIM error with string status", status: 404,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"User 1 not found.","status":"404"}`,
			want: want{notFound: true, code: "SCIM_404", text: "User 1 not found."},
		},
		{
			name: "SCIM error with numeric status and scimType", status: 400,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"bad","status":400,"scimType":"invalidValue"}`,
			want: want{code: "SCIM_400", text: "bad (scimType invalidValue)"},
		},
		{
			name: "SCIM error with detail null", status: 500,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"null","status":"500"}`,
			want: want{retryable: true, code: "SCIM_500", text: "SCIM API Internal Error"},
		},
		{
			name: "Databricks JSON", status: 400,
			body: `{"error_code":"INVALID_FILTER","message":"Filter exceeds 200 nodes"}`,
			want: want{code: "INVALID_FILTER", text: "Filter exceeds 200 nodes"},
		},
		{
			name: "CODE: message text", status: 403,
			body: "PERMISSION_DENIED: not an account admin",
			want: want{unauthorized: true, code: "PERMISSION_DENIED", text: "HTTP 403 PERMISSION_DENIED: a non-JSON body (text/plain, 39 bytes)",
				hidden: []string{"not an account admin"}},
		},
		{
			name: "plain Invalid Token with 400", status: 400,
			body: "Invalid Token",
			want: want{unauthorized: true, text: "HTTP 400: a non-JSON body (text/plain, 13 bytes) that says the token is invalid",
				hidden: []string{"Invalid Token"}},
		},
		{
			name: "HTML login page", status: 200, header: map[string]string{"Content-Type": "text/html; charset=utf-8"},
			body: "<!DOCTYPE html><html><head><title>Databricks - Sign In</title></head><body>login</body></html>",
			want: want{unauthorized: true, code: "HTML_RESPONSE", text: "an HTML page instead of JSON (text/html, 94 bytes); likely a login page",
				hidden: []string{"Databricks - Sign In", "<"}},
		},
		{
			name: "HTML proxy error", status: 502,
			body: "<html><head><title>502 Bad Gateway</title></head></html>",
			want: want{retryable: true, code: "HTML_RESPONSE", text: "HTTP 502 HTML_RESPONSE: an HTML error page (text/html, 56 bytes)",
				hidden: []string{"Bad Gateway", "<"}},
		},
		{
			name: "redirect to login", status: 302, header: map[string]string{"Location": "https://accounts.example.com/login?next_url=%2Fapi&token=x"},
			want: want{unauthorized: true, code: "REDIRECT", text: "redirect to another host", hidden: []string{"accounts.example.com"}},
		},
		{
			name: "401 empty body", status: 401,
			want: want{unauthorized: true, text: "Unauthorized"},
		},
		{
			name: "409 user exists", status: 409,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"User with email a@b.c already exists in this account","status":"409"}`,
			want: want{exists: true, code: "SCIM_409"},
		},
		{
			name: "already exists with 400", status: 400,
			body: `{"detail":"Service principal with application ID x already exists.","status":"400"}`,
			want: want{exists: true},
		},
		{
			name: "429 with Retry-After", status: 429, header: map[string]string{"Retry-After": "7"},
			body: `{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"slow down"}`,
			want: want{throttled: true, retryable: true, retryAfter: 7 * time.Second},
		},
		{
			name: "500 REQUEST_LIMIT_EXCEEDED", status: 500,
			body: `{"detail":"REQUEST_LIMIT_EXCEEDED: Workspace 1234 exceeded the concurrent limit of 4 requests.","schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500"}`,
			want: want{throttled: true, retryable: true, retryAfter: time.Second},
		},
		{
			name: "RPC token bucket", status: 503, body: "RPC token bucket limit has been exceeded",
			want: want{throttled: true, retryable: true, retryAfter: time.Second, text: "that reports throttling", hidden: []string{"bucket"}},
		},
		{
			name: "REQUEST_LIMIT_EXCEEDED text on 500", status: 500, body: "REQUEST_LIMIT_EXCEEDED: Workspace 1234 exceeded the concurrent limit",
			want: want{throttled: true, retryable: true, retryAfter: time.Second, code: "REQUEST_LIMIT_EXCEEDED", hidden: []string{"1234"}},
		},
		{
			name: "duplicate as text", status: 400, body: "Group with name data-eng already exists.",
			want: want{exists: true, text: "says the object already exists", hidden: []string{"data-eng"}},
		},
		{
			name: "unknown CODE: text is not echoed", status: 400, body: "SECRET_BODY_MARKER: x",
			want: want{text: "HTTP 400: a non-JSON body (text/plain, 21 bytes)", hidden: []string{"SECRET"}},
		},
		{
			name: "JSON that is not an error document", status: 500, header: map[string]string{"Content-Type": "application/json"},
			body: `{"token":"SECRET-BODY-MARKER"}`,
			want: want{retryable: true, text: "a JSON body that is not an error document (application/json, 30 bytes)", hidden: []string{"SECRET"}},
		},
		{
			// SDKs retry 503 after Retry-After, like a 429 (reference §5.2).
			name: "503", status: 503, body: `{"error_code":"TEMPORARILY_UNAVAILABLE","message":"try later"}`,
			want: want{retryable: true, throttled: true, code: "TEMPORARILY_UNAVAILABLE", retryAfter: time.Second},
		},
		{
			name: "body echoing the token", status: 400, body: "bad header Bearer " + secretToken,
			want: want{text: "a non-JSON body (text/plain, 54 bytes)", hidden: []string{"bad header", "[REDACTED]"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ts := cannedServer(t, tc.status, tc.header, tc.body)
			// GET retries throttled answers; use DELETE (never retried) to see the first.
			err := clientFor(t, ts.URL, secretToken).DeleteUser(context.Background(), "123")
			g.Expect(err).To(HaveOccurred())
			apiErr, ok := scim.AsAPIError(err)
			g.Expect(ok).To(BeTrue(), "%T %v", err, err)
			g.Expect(apiErr.StatusCode).To(Equal(tc.status))
			g.Expect(apiErr.Method).To(Equal("DELETE"))
			g.Expect(apiErr.Resource).To(Equal(scim.ResourceUsers))
			g.Expect(scim.IsNotFound(err)).To(Equal(tc.want.notFound), "IsNotFound")
			g.Expect(scim.IsAlreadyExists(err)).To(Equal(tc.want.exists), "IsAlreadyExists")
			g.Expect(scim.IsUnauthorized(err)).To(Equal(tc.want.unauthorized), "IsUnauthorized")
			g.Expect(scim.IsThrottled(err)).To(Equal(tc.want.throttled), "IsThrottled")
			g.Expect(scim.IsRetryable(err)).To(Equal(tc.want.retryable), "IsRetryable")
			if tc.want.code != "" {
				g.Expect(apiErr.ErrorCode).To(Equal(tc.want.code))
			}
			g.Expect(err.Error()).To(ContainSubstring(tc.want.text))
			g.Expect(apiErr.RetryAfter).To(Equal(tc.want.retryAfter))
			g.Expect(err.Error()).NotTo(ContainSubstring(secretToken))
			g.Expect(err.Error()).NotTo(ContainSubstring("next_url"), "no query strings")
			for _, h := range tc.want.hidden {
				g.Expect(err.Error()).NotTo(ContainSubstring(h))
			}
		})
	}
}

func TestSuccessWithoutBody(t *testing.T) {
	g := NewWithT(t)
	for _, status := range []int{200, 202, 204} {
		ts := cannedServer(t, status, nil, "")
		c := clientFor(t, ts.URL, secretToken)
		g.Expect(c.PatchUser(context.Background(), "1", []scim.Operation{scim.ReplaceActive(true)})).To(Succeed())
		g.Expect(c.DeleteGroup(context.Background(), "1")).To(Succeed())
	}
	ts := cannedServer(t, 201, nil, "")
	_, err := clientFor(t, ts.URL, secretToken).CreateUser(context.Background(), scim.User{UserName: "x@y.z"})
	g.Expect(err).To(MatchError(ContainSubstring("no id")))
}

func TestResponseSizeCap(t *testing.T) {
	g := NewWithT(t)
	big := `{"id":"1","displayName":"` + strings.Repeat("x", 4096) + `"}`
	ts := cannedServer(t, 200, nil, big)
	c := clientFor(t, ts.URL, secretToken, func(cfg *scim.Config) { cfg.MaxResponseBytes = 1024 })
	_, err := c.GetUser(context.Background(), "1")
	g.Expect(err).To(MatchError(ContainSubstring("exceeds 1024 bytes")))
}

func TestTransportErrors(t *testing.T) {
	g := NewWithT(t)
	// A listener that accepts and closes: no HTTP answer at all.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			_ = conn.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close() })
	c := clientFor(t, "http://"+ln.Addr().String(), secretToken)
	err = c.ListUsers(context.Background(), scim.ListOptions{Filter: scim.EqFilter("userName", "pii@example.com")}, func(scim.User) error { return nil })
	g.Expect(err).To(HaveOccurred())
	var te *scim.TransportError
	g.Expect(errors.As(err, &te)).To(BeTrue())
	g.Expect(scim.IsRetryable(err)).To(BeTrue())
	g.Expect(err.Error()).NotTo(ContainSubstring("pii"), "no URL or query in errors")
	g.Expect(err.Error()).NotTo(ContainSubstring(secretToken))

	// Per-request timeout.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)
	c = clientFor(t, slow.URL, secretToken, func(cfg *scim.Config) { cfg.RequestTimeout = 100 * time.Millisecond })
	_, err = c.GetUser(context.Background(), "1")
	g.Expect(err).To(HaveOccurred())
	g.Expect(scim.IsRetryable(err)).To(BeTrue(), "timeouts are retryable: %v", err)

	// A cancelled context is not.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.GetUser(ctx, "1")
	g.Expect(err).To(MatchError(context.Canceled))
	g.Expect(scim.IsRetryable(err)).To(BeFalse())
}

func TestRedirectNotFollowed(t *testing.T) {
	g := NewWithT(t)
	var targetHits, tokenSeen atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targetHits.Add(1)
		if r.Header.Get("Authorization") != "" {
			tokenSeen.Add(1)
		}
		_, _ = w.Write([]byte(`{"id":"1"}`))
	}))
	t.Cleanup(target.Close)
	for _, status := range []int{301, 302, 307, 308} {
		src := cannedServer(t, status, map[string]string{"Location": target.URL + "/login?next_url=x"}, "")
		for _, hc := range []*http.Client{nil, {}} { // default client and a caller-supplied one
			c := clientFor(t, src.URL, secretToken, func(cfg *scim.Config) { cfg.HTTPClient = hc })
			_, err := c.GetUser(context.Background(), "1")
			g.Expect(scim.IsUnauthorized(err)).To(BeTrue(), "%d: %v", status, err)
			g.Expect(err.Error()).NotTo(ContainSubstring(secretToken))
		}
	}
	g.Expect(targetHits.Load()).To(BeZero())
	g.Expect(tokenSeen.Load()).To(BeZero())
}

func TestTokenSourceErrors(t *testing.T) {
	g := NewWithT(t)
	ts := cannedServer(t, 200, nil, `{}`)
	c := clientFor(t, ts.URL, "", func(cfg *scim.Config) {
		cfg.Token = func(context.Context) (string, error) { return "", errors.New("secret not found") }
	})
	_, err := c.GetUser(context.Background(), "1")
	g.Expect(err).To(MatchError(ContainSubstring("secret not found")))
	c = clientFor(t, ts.URL, "")
	_, err = c.GetUser(context.Background(), "1")
	g.Expect(err).To(MatchError(ContainSubstring("token is empty")))
}

// bodyMarker stands for anything a server could send back, e.g. a Secret it
// was given: it must never reach an error text (and so a status condition).
const bodyMarker = "SECRET-BODY-MARKER"

func TestNonJSONBodiesAreNotEchoed(t *testing.T) {
	cases := []struct {
		name         string
		status       int
		contentType  string
		body         string
		want         string
		unauthorized bool
	}{
		{name: "500 text", status: 500, body: "oops " + bodyMarker, want: "HTTP 500: a non-JSON body (text/plain, 23 bytes)"},
		{name: "502 HTML", status: 502, contentType: "text/html", body: "<html><title>" + bodyMarker + "</title></html>", want: "HTTP 502 HTML_RESPONSE: an HTML error page (text/html, 46 bytes)"},
		{name: "200 HTML login page", status: 200, contentType: "text/html", body: "<html><title>Sign in " + bodyMarker + "</title></html>",
			want: "HTTP 200 HTML_RESPONSE: an HTML page instead of JSON (text/html, 54 bytes); likely a login page", unauthorized: true},
		{name: "400 Invalid Token", status: 400, contentType: "text/plain", body: "Invalid Token " + bodyMarker,
			want: "HTTP 400: a non-JSON body (text/plain, 32 bytes) that says the token is invalid", unauthorized: true},
		{name: "odd content type", status: 500, contentType: "text/" + bodyMarker + "; x=y", body: bodyMarker,
			want: "(another content type, 18 bytes)"},
		{name: "content type that is not a media type", status: 500, contentType: bodyMarker + " x/y", body: bodyMarker,
			want: "(another content type, 18 bytes)"},
		{name: "200 garbage", status: 200, contentType: "application/json", body: bodyMarker,
			want: "GET Users: the response body (application/json, 18 bytes) is not valid JSON (syntax error at byte 1)"},
		{name: "200 JSON of the wrong shape", status: 200, contentType: "application/json", body: `{"id":"1","active":"` + bodyMarker + `"}`,
			want: "is JSON of an unexpected shape (a value of the wrong type at byte"},
		{name: "200 JSON with a big number", status: 200, contentType: "application/json", body: `{"id":"1","active":31415926535897932384}`,
			want: "is JSON of an unexpected shape"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			h := map[string]string{}
			if tc.contentType != "" {
				h["Content-Type"] = tc.contentType
			}
			ts := cannedServer(t, tc.status, h, tc.body)
			_, err := clientFor(t, ts.URL, secretToken).GetUser(context.Background(), "1")
			g.Expect(err).To(HaveOccurred())
			g.Expect(err.Error()).To(ContainSubstring(tc.want))
			g.Expect(strings.ToUpper(err.Error())).NotTo(ContainSubstring(bodyMarker))
			g.Expect(err.Error()).NotTo(ContainSubstring("314159"))
			g.Expect(scim.IsUnauthorized(err)).To(Equal(tc.unauthorized))
		})
	}
}

// TestTransportErrorsDoNotQuoteTheServer: net/http quotes the first line of
// a malformed answer in its error; that text is dropped too.
func TestTransportErrorsDoNotQuoteTheServer(t *testing.T) {
	g := NewWithT(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				buf := make([]byte, 4096)
				_, _ = conn.Read(buf)
				_, _ = conn.Write([]byte(bodyMarker + " " + secretToken + "\r\n\r\n"))
			}()
		}
	}()
	_, err = clientFor(t, "http://"+ln.Addr().String(), secretToken).GetUser(context.Background(), "1")
	g.Expect(err).To(HaveOccurred())
	g.Expect(err.Error()).To(ContainSubstring(`malformed HTTP status code "[server data not shown]"`))
	g.Expect(err.Error()).NotTo(ContainSubstring(bodyMarker))
	g.Expect(err.Error()).NotTo(ContainSubstring(secretToken))
	g.Expect(scim.IsRetryable(err)).To(BeTrue())
}
