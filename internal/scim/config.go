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
	"net/url"
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
	// https is required unless the host is loopback.
	Host string
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
	Limits Limits
	// Observer, if set, is called after every HTTP call.
	Observer Observer
	// RequestTimeout bounds one HTTP request including reading the body
	// (default 30s).
	RequestTimeout time.Duration
}

// validate checks cfg and returns a copy with defaults applied and the
// collection base URL.
func (cfg Config) validate() (Config, string, error) {
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
	host, err := validateHost(cfg.Host)
	if err != nil {
		return cfg, "", err
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
	cfg.HTTPClient = noRedirects(cfg.HTTPClient)
	base := host + "/api/" + cfg.APIVersion + "/accounts/" + cfg.AccountID + "/scim/v2/"
	return cfg, base, nil
}

// validateHost returns scheme://host[:port] or an error. Paths, queries and
// user info are refused so that nothing surprising ends up in request URLs.
func validateHost(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", errors.New("scim: host is not a valid URL")
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("scim: host %q must be an absolute http(s) URL", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return "", fmt.Errorf("scim: host %q must not carry a path, query or credentials", u.Scheme+"://"+u.Host)
	}
	if u.Scheme == "http" && !IsLoopbackHost(u.Hostname()) {
		return "", fmt.Errorf("scim: host %q must use https (http is allowed only for loopback hosts)", u.Scheme+"://"+u.Host)
	}
	return u.Scheme + "://" + u.Host, nil
}

// IsLoopbackHost reports whether host (without port) is localhost,
// 127.0.0.0/8 or ::1.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// noRedirects returns a client that never follows redirects: a shallow copy
// of c (so the caller's client is not modified) or a new default client.
func noRedirects(c *http.Client) *http.Client {
	if c == nil {
		return newDefaultHTTPClient()
	}
	cp := *c
	cp.CheckRedirect = stopRedirects
	return &cp
}

func stopRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func newDefaultHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
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
