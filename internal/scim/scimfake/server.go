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

// Package scimfake is an in-memory Databricks account SCIM server for tests,
// demos and benchmarks. It follows the behaviour recorded in
// shared/reference/databricks-account-scim.md (§9 checklist): both API
// prefixes, Databricks-style ids, case-insensitive uniqueness, the exact
// duplicate messages, 2.0 vs 2.1 filter rules, strict PATCH parsing, and
// switchable faults (rate limits, eventual consistency, stale reads, random
// 503s, latency). State can be read and changed directly, bypassing HTTP,
// to simulate console edits and to assert.
package scimfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// Defaults used when Options leave a field empty.
const (
	DefaultAccountID     = "00000000-0000-4000-8000-000000000001"
	DefaultToken         = "dapi-fake-scim-token"
	defaultMaxConcurrent = 64
	defaultMaxRequestLog = 100_000
	maxRequestBody       = 16 << 20
)

// Options configure a Server. Zero values give a lenient, fault-free
// account with Databricks' documented behaviour.
type Options struct {
	// AccountID is the only account served (others get 404).
	AccountID string
	// Tokens are the valid bearer tokens (DefaultToken when empty).
	Tokens []string
	// Seed makes ids, UUIDs and random faults reproducible.
	Seed int64

	// RateLimits are per-class token buckets in requests/second; a zero or
	// negative field leaves that class unlimited.
	RateLimits scim.Limits
	// ThrottleAs500 answers throttling as HTTP 500 REQUEST_LIMIT_EXCEEDED
	// (a SCIM error without Retry-After) instead of 429.
	ThrottleAs500 bool
	// VisibilityDelay hides newly created objects from GET and list.
	VisibilityDelay time.Duration
	// StaleReads keeps serving the pre-write object to GET and list after a
	// PATCH or PUT.
	StaleReads time.Duration
	// Latency is added to every SCIM request.
	Latency time.Duration
	// PatchReturnsBody answers PATCH with 200 and the object instead of 204.
	PatchReturnsBody bool

	// GroupListMembers makes group lists return members (Databricks stopped
	// doing so in 2025; GET still returns them).
	GroupListMembers bool
	// AzureMode lets a service principal be created with only an
	// applicationId (an Entra application), without displayName.
	AzureMode bool
	// StrictSchemas rejects create/replace bodies without the right schema URN.
	StrictSchemas bool
	// ConflictStatus is the status of a duplicate create (default 409).
	ConflictStatus int
	// CreateStatus is the status of a successful POST (default 201; some
	// Databricks docs show 200).
	CreateStatus int
	// MaxGroupMembersOnCreate caps members in a group POST (default 5000).
	MaxGroupMembersOnCreate int

	// MaxConcurrent caps requests handled at once (default 64); more wait.
	MaxConcurrent int
	// MaxRequestLog caps the request log (default 100,000 records; the
	// oldest tenth is dropped when full). Counts are never dropped.
	MaxRequestLog int
	// Logf, when set, receives one line per request.
	Logf func(format string, args ...any)
}

// Server is the fake. All methods are safe for concurrent use.
type Server struct {
	opts  Options
	cfg   storeConfig
	st    *store
	flt   *faults
	log   *requestLog
	sem   chan struct{}
	ts    *httptest.Server
	muTok sync.RWMutex
	toks  map[string]struct{}
	hook  func(RequestRecord)
	muHk  sync.RWMutex
}

// New builds a server; it does not listen (see Start and Handler).
func New(opts Options) *Server {
	if opts.AccountID == "" {
		opts.AccountID = DefaultAccountID
	}
	if len(opts.Tokens) == 0 {
		opts.Tokens = []string{DefaultToken}
	}
	if opts.ConflictStatus == 0 {
		opts.ConflictStatus = http.StatusConflict
	}
	if opts.CreateStatus == 0 {
		opts.CreateStatus = http.StatusCreated
	}
	if opts.MaxGroupMembersOnCreate <= 0 {
		opts.MaxGroupMembersOnCreate = defaultMaxMembers
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = defaultMaxConcurrent
	}
	if opts.MaxRequestLog <= 0 {
		opts.MaxRequestLog = defaultMaxRequestLog
	}
	s := &Server{
		opts: opts,
		cfg: storeConfig{azureMode: opts.AzureMode, conflictStatus: opts.ConflictStatus,
			maxCreateMembers: opts.MaxGroupMembersOnCreate},
		st:  newStore(opts.Seed),
		flt: newFaults(opts),
		log: newRequestLog(opts.MaxRequestLog),
		sem: make(chan struct{}, opts.MaxConcurrent),
	}
	s.st.visibilityDelay, s.st.staleReads = opts.VisibilityDelay, opts.StaleReads
	s.SetTokens(opts.Tokens...)
	return s
}

// AccountID returns the account the server answers for.
func (s *Server) AccountID() string { return s.opts.AccountID }

// Token returns the first configured token, for tests.
func (s *Server) Token() string { return s.opts.Tokens[0] }

// SetTokens replaces the set of valid bearer tokens (several may be valid at
// once, as during Databricks' 24 h rotation window).
func (s *Server) SetTokens(tokens ...string) {
	set := make(map[string]struct{}, len(tokens))
	for _, t := range tokens {
		set[t] = struct{}{}
	}
	s.muTok.Lock()
	s.toks = set
	s.muTok.Unlock()
}

// SetRequestHook installs fn, called for every authenticated SCIM request
// after fault injection and before it is handled, outside all locks (it
// may change state, e.g. to insert objects in the middle of a listing).
// nil removes it.
func (s *Server) SetRequestHook(fn func(RequestRecord)) {
	s.muHk.Lock()
	s.hook = fn
	s.muHk.Unlock()
}

// Handler returns the HTTP handler (SCIM API plus /_fake/ admin endpoints).
func (s *Server) Handler() http.Handler { return s }

// Start serves on an ephemeral 127.0.0.1 port. Close the returned server
// (or call Close) when done.
func (s *Server) Start() *httptest.Server {
	ts := httptest.NewUnstartedServer(s)
	ts.Config.ReadHeaderTimeout = 10 * time.Second
	ts.Config.IdleTimeout = time.Minute
	ts.Start()
	s.ts = ts
	return ts
}

// URL returns the base URL of the started server ("http://127.0.0.1:port"),
// which is what a client's Host is set to.
func (s *Server) URL() string {
	if s.ts == nil {
		return ""
	}
	return s.ts.URL
}

// BaseURL returns the collection base for an API version, e.g.
// http://127.0.0.1:port/api/2.1/accounts/<id>/scim/v2.
func (s *Server) BaseURL(version string) string {
	return s.URL() + "/api/" + version + "/accounts/" + s.opts.AccountID + "/scim/v2"
}

// Close stops the started server.
func (s *Server) Close() {
	if s.ts != nil {
		s.ts.Close()
	}
}

// route is a parsed SCIM path.
type route struct {
	version, account string
	res              scim.Resource
	id               string
	hasID            bool
}

// parseRoute parses /api/{2.0|2.1}/accounts/{acct}/scim/v2/{Resource}[/{id}].
func parseRoute(path string) (route, bool) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) < 7 || len(parts) > 8 || parts[0] != "api" || parts[2] != "accounts" ||
		parts[4] != "scim" || parts[5] != "v2" {
		return route{}, false
	}
	rt := route{version: parts[1], account: parts[3], res: scim.Resource(parts[6])}
	if rt.version != "2.0" && rt.version != "2.1" {
		return route{}, false
	}
	switch rt.res {
	case scim.ResourceUsers, scim.ResourceGroups, scim.ResourceServicePrincipals:
	default:
		return route{}, false
	}
	if len(parts) == 8 {
		if parts[7] == "" {
			return route{}, false
		}
		rt.id, rt.hasID = parts[7], true
	}
	return rt, true
}

// classify maps a method to the Databricks rate-limit class.
func classify(method string, hasID bool) (scim.Class, bool) {
	switch method {
	case http.MethodGet:
		if hasID {
			return scim.ClassGet, true
		}
		return scim.ClassList, true
	case http.MethodPatch, http.MethodPut, http.MethodDelete:
		if !hasID {
			return "", false
		}
		if method == http.MethodPatch {
			return scim.ClassPatch, true
		}
		return scim.ClassWrite, true
	case http.MethodPost:
		return scim.ClassWrite, !hasID
	}
	return "", false
}

// response is a handler's answer.
type response struct {
	status int
	body   any // nil: no body
	header map[string]string
}

func errResponse(e *apiError) response { return response{status: e.status, body: e.body()} }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := RequestRecord{Time: time.Now(), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Token: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), UserAgent: r.UserAgent()}
	resp := s.serve(r, &rec)
	writeResponse(w, resp)
	rec.Status, rec.Duration = resp.status, time.Since(rec.Time)
	if ra, err := strconv.Atoi(resp.header["Retry-After"]); err == nil {
		rec.RetryAfter = time.Duration(ra) * time.Second
	}
	s.log.add(rec)
	if s.opts.Logf != nil {
		s.opts.Logf("%s %s %d %s", rec.Method, rec.Path, rec.Status, rec.Duration.Round(time.Microsecond))
	}
}

func (s *Server) serve(r *http.Request, rec *RequestRecord) response {
	if strings.HasPrefix(r.URL.Path, "/_fake/") {
		if !s.authorized(r) {
			return errResponse(dbErr(http.StatusUnauthorized, "UNAUTHENTICATED", "Invalid Token"))
		}
		return s.admin(r)
	}
	rt, ok := parseRoute(r.URL.Path)
	if !ok {
		return errResponse(dbErr(http.StatusNotFound, "ENDPOINT_NOT_FOUND", "No API found for '%s %s'", r.Method, r.URL.Path))
	}
	rec.Resource = rt.res
	class, ok := classify(r.Method, rt.hasID)
	if !ok {
		return errResponse(dbErr(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "%s is not allowed on this path", r.Method))
	}
	rec.Class = class
	if !s.authorized(r) {
		return errResponse(dbErr(http.StatusUnauthorized, "UNAUTHENTICATED", "Invalid Token"))
	}
	if rt.account != s.opts.AccountID {
		return errResponse(dbErr(http.StatusNotFound, "RESOURCE_DOES_NOT_EXIST", "Account %s does not exist.", rt.account))
	}
	if resp, injected := s.flt.inject(r.Context(), class, s.opts.AccountID); injected {
		return resp
	}
	s.muHk.RLock()
	hook := s.hook
	s.muHk.RUnlock()
	if hook != nil {
		hook(*rec)
	}
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	case <-r.Context().Done():
		return errResponse(dbErr(http.StatusServiceUnavailable, "TEMPORARILY_UNAVAILABLE", "request cancelled"))
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxRequestBody))
	if err != nil {
		return errResponse(errUnparsable())
	}
	req := &request{route: rt, method: r.Method, query: r.URL.Query(), body: body, now: time.Now()}
	return s.handle(req)
}

// authorized checks the bearer token.
func (s *Server) authorized(r *http.Request) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return false
	}
	s.muTok.RLock()
	_, valid := s.toks[token]
	s.muTok.RUnlock()
	return valid
}

func writeResponse(w http.ResponseWriter, resp response) {
	for k, v := range resp.header {
		w.Header().Set(k, v)
	}
	if resp.body == nil {
		w.WriteHeader(resp.status)
		return
	}
	raw, err := json.Marshal(resp.body)
	if err != nil {
		http.Error(w, "encoding response failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(raw)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(raw)
}

// request is one authenticated, routed SCIM request.
type request struct {
	route
	method string
	query  url.Values
	body   []byte
	now    time.Time
}

// handle dispatches to the operation handlers.
func (s *Server) handle(req *request) response {
	switch {
	case req.method == http.MethodGet && !req.hasID:
		return s.list(req)
	case req.method == http.MethodGet:
		return s.get(req)
	case req.method == http.MethodPost:
		return s.create(req)
	case req.method == http.MethodPut:
		return s.replace(req)
	case req.method == http.MethodPatch:
		return s.patch(req)
	default:
		return s.delete(req)
	}
}
