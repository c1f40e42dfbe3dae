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
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// TokenSource returns the bearer token for the next request. It is called
// once per HTTP request, so a rotated token is picked up without rebuilding
// the client.
type TokenSource func(ctx context.Context) (string, error)

// StaticToken is a TokenSource that always returns token.
func StaticToken(token string) TokenSource {
	return func(context.Context) (string, error) { return token, nil }
}

// Limits are client-side request rates in requests per second, one per
// Class. A zero field means the default from DefaultLimits; a negative field
// means unlimited (for benchmarks against a fake server).
type Limits struct {
	Get, List, Patch, Write float64
}

// DefaultLimits are Databricks' published account SCIM limits: GET 20/s,
// LIST 240/min, PATCH 2/s, POST/PUT/DELETE 5/s.
var DefaultLimits = Limits{Get: 20, List: 4, Patch: 2, Write: 5}

// For returns the rate of one class.
func (l Limits) For(c Class) float64 {
	switch c {
	case ClassGet:
		return l.Get
	case ClassList:
		return l.List
	case ClassPatch:
		return l.Patch
	case ClassWrite:
		return l.Write
	}
	return 0
}

// Scale multiplies every rate by f.
func (l Limits) Scale(f float64) Limits {
	return Limits{Get: l.Get * f, List: l.List * f, Patch: l.Patch * f, Write: l.Write * f}
}

// withDefaults fills zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	pick := func(v, d float64) float64 {
		if v == 0 {
			return d
		}
		return v
	}
	return Limits{
		Get:   pick(l.Get, DefaultLimits.Get),
		List:  pick(l.List, DefaultLimits.List),
		Patch: pick(l.Patch, DefaultLimits.Patch),
		Write: pick(l.Write, DefaultLimits.Write),
	}
}

// CallInfo describes one HTTP call, for metrics.
type CallInfo struct {
	Resource Resource
	Class    Class
	Method   string
	// StatusCode is 0 when the request failed in transport.
	StatusCode int
	// Duration is the time from sending the request to reading the body.
	Duration time.Duration
	// Throttled is true for 429 and 500 REQUEST_LIMIT_EXCEEDED answers.
	Throttled bool
	// LimiterWait is the time spent waiting for the client-side limiter and
	// any Retry-After pause before this call.
	LimiterWait time.Duration
}

// Observer receives a CallInfo for every HTTP call. It must be fast and
// safe for concurrent use.
type Observer func(CallInfo)

// Default configuration values.
const (
	DefaultAPIVersion       = "2.1"
	DefaultUserAgent        = "databricks-scim-operator"
	DefaultMaxResponseBytes = 32 << 20
	DefaultRequestTimeout   = 30 * time.Second
)

// Config configures an HTTPClient.
type Config struct {
	// Host is the account console URL, e.g. https://accounts.cloud.databricks.com.
	// It must pass Hosts.Check, or New fails with a *HostNotAllowedError.
	Host string
	// Hosts is the policy Host must pass. The zero value allows only
	// DefaultAllowedHosts over https; tests and local setups against a
	// loopback server set AllowLoopback.
	Hosts HostPolicy
	// AccountID is the Databricks account id (a UUID).
	AccountID string
	// APIVersion is "2.1" (default; the path the console shows next to the
	// SCIM token) or "2.0".
	APIVersion string
	// Token supplies the bearer token for each request.
	Token TokenSource
	// HTTPClient is used for requests; nil means a client with dial 5s, TLS
	// 5s, response header 30s and overall 60s timeouts. Redirects are never
	// followed, whichever client is given, so the token cannot leak to
	// another host.
	HTTPClient *http.Client
	// UserAgent is sent on every request.
	UserAgent string
	// MaxResponseBytes caps a response body (default 32 MiB).
	MaxResponseBytes int64
	// Limits are the client-side rates per class (zero fields: defaults).
	// Ignored when SharedLimiters is set.
	Limits Limits
	// SharedLimiters, if set, paces this client together with every other
	// client of the same account, so several clients never exceed its limits.
	SharedLimiters *Limiters
	// Observer, if set, is called after every HTTP call.
	Observer Observer
	// RequestTimeout bounds one HTTP request including reading the body
	// (default 30s).
	RequestTimeout time.Duration
}

// validate checks cfg and returns a copy with defaults applied and the
// collection base URL.
func (cfg Config) validate() (Config, string, error) {
	if err := cfg.Hosts.Validate(); err != nil {
		return cfg, "", err
	}
	host, loopback, err := cfg.Hosts.admit(cfg.Host)
	if err != nil {
		return cfg, "", err
	}
	if cfg.APIVersion == "" {
		cfg.APIVersion = DefaultAPIVersion
	}
	if cfg.APIVersion != "2.0" && cfg.APIVersion != "2.1" {
		return cfg, "", fmt.Errorf("scim: unsupported API version %q (want 2.0 or 2.1)", cfg.APIVersion)
	}
	if strings.TrimSpace(cfg.AccountID) == "" {
		return cfg, "", errors.New("scim: account id is empty")
	}
	if strings.ContainsAny(cfg.AccountID, "/?#% ") {
		return cfg, "", fmt.Errorf("scim: account id %q contains characters not allowed in a path segment", cfg.AccountID)
	}
	if cfg.Token == nil {
		return cfg, "", errors.New("scim: no token source")
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	cfg.HTTPClient = boundClient(cfg.HTTPClient, host, loopback)
	base := host + "/api/" + cfg.APIVersion + "/accounts/" + cfg.AccountID + "/scim/v2/"
	return cfg, base, nil
}

// boundClient returns the client requests go through: a shallow copy of c
// (so the caller's client is not modified) or a new default client, that
// never follows redirects and whose transport refuses any URL outside base
// (scheme://host[:port]). A default client for a loopback host also refuses
// to connect to an address that is not loopback.
func boundClient(c *http.Client, base string, loopback bool) *http.Client {
	var cp http.Client
	if c == nil {
		cp = *newDefaultHTTPClient(loopback)
	} else {
		cp = *c
	}
	next := cp.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	scheme, host, _ := strings.Cut(base, "://")
	cp.Transport = &hostGuard{next: next, scheme: scheme, host: host}
	cp.CheckRedirect = stopRedirects
	return &cp
}

func stopRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func newDefaultHTTPClient(loopback bool) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if loopback {
		dialer.Control = loopbackOnly
	}
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          32,
		MaxIdleConnsPerHost:   16,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: transport, Timeout: 60 * time.Second, CheckRedirect: stopRedirects}
}
