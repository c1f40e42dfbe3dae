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
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// APIError is an unsuccessful HTTP answer from the SCIM API, normalised from
// whichever of the Databricks error shapes the server used. Its Error text
// never contains the token, a URL or a query string.
type APIError struct {
	// StatusCode is the HTTP status (3xx for a redirect that was not followed).
	StatusCode int
	// ErrorCode is the Databricks error_code, the CODE of a "CODE: message"
	// text body, or SCIM_<status> for SCIM error bodies.
	ErrorCode string
	// ScimType is the SCIM error scimType (not always an RFC keyword).
	ScimType string
	// Detail is the SCIM error detail.
	Detail string
	// Message is the Databricks message or the (shortened) text body.
	Message string
	// RetryAfter is the server's Retry-After; for throttled answers without
	// one it is 1s.
	RetryAfter time.Duration
	// Method and Resource identify the call.
	Method   string
	Resource Resource

	// kind records what the body looked like where that matters for
	// classification (HTML login page, redirect).
	kind bodyKind
}

type bodyKind int

const (
	bodyOther bodyKind = iota
	bodyHTMLLogin
	bodyRedirect
)

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("scim: ")
	if e.Method != "" {
		b.WriteString(e.Method + " ")
	}
	if e.Resource != "" {
		b.WriteString(string(e.Resource) + ": ")
	}
	fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	if e.ErrorCode != "" {
		b.WriteString(" " + e.ErrorCode)
	}
	if text := e.text(); text != "" {
		b.WriteString(": " + text)
	}
	if e.ScimType != "" && e.ScimType != e.text() {
		b.WriteString(" (scimType " + e.ScimType + ")")
	}
	return b.String()
}

// text is the most informative human-readable part of the error.
func (e *APIError) text() string {
	switch {
	case e.Detail != "" && e.Message != "" && e.Detail != e.Message:
		return e.Message + ": " + e.Detail
	case e.Detail != "":
		return e.Detail
	}
	return e.Message
}

// maxErrorText bounds the text kept from an error body.
const maxErrorText = 512

var (
	errorCodeText = regexp.MustCompile(`(?s)^([A-Z][A-Z0-9_]{2,}): (.*)$`)
	htmlTitle     = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
)

// errorBody is the union of the SCIM and Databricks JSON error shapes.
type errorBody struct {
	Schemas   []string        `json:"schemas"`
	Detail    *string         `json:"detail"`
	Status    json.RawMessage `json:"status"`
	ScimType  string          `json:"scimType"`
	ErrorCode string          `json:"error_code"`
	Message   string          `json:"message"`
	Error     string          `json:"error"`
}

// parseError builds an APIError from a non-2xx answer (or a 2xx HTML page).
// secrets are removed from every text field, so a server echoing the token
// cannot leak it into logs. It never panics, whatever the body.
func parseError(status int, header http.Header, body []byte, secrets ...string) *APIError {
	e := &APIError{StatusCode: status}
	trimmed := bytes.TrimSpace(body)
	switch {
	case status >= 300 && status < 400:
		e.kind = bodyRedirect
		e.ErrorCode = "REDIRECT"
		e.Message = "unexpected redirect" + redirectTarget(header) +
			" (not followed; usually a login page, i.e. the token is invalid or the host is wrong)"
	case isHTML(header, trimmed):
		parseHTML(e, trimmed)
	case len(trimmed) > 0 && trimmed[0] == '{' && parseJSONError(e, trimmed):
	case len(trimmed) > 0:
		text := string(trimmed)
		if m := errorCodeText.FindStringSubmatch(text); m != nil {
			e.ErrorCode, text = m[1], m[2]
		}
		e.Message = text
	default:
		e.Message = http.StatusText(status)
	}
	if ra, ok := parseRetryAfter(header.Get("Retry-After")); ok {
		e.RetryAfter = ra
	}
	if e.RetryAfter == 0 && IsThrottled(e) {
		e.RetryAfter = time.Second
	}
	e.ErrorCode = clean(e.ErrorCode, 64, secrets)
	e.ScimType = clean(e.ScimType, 128, secrets)
	e.Detail = clean(e.Detail, maxErrorText, secrets)
	e.Message = clean(e.Message, maxErrorText, secrets)
	return e
}

func parseJSONError(e *APIError, body []byte) bool {
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err != nil {
		return false
	}
	e.ErrorCode, e.Message, e.ScimType = eb.ErrorCode, eb.Message, eb.ScimType
	if e.Message == "" {
		e.Message = eb.Error
	}
	isSCIM := eb.Detail != nil || len(eb.Status) > 0 || slices.Contains(eb.Schemas, SchemaError)
	if isSCIM {
		if eb.Detail != nil {
			e.Detail = *eb.Detail
		}
		// The SDKs map the literal detail "null" to this text.
		if e.Detail == "null" || (e.Detail == "" && e.Message == "") {
			e.Detail = "SCIM API Internal Error"
		}
		if e.ErrorCode == "" {
			e.ErrorCode = "SCIM_" + scimStatus(eb.Status, e.StatusCode)
		}
	}
	if !isSCIM && e.ErrorCode == "" && e.Message == "" {
		// Some other JSON document: keep it as text.
		e.Message = string(body)
	}
	return true
}

// scimStatus reads the SCIM status, a string ("500") or a number (500).
func scimStatus(raw json.RawMessage, fallback int) string {
	var s string
	if json.Unmarshal(raw, &s) == nil && s != "" {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil && n != "" {
		return n.String()
	}
	return strconv.Itoa(fallback)
}

func isHTML(header http.Header, body []byte) bool {
	if strings.HasPrefix(strings.ToLower(header.Get("Content-Type")), "text/html") {
		return true
	}
	head := strings.ToLower(string(body[:min(len(body), 64)]))
	return strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html")
}

func parseHTML(e *APIError, body []byte) {
	title := ""
	if m := htmlTitle.FindSubmatch(body[:min(len(body), 64<<10)]); m != nil {
		title = strings.Join(strings.Fields(string(m[1])), " ")
	}
	lower := strings.ToLower(string(body))
	// An HTML page from an API path is what Databricks serves when the
	// session is not authenticated (a login page); a 5xx HTML page from a
	// proxy is a server error instead.
	if e.StatusCode < 500 || strings.Contains(lower, "login") || strings.Contains(lower, "sign in") {
		e.kind = bodyHTMLLogin
		e.Message = "received an HTML page instead of JSON (likely a login page: the token is invalid or the host is wrong)"
	} else {
		e.Message = "received an HTML error page"
	}
	e.ErrorCode = "HTML_RESPONSE"
	if title != "" {
		e.Message += "; title: " + title
	}
}

// redirectTarget names only the host a redirect points to: the path and
// query of a login redirect are noise and may carry state.
func redirectTarget(header http.Header) string {
	loc := header.Get("Location")
	if loc == "" {
		return ""
	}
	rest, ok := strings.CutPrefix(loc, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(loc, "http://")
	}
	if !ok {
		return " to a path on the same host"
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	if _, h, found := strings.Cut(host, "@"); found {
		host = h
	}
	return " to host " + host
}

// parseRetryAfter reads Retry-After as integer seconds (what Databricks
// sends) or an HTTP date.
func parseRetryAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0, false
		}
		return min(time.Duration(n)*time.Second, MaxRetryAfter), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), MaxRetryAfter), true
	}
	return 0, false
}

// clean redacts secrets and bounds the length of one text field. Redaction
// comes before truncation so a cut cannot leave half a token behind.
func clean(s string, limit int, secrets []string) string {
	s = redact(s, secrets)
	s = strings.ToValidUTF8(s, "?")
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// redact replaces every occurrence of each secret. If the replacement itself
// would re-create a secret, occurrences are deleted until none remain.
func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec == "" || !strings.Contains(s, sec) {
			continue
		}
		s = strings.ReplaceAll(s, sec, "[REDACTED]")
		for strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "")
		}
	}
	return s
}

// TransportError is a request that got no HTTP answer (DNS, connect, TLS,
// timeout, reset). Its text never contains the request URL.
type TransportError struct {
	Method   string
	Resource Resource
	Err      error
}

// Error implements error.
func (e *TransportError) Error() string {
	return fmt.Sprintf("scim: %s %s: %v", e.Method, e.Resource, e.Err)
}

// Unwrap returns the underlying error.
func (e *TransportError) Unwrap() error { return e.Err }

// AsAPIError returns the APIError in err's chain.
func AsAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}

// IsNotFound reports a 404.
func IsNotFound(err error) bool {
	e, ok := AsAPIError(err)
	return ok && e.StatusCode == http.StatusNotFound
}

// alreadyExistsPrefixes are the lower-cased starts of Databricks' duplicate
// messages (reference §5.2), matched case-insensitively as Terraform does.
var alreadyExistsPrefixes = []string{
	"user with email ",
	"user with username ",
	"group with name ",
	"service principal with application id ",
}

// IsAlreadyExists reports a create conflict: a 409, or one of Databricks'
// "… already exists" messages whatever the status.
func IsAlreadyExists(err error) bool {
	e, ok := AsAPIError(err)
	if !ok {
		return false
	}
	if e.StatusCode == http.StatusConflict || e.ErrorCode == "RESOURCE_ALREADY_EXISTS" {
		return true
	}
	for _, text := range []string{e.Detail, e.Message} {
		lower := strings.ToLower(text)
		for _, p := range alreadyExistsPrefixes {
			if strings.HasPrefix(lower, p) && strings.Contains(lower, " already exists") {
				return true
			}
		}
	}
	return false
}

// IsUnauthorized reports an authentication or authorization failure: 401,
// 403, a plain "Invalid Token" body, an HTML login page or a redirect.
func IsUnauthorized(err error) bool {
	e, ok := AsAPIError(err)
	if !ok {
		return false
	}
	switch {
	case e.StatusCode == http.StatusUnauthorized, e.StatusCode == http.StatusForbidden:
		return true
	case e.kind == bodyHTMLLogin, e.kind == bodyRedirect:
		return true
	}
	return strings.Contains(strings.ToLower(e.Message+" "+e.Detail), "invalid token")
}

// throttleMarkers identify throttling reported as a server error.
var throttleMarkers = []string{"REQUEST_LIMIT_EXCEEDED", "RPC token bucket limit has been exceeded"}

// IsThrottled reports rate limiting: a 429, or a server error carrying
// REQUEST_LIMIT_EXCEEDED (SCIM reports throttling as HTTP 500 at times).
func IsThrottled(err error) bool {
	e, ok := AsAPIError(err)
	if !ok {
		return false
	}
	// 503 is what SDKs retry after Retry-After too; the text markers count
	// whatever the status, as the Databricks SDKs match them.
	if e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusServiceUnavailable {
		return true
	}
	all := e.ErrorCode + " " + e.Message + " " + e.Detail
	for _, m := range throttleMarkers {
		if strings.Contains(all, m) {
			return true
		}
	}
	return false
}

// IsRetryable reports errors worth retrying later: throttling, 5xx,
// transport failures and timeouts. A cancelled context is not retryable.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if e, ok := AsAPIError(err); ok {
		return IsThrottled(e) || e.StatusCode >= 500
	}
	if _, ok := errors.AsType[*TransportError](err); ok {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}
