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
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// DefaultAllowedHosts are the Databricks account consoles the client may
// talk to when a HostPolicy lists none: AWS, AWS GovCloud, AWS GovCloud DoD,
// Azure, Azure Government, Azure China and GCP. Source:
// shared/reference/databricks-account-scim.md §1.1 (the account host table,
// compiled from the Terraform provider's documentation and the Go SDK's
// account-host rules). Not checked against live accounts.
var DefaultAllowedHosts = []string{
	"accounts.cloud.databricks.com",     // AWS
	"accounts.cloud.databricks.us",      // AWS GovCloud
	"accounts-dod.cloud.databricks.mil", // AWS GovCloud DoD
	"accounts.azuredatabricks.net",      // Azure
	"accounts.azuredatabricks.us",       // Azure Government
	"accounts.azuredatabricks.cn",       // Azure China
	"accounts.gcp.databricks.com",       // GCP
}

// HostPolicy decides which account hosts the client may send a token to.
//
// The zero value allows exactly DefaultAllowedHosts over https on the
// default port, and no loopback host.
type HostPolicy struct {
	// Allowed are the hosts allowed over https, each a hostname or IP
	// literal, optionally with ":port" (see ParseAllowedHosts). Matching is
	// exact and case-insensitive: no suffixes, no wildcards. An entry
	// without a port allows only the default https port (443). Empty means
	// DefaultAllowedHosts.
	Allowed []string
	// AllowLoopback additionally allows localhost, 127.0.0.0/8 and ::1 on
	// any port, over http or https (the fake server, tests, make demo).
	AllowLoopback bool
}

// Flag names the messages point to; the manager defines these flags.
const (
	AllowedHostsFlag       = "--allowed-hosts"
	AllowLoopbackHostsFlag = "--allow-loopback-hosts"
)

// HostNotAllowedError reports an account host the HostPolicy refuses. No
// request is ever sent to such a host. Its text names the host (never user
// info, a path or a query) and says how to fix the problem, so it can go
// into a status condition as is.
type HostNotAllowedError struct {
	// Host is scheme://host[:port] as given, or "" when the value could not
	// be parsed.
	Host string
	// Reason says why the host is refused and how to allow it.
	Reason string
}

// Error implements error.
func (e *HostNotAllowedError) Error() string {
	if e.Host == "" {
		return "scim: host not allowed: " + e.Reason
	}
	return fmt.Sprintf("scim: host %s is not allowed: %s", quoteHost(e.Host), e.Reason)
}

// IsHostNotAllowed reports whether err is (or wraps) a HostNotAllowedError.
func IsHostNotAllowed(err error) bool {
	_, ok := errors.AsType[*HostNotAllowedError](err)
	return ok
}

// maxHostEcho bounds the host text an error repeats.
const maxHostEcho = 255

// quoteHost quotes a host for a message: Go-quoted (control characters and
// invalid UTF-8 escaped) and bounded.
func quoteHost(h string) string {
	if len(h) > maxHostEcho {
		return strconv.Quote(strings.ToValidUTF8(h[:maxHostEcho], "")) + "…"
	}
	return strconv.Quote(h)
}

// ParseAllowedHosts reads the value of the --allowed-hosts flag: a
// comma-separated list of hostnames or IP literals, each optionally with
// ":port" (IPv6 as "[addr]:port" or bare "addr"). Spaces around entries and
// empty entries are ignored; entries are lower-cased, IPs written in
// canonical form and duplicates dropped. A scheme, path, user info,
// wildcard or anything that is not a hostname is an error, as is a list
// without any host.
func ParseAllowedHosts(value string) ([]string, error) {
	var out []string
	for item := range strings.SplitSeq(value, ",") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		e, err := parseHostEntry(item)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", AllowedHostsFlag, err)
		}
		if s := e.String(); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no host given (leave the flag out to allow the Databricks account consoles)", AllowedHostsFlag)
	}
	return out, nil
}

// Validate checks every Allowed entry (ParseAllowedHosts output always
// passes).
func (p HostPolicy) Validate() error {
	for _, a := range p.Allowed {
		if _, err := parseHostEntry(a); err != nil {
			return fmt.Errorf("scim: allowed hosts: %w", err)
		}
	}
	return nil
}

// Check reports whether the client may talk to rawHost, an account URL of
// the form https://hostname[:port] (a trailing "/" is accepted). It returns
// a *HostNotAllowedError when the value is not such a URL (user info, path,
// query or fragment), uses http for anything but an allowed loopback host,
// or names a host that is neither in Allowed nor an allowed loopback host.
func (p HostPolicy) Check(rawHost string) error {
	_, _, err := p.admit(rawHost)
	return err
}

// admit is Check returning the base URL scheme://host[:port] (lower-cased)
// and whether the host was admitted as a loopback host.
func (p HostPolicy) admit(rawHost string) (base string, loopback bool, err error) {
	raw := strings.TrimSpace(rawHost)
	notAllowed := func(host, reason string) (string, bool, error) {
		return "", false, &HostNotAllowedError{Host: host, Reason: reason}
	}
	const shape = "the account host must be https://<hostname>[:port], with no user info, path, query or fragment"
	if raw == "" {
		return notAllowed("", "the account host is empty; "+shape)
	}
	u, perr := url.Parse(raw)
	if perr != nil || u.Host == "" || u.Opaque != "" || (u.Scheme != "https" && u.Scheme != "http") {
		return notAllowed("", "the account host is not an absolute https URL; "+shape)
	}
	shown := u.Scheme + "://" + u.Host // never the user info, path or query
	if u.User != nil || strings.ContainsAny(raw, "@?#\\") || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.HasSuffix(u.Host, ":") {
		return notAllowed(shown, shape)
	}
	hostname, port := canonicalHostname(u.Hostname()), 0
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return notAllowed(shown, "the port is not a number from 1 to 65535")
		}
		port = n
	}
	base = u.Scheme + "://" + strings.ToLower(u.Host)
	if IsLoopbackHost(hostname) {
		if p.AllowLoopback {
			return base, true, nil
		}
		if u.Scheme == "https" && p.allows(hostname, port) {
			return base, false, nil
		}
		return notAllowed(shown, "loopback hosts are for local testing only; start the manager with "+
			AllowLoopbackHostsFlag+" to allow them")
	}
	if u.Scheme != "https" {
		return notAllowed(shown, "the account host must use https (http is allowed only for loopback hosts with the manager's "+
			AllowLoopbackHostsFlag+" flag)")
	}
	if !p.allows(hostname, port) {
		entry := hostEntry{host: hostname, port: port}
		return notAllowed(shown, fmt.Sprintf("it is not one of the manager's allowed hosts (by default the Databricks account "+
			"consoles); if it is a Databricks account console, add %s to the manager's %s flag",
			quoteHost(entry.String()), AllowedHostsFlag))
	}
	return base, false, nil
}

// allows reports an exact match of hostname (canonical) and port (0 for the
// default) against the allowed entries.
func (p HostPolicy) allows(hostname string, port int) bool {
	if port == 0 {
		port = 443
	}
	list := p.Allowed
	if len(list) == 0 {
		list = DefaultAllowedHosts
	}
	for _, a := range list {
		e, err := parseHostEntry(a)
		if err != nil {
			continue // an invalid entry matches nothing; Validate reports it
		}
		if e.port == 0 {
			e.port = 443
		}
		if e.host == hostname && e.port == port {
			return true
		}
	}
	return false
}

// hostEntry is one allowed host; port 0 is the default port.
type hostEntry struct {
	host string
	port int
}

// String is the canonical form: host, host:port or [ipv6]:port.
func (e hostEntry) String() string {
	if e.port == 0 {
		return e.host
	}
	return net.JoinHostPort(e.host, strconv.Itoa(e.port))
}

// parseHostEntry reads one allowed-host entry.
func parseHostEntry(s string) (hostEntry, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	bad := func(why string) (hostEntry, error) {
		return hostEntry{}, fmt.Errorf("%s: %s", quoteHost(s), why)
	}
	switch {
	case s == "":
		return bad("empty host")
	case strings.Contains(s, "://"):
		return bad("give a hostname, not a URL (drop the scheme)")
	case strings.Contains(s, "*"):
		return bad("wildcards are not supported; list each host")
	case strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune("/?#@\\%", r) }):
		return bad("must be a hostname or IP address, optionally with :port (no path or user info)")
	}
	host, portText := s, ""
	switch {
	case strings.HasPrefix(s, "["):
		if h, p, err := net.SplitHostPort(s); err == nil {
			host, portText = h, p
		} else if strings.HasSuffix(s, "]") {
			host = s[1 : len(s)-1]
		} else {
			return bad("malformed IPv6 address")
		}
		if ip := net.ParseIP(host); ip == nil || ip.To4() != nil {
			return bad("malformed IPv6 address")
		}
	case strings.Count(s, ":") > 1:
		if net.ParseIP(s) == nil {
			return bad("malformed IPv6 address (write [address]:port to give a port)")
		}
	case strings.Contains(s, ":"):
		host, portText, _ = strings.Cut(s, ":")
	}
	e := hostEntry{host: canonicalHostname(host)}
	if portText != "" || strings.HasSuffix(s, ":") {
		n, err := strconv.Atoi(portText)
		if err != nil || n < 1 || n > 65535 || portText != strconv.Itoa(n) {
			return bad("the port must be a number from 1 to 65535")
		}
		e.port = n
	}
	if net.ParseIP(e.host) == nil && !validHostname(e.host) {
		return bad("not a valid hostname")
	}
	return e, nil
}

// canonicalHostname lower-cases a hostname and writes an IP literal in its
// canonical form (so ::1 and 0:0:0:0:0:0:0:1 match).
func canonicalHostname(h string) string {
	h = strings.ToLower(h)
	if ip := net.ParseIP(h); ip != nil {
		return ip.String()
	}
	return h
}

// validHostname accepts DNS names: dot-separated labels of letters, digits,
// '-' and '_', 1–63 bytes each, at most 253 bytes, no trailing dot.
func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// IsLoopbackHost reports whether host (without port) is localhost,
// 127.0.0.0/8 or ::1. Only the literal name "localhost" counts ("localhost."
// or "foo.localhost" do not).
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostGuard refuses, before anything is sent, a request to any other
// scheme and host than the one the policy admitted: defence in depth under
// the URL building, whichever http.Client the caller supplied.
type hostGuard struct {
	next   http.RoundTripper
	scheme string
	host   string
}

// RoundTrip implements http.RoundTripper.
func (g *hostGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil || req.URL.Scheme != g.scheme || !strings.EqualFold(req.URL.Host, g.host) || req.URL.User != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		shown := ""
		if req.URL != nil {
			shown = req.URL.Scheme + "://" + req.URL.Host
		}
		return nil, &HostNotAllowedError{Host: shown, Reason: "the client is bound to " + quoteHost(g.scheme+"://"+g.host) + " and sends nothing elsewhere"}
	}
	return g.next.RoundTrip(req)
}

// errNotLoopback is what the dialer of a loopback-only client returns when
// "localhost" resolved to something else.
var errNotLoopback = errors.New("the loopback account host resolved to an address that is not loopback")

// loopbackOnly is a net.Dialer Control that refuses any address that is not
// loopback.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return errNotLoopback
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return errNotLoopback
	}
	return nil
}
