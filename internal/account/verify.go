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

package account

import (
	"sync"
	"time"
)

// Verifications remembers each DatabricksAccount's last successful token
// check, so identity churn (which re-counts identities) costs no SCIM call.
type Verifications struct {
	mu sync.Mutex
	m  map[string]verification
}

type verification struct {
	generation    int64
	secretVersion string
	at            time.Time
}

// Fresh says the same generation and Secret version were verified less than
// maxAge ago.
func (v *Verifications) Fresh(name string, generation int64, secretVersion string, maxAge time.Duration) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	last, ok := v.m[name]
	return ok && last.generation == generation && last.secretVersion == secretVersion && time.Since(last.at) < maxAge
}

// Remember records a successful check.
func (v *Verifications) Remember(name string, generation int64, secretVersion string, at time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil {
		v.m = map[string]verification{}
	}
	v.m[name] = verification{generation: generation, secretVersion: secretVersion, at: at}
}

// Forget drops the record, so the next reconcile checks again.
func (v *Verifications) Forget(name string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.m, name)
}
