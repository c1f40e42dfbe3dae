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
	"path/filepath"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
)

// `helm lint --strict` passes (warnings fail too), with the default values
// and with the fully customised ones.
func TestLintStrict(t *testing.T) {
	custom, err := common.ReadValuesFile(filepath.Join("testdata", "custom-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, values := range map[string]map[string]any{"default values": nil, "custom values": custom} {
		linter := lint.RunAll(Dir(repoRoot(t)), values, Namespace)
		for _, m := range linter.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("%s: %v", name, m)
			} else {
				t.Logf("%s: %v", name, m)
			}
		}
	}
}
