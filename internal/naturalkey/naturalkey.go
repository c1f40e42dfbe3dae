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

// Package naturalkey is the one normalisation of the natural keys that name
// Databricks account principals: a user's userName, a group's displayName, a
// service principal's applicationId or displayName, and the same names in
// group members. Admission (the CRD schemas), the operator's lookups and the
// SCIM client's re-checks all use it, so that two names are "the same
// principal" in exactly one way everywhere.
//
// Validate (and Pattern, its regular-expression twin for the CRDs) decides
// which names are allowed at all; Key maps an allowed name to the string that
// is compared. Key never trims or strips: names that Validate allows stay
// distinct unless Unicode NFKC and case folding make them equal.
//
// Databricks compares all of these names case-insensitively: it lower-cases
// userName and its uniqueness check says "emails are case insensitive"; group
// displayName lookups and uniqueness are case-insensitive; applicationId is a
// UUID, which is case-insensitive by definition (RFC 9562). So there is only
// one Key; no kind needs a case-sensitive variant.
//
// This package uses only the standard library and golang.org/x/text, so the
// SCIM client can import it without pulling in Kubernetes.
package naturalkey

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Pattern is an RE2 regular expression that accepts exactly the strings that
// Validate accepts (Validate has no length limit; the CRDs set those
// separately). It is usable as an OpenAPI "pattern" (Kubernetes checks those
// with Go's regexp) and in a CEL rule, self.matches(r'...'), which is RE2 too.
//
// Read it as: a first character that is neither "other" (\pC: control Cc,
// format Cf, private-use Co, surrogate Cs, unassigned Cn) nor a separator
// (\pZ: spaces Zs, line Zl and paragraph Zp separators, so not U+0020
// either), then any number of groups of ASCII spaces (\x20) followed by
// another such character. So only letters, marks, digits, punctuation,
// symbols and inner ASCII spaces are allowed, and a name never starts or ends
// with a space.
//
// It is deliberately short: the API server's CEL cost estimate multiplies the
// length of the regular expression by the strings' maxLength and by the
// maxItems of Group members (10000), and the spelled-out equivalent
// [\pL\pM\pN\pP\pS] form exceeds that budget.
//
// \pC includes unassigned code points since Go 1.25 (this module needs Go
// 1.26, so Pattern and Validate agree exactly here). A kube-apiserver built
// with an older Go admits unassigned code points; everything else is the same.
// Which code points are assigned depends on the Go release's Unicode tables.
// The pattern is meant for valid UTF-8 (every Kubernetes string is): Go's
// regexp reads an invalid byte as U+FFFD, a symbol, while Validate rejects
// invalid UTF-8.
const Pattern = `^[^\pC\pZ](?:\x20*[^\pC\pZ])*$`

// allowed is the complement of \pC and \pZ, the character class of
// Pattern without the space.
var allowed = []*unicode.RangeTable{unicode.L, unicode.M, unicode.N, unicode.P, unicode.S}

// fold is Unicode (full, non-Turkic) case folding. A fold Caser is stateless
// and safe for concurrent use.
var fold = cases.Fold()

// Key returns the comparison key of a natural key: Unicode NFKC, then case
// folding (golang.org/x/text/cases.Fold, corrected for Cherokee), then NFKC again (folding may leave a string that is not in normal
// form, e.g. U+01F0 folds to "j" + U+030C, so the last step makes Key
// idempotent and keeps canonically equivalent input equal). Two names denote
// the same principal iff their keys are equal.
//
// Key does not trim, strip or validate anything: call Validate to reject
// names that must not be used. Pure ASCII input, the common case, is only
// lower-cased (for ASCII, NFKC is the identity and folding is lower-casing),
// without allocating when it is already lower case.
//
// Full case folding maps some characters to several ("ß" to "ss"), so Key
// can equate names that Databricks, which lower-cases, keeps apart
// ("straße" and "strasse"). The operator then sees one principal where
// Databricks may see two: a conflict is reported rather than a second
// principal touched.
func Key(s string) string {
	if k, ok := asciiKey(s); ok {
		return k
	}
	return norm.NFKC.String(strings.Map(cherokeeUpper, fold.String(norm.NFKC.String(s))))
}

// cherokeeUpper corrects golang.org/x/text/cases.Fold for Cherokee, which it
// folds by swapping case (golang/go#46101): Unicode folds both cases of a
// Cherokee letter to the upper case (U+13A0..U+13F5), which was encoded first.
// Applied after Fold, it maps the lower case (U+AB70..U+ABBF, U+13F8..U+13FD)
// to the upper case, so both cases end up there.
func cherokeeUpper(r rune) rune {
	switch {
	case 0xAB70 <= r && r <= 0xABBF:
		return r - 0xAB70 + 0x13A0
	case 0x13F8 <= r && r <= 0x13FD:
		return r - 8
	}
	return r
}

// Equal reports whether a and b are the same natural key: Key(a) == Key(b).
func Equal(a, b string) bool {
	if a == b {
		return true
	}
	return Key(a) == Key(b)
}

// asciiKey lower-cases s if it is pure ASCII; ok is false otherwise.
func asciiKey(s string) (key string, ok bool) {
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return "", false
		}
		upper = upper || ('A' <= c && c <= 'Z')
	}
	if !upper {
		return s, true
	}
	return strings.ToLower(s), true
}

// Validate reports whether s may be used as a natural key. It rejects the
// empty string, strings that start or end with a space (so also strings made
// only of spaces), invalid UTF-8, and every character that is not a letter,
// mark, digit, punctuation, symbol or the ASCII space: control (Cc) and format
// (Cf, e.g. U+200B zero-width space, U+200D zero-width joiner, U+FEFF byte
// order mark) characters, spaces and separators other than U+0020 (Zs, Zl, Zp,
// e.g. U+00A0, U+2028, U+3000), private-use and surrogate code points, and
// unassigned code points. It accepts exactly what Pattern matches.
//
// The error names the first offending character as U+XXXX with its
// 1-based position in characters; it never quotes the input.
func Validate(s string) error {
	switch {
	case s == "":
		return errors.New("must not be empty")
	case strings.Trim(s, " ") == "":
		return errors.New("must not consist only of spaces")
	}
	pos := 0
	for i, r := range s {
		pos++
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				return fmt.Errorf("byte %d is not valid UTF-8", i+1)
			}
		}
		if r == ' ' || unicode.IsOneOf(allowed, r) {
			continue
		}
		return fmt.Errorf("character %d is U+%04X, %s: control, format, private-use, unassigned and non-ASCII space characters are not allowed", pos, r, describe(r))
	}
	if s[0] == ' ' {
		return errors.New("must not start with a space")
	}
	if s[len(s)-1] == ' ' {
		return errors.New("must not end with a space")
	}
	return nil
}

// describe names the general category of a rejected character.
func describe(r rune) string {
	switch {
	case unicode.Is(unicode.Cc, r):
		return "a control character"
	case unicode.Is(unicode.Cf, r):
		return "an invisible format character"
	case unicode.Is(unicode.Zs, r):
		return "a non-ASCII space"
	case unicode.Is(unicode.Zl, r):
		return "a line separator"
	case unicode.Is(unicode.Zp, r):
		return "a paragraph separator"
	case unicode.Is(unicode.Co, r):
		return "a private-use character"
	case unicode.Is(unicode.Cs, r):
		return "a surrogate code point"
	default:
		return "an unassigned code point"
	}
}
