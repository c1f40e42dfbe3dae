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
	"fmt"
	"strings"
)

// EqFilter builds the exact-match filter `attribute eq "value"`, the only
// form API 2.1 accepts. The value is written as a SCIM (JSON) string literal,
// so quotes, backslashes and control characters cannot break out of it.
func EqFilter(attribute, value string) string {
	return attribute + " eq " + quoteFilterString(value)
}

// quoteFilterString escapes like JSON but with upper-case \u hex digits,
// because the SCIM filter grammar (RFC 7644 via RFC 7159) as implemented by
// common parsers only accepts those.
func quoteFilterString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
