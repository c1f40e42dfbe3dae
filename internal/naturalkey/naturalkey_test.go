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

package naturalkey

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

var patternRE = regexp.MustCompile(Pattern)

func TestKeyEqual(t *testing.T) {
	for _, tc := range []struct{ a, b, why string }{
		{"ADMIN@corp.com", "admin@corp.com", "ASCII case"},
		{"Admin@Corp.COM", "admin@corp.com", "mixed ASCII case"},
		{"ａｄｍｉｎ@corp.com", "admin@corp.com", "full-width letters (NFKC)"},
		{"ＡＤＭＩＮ＠ＣＯＲＰ．ＣＯＭ", "admin@corp.com", "full-width upper case and punctuation"},
		{"ﬁnance", "finance", "ligature (NFKC)"},
		{"\u212Aelvin", "kelvin", "KELVIN SIGN folds to k"},
		{"Zoë Müller", "ZOË MÜLLER", "non-ASCII case"},
		{"Zoe\u0308", "zoë", "decomposed and composed (NFKC)"},
		{"straße", "STRASSE", "full case folding of ß"},
		{"ΣΊΣΥΦΟΣ", "σίσυφος", "Greek final sigma"},
		{"\u13A0\u13F5", "\uAB70\u13FD", "Cherokee folds to its upper case (golang/go#46101)"},
		{"6EF14233-A641-4F1E-905A-9158CBD3B353", "6ef14233-a641-4f1e-905a-9158cbd3b353", "UUID case"},
		{"データ基盤", "データ基盤", "CJK unchanged"},
	} {
		if ka, kb := Key(tc.a), Key(tc.b); ka != kb {
			t.Errorf("%s: Key(%q) = %q, Key(%q) = %q; want equal", tc.why, tc.a, ka, tc.b, kb)
		}
		if !Equal(tc.a, tc.b) {
			t.Errorf("%s: Equal(%q, %q) = false", tc.why, tc.a, tc.b)
		}
	}
}

func TestKeyKeepsDistinctNamesDistinct(t *testing.T) {
	for _, tc := range []struct{ a, b, why string }{
		{"admin@corp.com", "admin@corp.com\u00a0", "trailing no-break space is not trimmed"},
		{"admin@corp.com", "admin@corp.com\u2028", "trailing line separator is not trimmed"},
		{"admin@corp.com", "admin@corp.com\v", "trailing vertical tab is not trimmed"},
		{"admin@corp.com", " admin@corp.com", "leading space is not trimmed"},
		{"admin@corp.com", "admin@corp.com ", "trailing space is not trimmed"},
		{"ab", "a\u200bb", "zero-width space is not stripped"},
		{"ab", "a\u200db", "zero-width joiner is not stripped"},
		{"ab", "\ufeffab", "byte order mark is not stripped"},
		{"data eng", "data  eng", "inner spaces are not collapsed"},
		{"data eng", "dataeng", "inner space is not removed"},
		{"jose", "josé", "accents are kept"},
		{"admin", "adm1n", "look-alikes are not confused"},
	} {
		if Key(tc.a) == Key(tc.b) {
			t.Errorf("%s: Key(%q) == Key(%q) == %q", tc.why, tc.a, tc.b, Key(tc.a))
		}
		if Equal(tc.a, tc.b) {
			t.Errorf("%s: Equal(%q, %q) = true", tc.why, tc.a, tc.b)
		}
	}
}

// slowKey is Key without the ASCII fast path.
func slowKey(s string) string {
	return norm.NFKC.String(strings.Map(cherokeeUpper, fold.String(norm.NFKC.String(s))))
}

func TestKeyASCIIFastPathMatchesSlowPath(t *testing.T) {
	var all strings.Builder
	for c := 0; c < utf8.RuneSelf; c++ {
		s := string(rune(c))
		all.WriteString(s)
		if got, want := Key(s), slowKey(s); got != want {
			t.Errorf("Key(%q) = %q, want %q", s, got, want)
		}
	}
	if got, want := Key(all.String()), slowKey(all.String()); got != want {
		t.Errorf("Key(all ASCII) = %q, want %q", got, want)
	}
	lower := "already-lower@example.com"
	if got := Key(lower); got != lower {
		t.Errorf("Key(%q) = %q", lower, got)
	}
	if n := testing.AllocsPerRun(100, func() { _ = Key(lower) }); n != 0 {
		t.Errorf("Key of lower-case ASCII allocates %v times, want 0", n)
	}
}

// TestKeyEveryRune checks, for every code point, that Key is idempotent,
// neither drops nor empties anything, is the same for canonically equivalent
// input, and equates all members of a simple case-folding orbit.
func TestKeyEveryRune(t *testing.T) {
	if testing.Short() {
		t.Skip("walks every code point")
	}
	failures := 0
	fail := func(format string, args ...any) {
		failures++
		if failures <= 20 {
			t.Errorf(format, args...)
		}
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if 0xD800 <= r && r <= 0xDFFF {
			continue
		}
		s := string(r)
		k := Key(s)
		if Key(k) != k {
			fail("U+%04X: Key not idempotent: %q -> %q", r, k, Key(k))
		}
		if k == "" || Key("x"+s+"y") == "xy" {
			fail("U+%04X: Key drops the character", r)
		}
		if d := norm.NFD.String(s); Key(d) != k {
			fail("U+%04X: Key(NFD) = %q, Key = %q", r, Key(d), k)
		}
		for o := unicode.SimpleFold(r); o != r; o = unicode.SimpleFold(o) {
			if Key(string(o)) != k {
				fail("U+%04X and U+%04X fold together but Key gives %q and %q", r, o, k, Key(string(o)))
			}
		}
	}
}

func TestValidateAccepts(t *testing.T) {
	for _, s := range []string{
		"a",
		"admin@corp.com",
		"first.last+tag@sub.example.co.uk",
		"O'Brien@example.com",
		"Zoë Müller",
		"José",
		"Zoe\u0308",
		"データ基盤チーム",
		"数据 工程",
		"데이터 엔지니어",
		"Ꭰ ꭰ",
		"data engineers",
		"data  engineers",
		"a b c",
		"ａｄｍｉｎ@corp.com",
		"team-42_(prod)/€ ✓",
		"6ef14233-a641-4f1e-905a-9158cbd3b353",
		strings.Repeat("x", 10000),
	} {
		if err := Validate(s); err != nil {
			t.Errorf("Validate(%q) = %v, want nil", s, err)
		}
		if !patternRE.MatchString(s) {
			t.Errorf("Pattern does not match %q", s)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	for _, tc := range []struct{ s, want string }{
		{"", "must not be empty"},
		{" ", "must not consist only of spaces"},
		{"   ", "must not consist only of spaces"},
		{" admin@corp.com", "must not start with a space"},
		{"admin@corp.com ", "must not end with a space"},
		{"admin@corp.com\u00a0", "character 15 is U+00A0, a non-ASCII space"},
		{"admin@corp.com\u2028", "character 15 is U+2028, a line separator"},
		{"admin@corp.com\u2029", "character 15 is U+2029, a paragraph separator"},
		{"admin@corp.com\v", "character 15 is U+000B, a control character"},
		{"admin@corp.com\t", "character 15 is U+0009, a control character"},
		{"admin@corp.com\n", "character 15 is U+000A, a control character"},
		{"admin@corp.com\x00", "character 15 is U+0000, a control character"},
		{"admin@corp.com\u0085", "character 15 is U+0085, a control character"},
		{"\u200b", "character 1 is U+200B, an invisible format character"},
		{"\u200b\u200b\u200b", "character 1 is U+200B"},
		{"a\u200db", "character 2 is U+200D, an invisible format character"},
		{"a\u200cb", "character 2 is U+200C"},
		{"\ufeffadmins", "character 1 is U+FEFF, an invisible format character"},
		{"admins\u00ad", "character 7 is U+00AD, an invisible format character"},
		{"a\u202eb", "character 2 is U+202E, an invisible format character"},
		{"\u3000", "character 1 is U+3000, a non-ASCII space"},
		{"data\u3000eng", "character 5 is U+3000"},
		{"data\u2009eng", "character 5 is U+2009, a non-ASCII space"},
		{"data\u202feng", "character 5 is U+202F"},
		{"\U000E0041", "character 1 is U+E0041, an invisible format character"},
		{"a\ue000", "character 2 is U+E000, a private-use character"},
		{"a\U0010FFFD", "character 2 is U+10FFFD, a private-use character"},
		{"a\u0378", "character 2 is U+0378, an unassigned code point"},
		{"a\U000EFFFF", "character 2 is U+EFFFF, an unassigned code point"},
		{"ab\xffcd", "byte 3 is not valid UTF-8"},
		{"ab\xed\xa0\x80", "byte 3 is not valid UTF-8"}, // an encoded surrogate
	} {
		err := Validate(tc.s)
		if err == nil {
			t.Errorf("Validate(%q) = nil, want an error containing %q", tc.s, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%q) = %q, want it to contain %q", tc.s, err, tc.want)
		}
		if utf8.ValidString(tc.s) && patternRE.MatchString(tc.s) {
			t.Errorf("Pattern matches %q, which Validate rejects", tc.s)
		}
	}
}

func TestValidateErrorIsShortAndQuotesNothing(t *testing.T) {
	huge := strings.Repeat("secret-looking-text ", 10000)
	for _, s := range []string{huge + "\u00a0", huge + " ", " " + huge, huge + "\xff"} {
		err := Validate(s)
		if err == nil {
			t.Fatal("Validate accepted a bad string")
		}
		if len(err.Error()) > 200 || strings.Contains(err.Error(), "secret") {
			t.Errorf("error is %d bytes or quotes the input: %.300q", len(err.Error()), err)
		}
	}
}

// TestPatternMatchesValidateEveryRune puts every code point alone, last
// and between spaces in a name and checks that Pattern and Validate agree.
func TestPatternMatchesValidateEveryRune(t *testing.T) {
	if testing.Short() {
		t.Skip("walks every code point")
	}
	failures := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if 0xD800 <= r && r <= 0xDFFF {
			continue
		}
		c := string(r)
		for _, s := range []string{c, "a" + c, "a " + c + " b"} {
			if (Validate(s) == nil) != patternRE.MatchString(s) {
				failures++
				if failures <= 20 {
					t.Errorf("U+%04X in %q: Validate = %v, Pattern matches = %v", r, s, Validate(s), patternRE.MatchString(s))
				}
			}
		}
	}
}

// FuzzValidateMatchesPattern: Validate(s) == nil iff Pattern matches s, for
// valid UTF-8 (Kubernetes strings always are; Go's regexp would read an
// invalid byte as U+FFFD, which Validate rejects as invalid UTF-8).
func FuzzValidateMatchesPattern(f *testing.F) {
	for _, s := range []string{
		"", " ", "a", "a b", " a", "a ", "admin@corp.com", "admin@corp.com\u00a0", "admin@corp.com\u2028",
		"admin@corp.com\v", "\u200b", "\u3000", "a\u200db", "Zoë Müller", "データ", "a\ue000", "a\u0378",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			if Validate(s) == nil {
				t.Fatalf("Validate accepted invalid UTF-8 %q", s)
			}
			return
		}
		err := Validate(s)
		if matched := patternRE.MatchString(s); (err == nil) != matched {
			t.Fatalf("%q: Validate = %v, Pattern matches = %v", s, err, matched)
		}
	})
}

// FuzzKey: Key is idempotent, never empties a string, and its ASCII fast path
// agrees with the general one.
func FuzzKey(f *testing.F) {
	for _, s := range []string{"", "ADMIN@corp.com", "ａｄｍｉｎ", "straße", "\u13A0\uAB70", "ǰ", "ﬁ", "\u212A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := Key(s)
		if Key(k) != k {
			t.Fatalf("Key(%q) = %q but Key(%q) = %q", s, k, k, Key(k))
		}
		if s != "" && k == "" {
			t.Fatalf("Key(%q) is empty", s)
		}
		if k != slowKey(s) {
			t.Fatalf("Key(%q) = %q, slow path %q", s, k, slowKey(s))
		}
		if !Equal(s, strings.ToUpper(s)) && isASCII(s) {
			t.Fatalf("ASCII %q is not Equal to its upper case", s)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func BenchmarkKey(b *testing.B) {
	for _, s := range []string{"alice.smith@example.com", "Alice.Smith@Example.com", "Zoë Müller データ"} {
		b.Run(s, func(b *testing.B) {
			for b.Loop() {
				_ = Key(s)
			}
		})
	}
}
