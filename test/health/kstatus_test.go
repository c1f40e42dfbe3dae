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

package health

import (
	"testing"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// TestKstatus computes kstatus, which Flux's wait and healthChecks use, for
// every captured object.
func TestKstatus(t *testing.T) {
	for _, f := range loadFixtures(t) {
		w, ok := expected[f.name]
		if !ok {
			continue // TestFixturesMatchTheCurrentAPI reports it
		}
		t.Run(f.name, func(t *testing.T) {
			g := NewWithT(t)
			res, err := status.Compute(f.obj)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(res.Status).To(Equal(w.kstatus), "message: %s", res.Message)
		})
	}
}
