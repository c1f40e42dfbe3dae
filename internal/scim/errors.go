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
// never contains the token, a URL or a query string, and repeats text from
// the body only when the body is a JSON error document (the SCIM detail, the
// Databricks message): a plain-text or HTML body is described by its
// content type and size alone, so an answer can never be read back through
// a status condition.
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
	// Message is the Databricks message of a JSON body, or a description of
	// any other body (content type and size, never its text).
	Message string
	// RetryAfter is the server's Retry-After; for throttled answers without
	// one it is 1s.
	RetryAfter time.Duration
	// Method and Resource identify the call.
	Method   string
	Resource Resource

	// signs are what a body that is not echoed said, where that matters
	// for classification.
	signs bodySigns
}

// bodySigns records what the parser recognised in a body it does not echo.
type bodySigns uint8

const (
	signLoginPage     bodySigns = 1 << iota // an HTML page from an API path (a login page)
	signRedirect                            // a 3xx answer
	signInvalidToken                        // a plain "Invalid Token" text
	signThrottled                           // a text naming a throttling marker
	signAlreadyExists                       // a text starting like a duplicate-create message
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

// errorCodeText matches a "CODE: message" text body.
var errorCodeText = regexp.MustCompile(`^([A-Z][A-Z0-9_]{2,}): `)

// knownErrorCodes are the Databricks error codes (the Go SDK's apierr list
// plus INVALID_FILTER) a "CODE: message" text body may start with. Only
// these are kept from a text body: a fixed word, never an echo.
var knownErrorCodes = []string{
	"ABORTED", "ALREADY_EXISTS", "BAD_REQUEST", "CANCELLED", "DATA_LOSS", "DEADLINE_EXCEEDED",
	"FEATURE_DISABLED", "INTERNAL_ERROR", "INVALID_FILTER", "INVALID_PARAMETER_VALUE", "INVALID_STATE",
	"MALFORMED_REQUEST", "NOT_FOUND", "NOT_IMPLEMENTED", "PERMISSION_DENIED", "REQUEST_LIMIT_EXCEEDED",
	"RESOURCE_ALREADY_EXISTS", "RESOURCE_CONFLICT", "RESOURCE_DOES_NOT_EXIST", "RESOURCE_EXHAUSTED",
	"TEMPORARILY_UNAVAILABLE", "UNAUTHENTICATED", "UNKNOWN",
}

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
		e.signs |= signRedirect
		e.ErrorCode = "REDIRECT"
		e.Message = "unexpected redirect" + redirectTarget(header) +
			" (not followed; usually a login page, i.e. the token is invalid or the host is wrong)"
	case isHTML(header, trimmed):
		parseHTML(e, header, trimmed)
	case len(trimmed) > 0 && trimmed[0] == '{' && parseJSONError(e, header, trimmed):
	case len(trimmed) > 0:
		parseText(e, header, trimmed)
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

func parseJSONError(e *APIError, header http.Header, body []byte) bool {
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
		// Some other JSON document: not an error body, so not echoed.
		e.Message = "a JSON body that is not an error document " + describeBody(header, body)
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

func parseHTML(e *APIError, header http.Header, body []byte) {
	lower := strings.ToLower(string(body))
	// An HTML page from an API path is what Databricks serves when the
	// session is not authenticated (a login page); a 5xx HTML page from a
	// proxy is a server error instead. The page itself is never quoted.
	e.ErrorCode = "HTML_RESPONSE"
	if e.StatusCode < 500 || strings.Contains(lower, "login") || strings.Contains(lower, "sign in") {
		e.signs |= signLoginPage
		e.Message = "an HTML page instead of JSON " + describeBody(header, body) +
			"; likely a login page: the token is invalid or the host is wrong"
	} else {
		e.Message = "an HTML error page " + describeBody(header, body)
	}
}

// parseText classifies a plain-text body without keeping its text: the
// message names a known error code and what the text was recognised as.
func parseText(e *APIError, header http.Header, body []byte) {
	text := string(body[:min(len(body), 64<<10)])
	lower := strings.ToLower(text)
	var seen []string
	if m := errorCodeText.FindStringSubmatch(text); m != nil && slices.Contains(knownErrorCodes, m[1]) {
		e.ErrorCode = m[1]
	}
	if strings.Contains(lower, "invalid token") {
		e.signs |= signInvalidToken
		seen = append(seen, "says the token is invalid")
	}
	for _, m := range throttleMarkers {
		if strings.Contains(text, m) {
			e.signs |= signThrottled
			seen = append(seen, "reports throttling")
			break
		}
	}
	if isAlreadyExistsText(lower) {
		e.signs |= signAlreadyExists
		seen = append(seen, "says the object already exists")
	}
	e.Message = "a non-JSON body " + describeBody(header, body)
	if len(seen) > 0 {
		e.Message += " that " + strings.Join(seen, " and ")
	}
}

// describeBody is what a message says about a body it does not quote: its
// media type (when it is a plain token) and its size.
func describeBody(header http.Header, body []byte) string {
	return "(" + mediaType(header) + ", " + strconv.Itoa(len(body)) + " bytes)"
}

// knownMediaTypes are the content types a message may name. Any other is
// "another content type": even the header is server data and not echoed.
var knownMediaTypes = []string{
	"application/json", "application/scim+json", "application/problem+json", "application/xml",
	"application/octet-stream", "text/html", "text/plain", "text/xml", "text/json",
}

// mediaType is the Content-Type without parameters, if it is a known one.
func mediaType(header http.Header) string {
	ct, _, _ := strings.Cut(header.Get("Content-Type"), ";")
	ct = strings.ToLower(strings.TrimSpace(ct))
	switch {
	case ct == "":
		return "no content type"
	case slices.Contains(knownMediaTypes, ct):
		return ct
	}
	return "another content type"
}

// redirectTarget says whether a redirect stays on the host or leaves it,
// without naming the target: the Location header comes from the server and
// is not echoed either (its path and query may carry state).
func redirectTarget(header http.Header) string {
	loc := strings.ToLower(strings.TrimSpace(header.Get("Location")))
	switch {
	case loc == "":
		return ""
	case strings.HasPrefix(loc, "https://"), strings.HasPrefix(loc, "http://"), strings.HasPrefix(loc, "//"):
		return " to another host"
	}
	return " to a path on the same host"
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
	if e.StatusCode == http.StatusConflict || e.ErrorCode == "RESOURCE_ALREADY_EXISTS" || e.signs&signAlreadyExists != 0 {
		return true
	}
	return isAlreadyExistsText(strings.ToLower(e.Detail)) || isAlreadyExistsText(strings.ToLower(e.Message))
}

// isAlreadyExistsText matches a lower-cased duplicate-create message.
func isAlreadyExistsText(lower string) bool {
	for _, p := range alreadyExistsPrefixes {
		if strings.HasPrefix(lower, p) && strings.Contains(lower, " already exists") {
			return true
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
	case e.signs&(signLoginPage|signRedirect|signInvalidToken) != 0:
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
	if e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusServiceUnavailable || e.signs&signThrottled != 0 {
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
	if err == nil || errors.Is(err, context.Canceled) || IsHostNotAllowed(err) {
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
