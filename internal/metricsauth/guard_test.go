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

package metricsauth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

const secretToken = "s3cr3t-token-value"

// fakeReviewer answers reviews from tables and counts them.
type fakeReviewer struct {
	mu      sync.Mutex
	users   map[string]authenticationv1.UserInfo // token → user
	allowed map[string]bool                      // "user verb path" → allowed
	// tokenFailures and accessFailures are returned, one per call, before
	// any answer.
	tokenFailures, accessFailures []error
	tokenCalls                    int
	accessCalls                   int
	lastSpec                      authorizationv1.SubjectAccessReviewSpec
}

func pop(failures *[]error) error {
	if len(*failures) == 0 {
		return nil
	}
	err := (*failures)[0]
	*failures = (*failures)[1:]
	return err
}

func (f *fakeReviewer) reviewToken(_ context.Context, token string) (authenticationv1.TokenReviewStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenCalls++
	if err := pop(&f.tokenFailures); err != nil {
		return authenticationv1.TokenReviewStatus{}, err
	}
	u, ok := f.users[token]
	return authenticationv1.TokenReviewStatus{Authenticated: ok, User: u}, nil
}

func (f *fakeReviewer) reviewAccess(_ context.Context, spec authorizationv1.SubjectAccessReviewSpec) (authorizationv1.SubjectAccessReviewStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accessCalls++
	f.lastSpec = spec
	if err := pop(&f.accessFailures); err != nil {
		return authorizationv1.SubjectAccessReviewStatus{}, err
	}
	key := spec.User + " " + spec.NonResourceAttributes.Verb + " " + spec.NonResourceAttributes.Path
	return authorizationv1.SubjectAccessReviewStatus{Allowed: f.allowed[key]}, nil
}

func (f *fakeReviewer) calls() (tokens, access int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenCalls, f.accessCalls
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newFixture(t *testing.T) (*fakeReviewer, *clock, http.Handler, *http.Header) {
	t.Helper()
	f := &fakeReviewer{
		users: map[string]authenticationv1.UserInfo{
			secretToken: {Username: "system:serviceaccount:monitoring:prometheus", UID: "u1", Groups: []string{"system:serviceaccounts"},
				Extra: map[string]authenticationv1.ExtraValue{"authentication.kubernetes.io/pod-name": {"prometheus-0"}}},
			"other-token": {Username: "system:serviceaccount:team-b:app"},
		},
		allowed: map[string]bool{"system:serviceaccount:monitoring:prometheus get /metrics": true},
	}
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	g := newGuard(f, c.now)
	g.retryBase = time.Millisecond
	var seen http.Header
	h, err := g.wrap(logr.Discard(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Header.Clone()
		_, _ = io.WriteString(w, "metrics")
	}))
	if err != nil {
		t.Fatal(err)
	}
	return f, c, h, &seen
}

func scrape(h http.Handler, method, path, authorization string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestScrapesWithoutABearerTokenAreUnauthorizedWithoutAReview(t *testing.T) {
	f, _, h, _ := newFixture(t)
	for _, auth := range []string{"", "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token " + secretToken} {
		if rec := scrape(h, http.MethodGet, "/metrics", auth); rec.Code != http.StatusUnauthorized {
			t.Errorf("Authorization %q: status %d, want 401", auth, rec.Code)
		}
	}
	if tokens, access := f.calls(); tokens+access != 0 {
		t.Errorf("reviews made for requests without a bearer token: %d token, %d access", tokens, access)
	}
}

func TestAnAllowedScrapeReachesTheHandlerWithoutItsToken(t *testing.T) {
	f, _, h, seen := newFixture(t)
	rec := scrape(h, http.MethodGet, "/metrics", "bearer "+secretToken)
	if rec.Code != http.StatusOK || rec.Body.String() != "metrics" {
		t.Fatalf("status %d body %q, want 200 metrics", rec.Code, rec.Body.String())
	}
	if got := seen.Get("Authorization"); got != "" {
		t.Errorf("handler saw Authorization %q, want it removed", got)
	}
	spec := f.lastSpec
	if spec.User != "system:serviceaccount:monitoring:prometheus" || spec.UID != "u1" || len(spec.Groups) != 1 ||
		spec.Extra["authentication.kubernetes.io/pod-name"][0] != "prometheus-0" {
		t.Errorf("access review carries the wrong user: %+v", spec)
	}
	if a := spec.NonResourceAttributes; a == nil || a.Verb != "get" || a.Path != "/metrics" || spec.ResourceAttributes != nil {
		t.Errorf("access review attributes = %+v, want non-resource get /metrics", spec)
	}
}

func TestUnknownTokensAndDeniedUsersAreRefused(t *testing.T) {
	_, _, h, _ := newFixture(t)
	if rec := scrape(h, http.MethodGet, "/metrics", "Bearer forged"); rec.Code != http.StatusUnauthorized {
		t.Errorf("unknown token: status %d, want 401", rec.Code)
	}
	rec := scrape(h, http.MethodGet, "/metrics", "Bearer other-token")
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "system:serviceaccount:team-b:app") {
		t.Errorf("denied user: status %d body %q, want 403 naming the user", rec.Code, rec.Body.String())
	}
	// Allowed to get /metrics is not allowed to post, nor to get another path.
	for _, r := range []struct{ method, path string }{{http.MethodPost, "/metrics"}, {http.MethodGet, "/debug"}} {
		if rec := scrape(h, r.method, r.path, "Bearer "+secretToken); rec.Code != http.StatusForbidden {
			t.Errorf("%s %s: status %d, want 403", r.method, r.path, rec.Code)
		}
	}
}

func TestAnswersAreCachedForTheirLifetimeAndNeverShared(t *testing.T) {
	f, c, h, _ := newFixture(t)
	scrape(h, http.MethodGet, "/metrics", "Bearer "+secretToken)
	scrape(h, http.MethodGet, "/metrics", "Bearer "+secretToken)
	if tokens, access := f.calls(); tokens != 1 || access != 1 {
		t.Fatalf("after two scrapes: %d token and %d access reviews, want 1 and 1", tokens, access)
	}
	// Another user's scrape of the same path is reviewed on its own and denied.
	if rec := scrape(h, http.MethodGet, "/metrics", "Bearer other-token"); rec.Code != http.StatusForbidden {
		t.Fatalf("other user rode on a cached answer: status %d", rec.Code)
	}
	if tokens, access := f.calls(); tokens != 2 || access != 2 {
		t.Fatalf("after the other user: %d token and %d access reviews, want 2 and 2", tokens, access)
	}
	// A minute on, the token is reviewed again; the allow lasts five minutes.
	c.advance(tokenTTL)
	scrape(h, http.MethodGet, "/metrics", "Bearer "+secretToken)
	if tokens, access := f.calls(); tokens != 3 || access != 2 {
		t.Fatalf("after %s: %d token and %d access reviews, want 3 and 2", tokenTTL, tokens, access)
	}
	// A denial is asked again after 30 s, so a new RoleBinding takes effect soon.
	c.advance(denyTTL)
	f.mu.Lock()
	f.allowed["system:serviceaccount:team-b:app get /metrics"] = true
	f.mu.Unlock()
	if rec := scrape(h, http.MethodGet, "/metrics", "Bearer other-token"); rec.Code != http.StatusOK {
		t.Fatalf("a granted user is still denied after %s: status %d", denyTTL, rec.Code)
	}
}

func TestReviewErrorsAreRetriedOrReportedWithoutTheToken(t *testing.T) {
	f, _, h, _ := newFixture(t)
	busy := apierrors.NewTooManyRequests("busy", 1)
	f.tokenFailures = []error{busy, errors.New("connection refused")}
	f.accessFailures = []error{apierrors.NewServiceUnavailable("starting")}
	if rec := scrape(h, http.MethodGet, "/metrics", "Bearer "+secretToken); rec.Code != http.StatusOK {
		t.Fatalf("after transient failures: status %d, want 200", rec.Code)
	}
	if tokens, access := f.calls(); tokens != 3 || access != 2 {
		t.Fatalf("%d token and %d access reviews, want 3 and 2 (each failure retried)", tokens, access)
	}

	// The operator may not create reviews: a refusal is not retried, and the
	// scraper gets a 500 that does not echo its token.
	f2, _, h2, _ := newFixture(t)
	f2.tokenFailures = []error{apierrors.NewForbidden(schema.GroupResource{Group: "authentication.k8s.io", Resource: "tokenreviews"}, "", errors.New("no RBAC"))}
	rec := scrape(h2, http.MethodGet, "/metrics", "Bearer "+secretToken)
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), secretToken) {
		t.Fatalf("refused review: status %d body %q, want a 500 without the token", rec.Code, rec.Body.String())
	}
	if tokens, _ := f2.calls(); tokens != 1 {
		t.Errorf("a refused review was retried: %d calls", tokens)
	}
	// A failed review is not cached: the next scrape asks again.
	scrape(h2, http.MethodGet, "/metrics", "Bearer "+secretToken)
	if tokens, _ := f2.calls(); tokens != 2 {
		t.Errorf("a failed review was cached: %d calls, want 2", tokens)
	}
}

func TestTheCachesStayBoundedUnderAFloodOfTokens(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	cache := newTTLCache[bool](8, c.now)
	for i := range 100 {
		cache.put(tokenKey(strings.Repeat("x", i)), true, time.Minute)
		if n := cache.len(); n > 8 {
			t.Fatalf("after %d puts the cache holds %d entries, want at most 8", i+1, n)
		}
	}
	// The newest answer survives the flush that made room for it.
	if _, ok := cache.get(tokenKey(strings.Repeat("x", 99))); !ok {
		t.Error("the last answer put is missing")
	}
}
