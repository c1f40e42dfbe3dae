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

package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestForgetAccountDropsOnlyItsGauges(t *testing.T) {
	for _, a := range []string{"forget-me", "keep-me"} {
		for _, ready := range []string{"true", "false"} {
			ManagedIdentities.WithLabelValues(a, "User", ready).Set(3)
		}
	}
	before := testutil.CollectAndCount(ManagedIdentities)
	ForgetAccount("forget-me")
	if got := testutil.CollectAndCount(ManagedIdentities); got != before-2 {
		t.Errorf("%d series left of %d, want the 2 of forget-me gone", got, before)
	}
	if got := testutil.ToFloat64(ManagedIdentities.WithLabelValues("keep-me", "User", "true")); got != 3 {
		t.Errorf("keep-me's gauge is %v, want 3", got)
	}
}
