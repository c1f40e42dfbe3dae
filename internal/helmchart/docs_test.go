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

package helmchart

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// docs/install.md describes every value of values.yaml.
func TestEveryValueIsDocumented(t *testing.T) {
	root := repoRoot(t)
	raw, err := os.ReadFile(filepath.Join(Dir(root), "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(raw, &values); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "install.md"))
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, k := range valueKeys("", values) {
		if !strings.Contains(string(doc), "`"+k+"`") {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		t.Errorf("docs/install.md does not describe these values: %v", missing)
	}
}

// valueKeys lists the dotted paths of values, down to leaves and to maps
// whose keys are free-form (labels, resources, securityContext...).
func valueKeys(prefix string, values map[string]any) []string {
	var out []string
	for k, v := range values {
		path := strings.TrimPrefix(prefix+"."+k, ".")
		if m, ok := v.(map[string]any); ok && len(m) > 0 && !slices.Contains(freeFormValues, path) {
			out = append(out, valueKeys(path, m)...)
			continue
		}
		out = append(out, path)
	}
	sort.Strings(out)
	return out
}

// Values that hold Kubernetes objects or free-form maps: documented as a whole.
var freeFormValues = []string{"resources", "podSecurityContext", "securityContext", "serviceMonitor.tlsConfig"}
