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
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestParseRetryAfter(t *testing.T) {
	g := NewWithT(t)
	d, ok := parseRetryAfter("3")
	g.Expect(ok).To(BeTrue())
	g.Expect(d).To(Equal(3 * time.Second))
	d, _ = parseRetryAfter("999999")
	g.Expect(d).To(Equal(MaxRetryAfter))
	_, ok = parseRetryAfter("-1")
	g.Expect(ok).To(BeFalse())
	_, ok = parseRetryAfter("soon")
	g.Expect(ok).To(BeFalse())
	d, ok = parseRetryAfter(time.Now().Add(10 * time.Second).UTC().Format(http.TimeFormat))
	g.Expect(ok).To(BeTrue())
	g.Expect(d).To(BeNumerically("~", 10*time.Second, 2*time.Second))
}

func TestRedact(t *testing.T) {
	g := NewWithT(t)
	g.Expect(redact("a TOKEN b TOKEN", []string{"TOKEN"})).To(Equal("a [REDACTED] b [REDACTED]"))
	g.Expect(redact("xx[REDACTED]xx", []string{"RED"})).NotTo(ContainSubstring("RED"))
	g.Expect(redact("abab", []string{"ab"})).To(Equal("[REDACTED][REDACTED]"))
	g.Expect(clean(strings.Repeat("é", 600), 512, nil)).To(HaveLen(512 + len("…")))
}

// FuzzParseError: whatever the status, headers and body, the parser returns
// an error value without panicking, and a token planted in the request
// never shows in its text, even when the server echoes it. Only a JSON
// error body may be quoted: for any other body every text field is made of
// the parser's own words (echoAlphabet), so no body of 8 bytes or more that
// has a character outside that alphabet, nor a marker planted in the body,
// ever shows.
func FuzzParseError(f *testing.F) {
	seeds := []string{
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"x","status":"500"}`,
		`{"detail":"null","status":409}`,
		`{"error_code":"INVALID_FILTER","message":"m"}`,
		"PERMISSION_DENIED: nope",
		"Invalid Token",
		"<!DOCTYPE html><title>Login</title>",
		"",
		`{"status":{}}`,
		"REQUEST_LIMIT_EXCEEDED: x <secret>",
		"Group with name x already exists. Invalid Token",
		`{"not":"an error"}`,
	}
	for i, s := range seeds {
		f.Add(200+i*50, s, "text/html", "3", []byte("secret-part"))
		f.Add(200+i*50, s, "text/plain; charset=utf-8", "", []byte("x"))
	}
	f.Fuzz(func(t *testing.T, status int, body, contentType, retryAfter string, tokenBytes []byte) {
		token := "dapi" + hex.EncodeToString(tokenBytes) + "-token"
		header := http.Header{}
		header.Set("Content-Type", contentType)
		header.Set("Retry-After", retryAfter)
		header.Set("Location", "https://evil.example/"+token)
		// Plant the token in the body several ways, and a marker.
		for _, b := range []string{body, body + token, token + body, strings.ReplaceAll(body, "x", token), body + bodyMark, bodyMark + body} {
			e := parseError(status, header, []byte(b), token)
			e.Method, e.Resource = "GET", ResourceUsers
			msg := e.Error()
			if strings.Contains(msg, token) {
				t.Fatalf("token leaked: %q", msg)
			}
			_ = IsAlreadyExists(e) || IsUnauthorized(e) || IsThrottled(e) || IsRetryable(e) || IsNotFound(e)
			if e.RetryAfter < 0 || e.RetryAfter > MaxRetryAfter {
				t.Fatalf("retry-after out of range: %v", e.RetryAfter)
			}
			if mayQuote(status, header, []byte(b)) {
				continue
			}
			for _, field := range []string{e.ErrorCode, e.ScimType, e.Detail, e.Message} {
				if i := strings.IndexFunc(field, func(r rune) bool { return !strings.ContainsRune(echoAlphabet, r) }); i >= 0 {
					t.Fatalf("non-JSON body %q: field %q has %q, not a word of the parser's own", b, field, field[i:])
				}
			}
			trimmed := strings.TrimSpace(b)
			if strings.Contains(b, bodyMark) && strings.Contains(msg, "FZ~mark") ||
				len(trimmed) >= 8 && strings.ContainsFunc(trimmed, func(r rune) bool { return !strings.ContainsRune(echoAlphabet, r) }) && strings.Contains(msg, trimmed) {
				t.Fatalf("non-JSON body echoed: %q in %q", b, msg)
			}
		}
	})
}

// bodyMark is planted in fuzzed bodies; it never appears in a message.
const bodyMark = "<FZ~mark>"

// echoAlphabet holds every character of the parser's own texts (and of
// net/http's status texts).
const echoAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 :()',;/+-_."

// mayQuote reports the answers whose text the parser may repeat: JSON error
// documents that are not redirects or HTML.
func mayQuote(status int, header http.Header, body []byte) bool {
	trimmed := bytes.TrimSpace(body)
	if status >= 300 && status < 400 || isHTML(header, trimmed) || len(trimmed) == 0 || trimmed[0] != '{' {
		return false
	}
	var eb errorBody
	return json.Unmarshal(trimmed, &eb) == nil
}
