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

package v1alpha1_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/naturalkey"
	"github.com/scimops/databricks-scim-operator/internal/testenv"
)

// Admission messages of the natural-key and display-name CEL rules; the
// schema tests expect the API server to print them.
const (
	naturalKeyMessage  = "must not contain control, format, private-use, unassigned or non-ASCII space characters, nor start or end with a space"
	displayTextMessage = "must not contain control or invisible format characters (only the zero-width joiner and non-joiner are allowed)"
)

// naturalKeyRule is the CEL rule every natural-key field must carry.
var naturalKeyRule = "self.matches(r'" + naturalkey.Pattern + "')"

// displayTextRule rejects Cc and Cf except ZWNJ and ZWJ, which Persian and
// Indic names need.
const displayTextRule = `!self.replace('\u200c', '').replace('\u200d', '').matches(r'[\p{Cc}\p{Cf}]')`

// crdFieldRules maps "kind:path" of every string field of the generated CRDs
// to its CEL rules and messages.
func crdFieldRules(t *testing.T) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, kind := range []string{"users", "groups", "serviceprincipals", "databricksaccounts"} {
		data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "crd", "bases", "databricks.scimops.dev_"+kind+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var crd map[string]any
		if err := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096).Decode(&crd); err != nil {
			t.Fatal(err)
		}
		for _, ver := range crd["spec"].(map[string]any)["versions"].([]any) {
			schema := ver.(map[string]any)["schema"].(map[string]any)["openAPIV3Schema"].(map[string]any)
			walkSchema(kind+":", schema, out)
		}
	}
	return out
}

func walkSchema(path string, s map[string]any, out map[string]map[string]string) {
	if s["type"] == "string" {
		rules := map[string]string{}
		if vs, ok := s["x-kubernetes-validations"].([]any); ok {
			for _, v := range vs {
				m := v.(map[string]any)
				msg, _ := m["message"].(string)
				rules[m["rule"].(string)] = msg
			}
		}
		out[strings.TrimSuffix(path, ".")] = rules
	}
	if props, ok := s["properties"].(map[string]any); ok {
		for name, p := range props {
			walkSchema(path+name+".", p.(map[string]any), out)
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		walkSchema(strings.TrimSuffix(path, ".")+"[].", items, out)
	}
}

// TestNaturalKeyFieldsCarryNaturalkeyPattern: the rule text in the CRDs
// (from the markers in *_types.go) is exactly naturalkey.Pattern, on exactly
// the natural-key fields, with the readable message.
func TestNaturalKeyFieldsCarryNaturalkeyPattern(t *testing.T) {
	want := []string{
		"groups:spec.displayName",
		"groups:spec.members[].applicationId",
		"groups:spec.members[].groupDisplayName",
		"groups:spec.members[].userName",
		"serviceprincipals:spec.applicationId",
		"serviceprincipals:spec.displayName",
		"users:spec.userName",
	}
	fields := crdFieldRules(t)
	var got []string
	for path, rules := range fields {
		for rule, msg := range rules {
			if msg != naturalKeyMessage && !strings.Contains(rule, `\pC`) {
				continue
			}
			got = append(got, path)
			if rule != naturalKeyRule {
				t.Errorf("%s: rule %s\nwant      %s (naturalkey.Pattern): regenerate or fix the marker", path, rule, naturalKeyRule)
			}
			if msg != naturalKeyMessage {
				t.Errorf("%s: message %q, want %q", path, msg, naturalKeyMessage)
			}
		}
	}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("natural-key rule on %v, want on %v", got, want)
	}
	for _, path := range want {
		if _, ok := fields[path][naturalKeyRule]; !ok {
			t.Errorf("%s has no rule %s", path, naturalKeyRule)
		}
	}
	if _, err := regexp.Compile(naturalkey.Pattern); err != nil {
		t.Errorf("naturalkey.Pattern is not a Go regexp: %v", err)
	}
}

func TestUserDisplayTextFieldsRejectControlAndFormatCharacters(t *testing.T) {
	fields := crdFieldRules(t)
	for _, path := range []string{"users:spec.displayName", "users:spec.givenName", "users:spec.familyName"} {
		if msg, ok := fields[path][displayTextRule]; !ok || msg != displayTextMessage {
			t.Errorf("%s: rules %v, want %s with message %q", path, fields[path], displayTextRule, displayTextMessage)
		}
	}
}

func TestIsReservedGroupName(t *testing.T) {
	for _, name := range []string{
		"admins", "ADMINS", "Account Users", "users",
		"ＡＤＭＩＮＳ",        // full width
		"admin\u017f",   // LATIN SMALL LETTER LONG S folds to s
		"ａｃｃｏｕｎｔ users", // mixed
		"adm\u33ccs",    // SQUARE IN (NFKC "in")
		" admins ",
	} {
		if !v1.IsReservedGroupName(name) {
			t.Errorf("IsReservedGroupName(%q) = false", name)
		}
	}
	for _, name := range []string{"admins2", "admin", "account  users", "accountusers", "admins\u200b", "data-users"} {
		if v1.IsReservedGroupName(name) {
			t.Errorf("IsReservedGroupName(%q) = true", name)
		}
	}
}
