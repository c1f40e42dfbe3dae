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

package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/scimops/databricks-scim-operator/internal/naturalkey"
)

// maxName is the longest object name written: a DNS-1123 label, so a name
// also fits where labels are required.
const maxName = 63

// hashLen is the length of the hash suffix that tells colliding names apart.
const hashLen = 8

// BaseName is the readable part of an object name: from is lower-cased,
// accents are dropped (NFKD, marks removed), every run of other characters
// becomes one "-", and leading and trailing "-" are trimmed. So
// "Alice.Smith@Example.com" becomes "alice-smith-example-com" and
// "Équipe Données" becomes "equipe-donnees". It may be empty or too long;
// Names handles both.
func BaseName(from string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(strings.ToLower(from)) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case unicode.Is(unicode.Mn, r):
			// a combining mark left by NFKD: drop it, keep the letter
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}

// hashSuffix is a short stable hash of a natural key (under naturalkey.Key,
// so spellings Databricks treats as the same principal hash alike).
func hashSuffix(kind Kind, key string) string {
	sum := sha256.Sum256([]byte(string(kind) + "\x00" + naturalkey.Key(key)))
	return hex.EncodeToString(sum[:])[:hashLen]
}

// names assigns object names to the principals of one kind. The name is
// BaseName of the principal's name (a user's userName, a service principal's
// displayName or else applicationId, a group's displayName), unless it is
// empty, longer than 63 characters, or shared with another principal of the
// kind: then it is the base cut to fit, "-", and 8 hex digits of a SHA-256
// of the natural key. Every principal sharing a base gets the suffix, so no
// name depends on which principal came first, and a name never changes
// because of principals that do not collide with it.
func names(kind Kind, ps []*principal) (map[*principal]string, error) {
	bases := make(map[*principal]string, len(ps))
	count := map[string]int{}
	for _, p := range ps {
		base := BaseName(p.nameFrom)
		bases[p] = base
		count[base]++
	}
	out := make(map[*principal]string, len(ps))
	taken := map[string]*principal{}
	for _, p := range ps {
		base := bases[p]
		name := base
		if base == "" || len(base) > maxName || count[base] > 1 {
			if base == "" {
				base = fallbackBase[kind]
			}
			cut := strings.TrimRight(base[:min(len(base), maxName-hashLen-1)], "-")
			name = cut + "-" + hashSuffix(kind, p.key)
		}
		if other, dup := taken[name]; dup {
			return nil, fmt.Errorf("%s %q and %q both get the object name %q", kind, other.key, p.key, name)
		}
		taken[name] = p
		out[p] = name
	}
	return out, nil
}

// fallbackBase names principals whose name has no letter or digit to keep.
var fallbackBase = map[Kind]string{KindUser: "user", KindServicePrincipal: "sp", KindGroup: "group"}
