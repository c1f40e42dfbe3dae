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
	"fmt"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

// Fake is a Getter for unit tests: it returns the Account registered under
// the DatabricksAccount's name, or Err.
type Fake struct {
	Accounts map[string]*Account
	Err      error
}

var _ Getter = (*Fake)(nil)

// For returns the registered Account.
func (f *Fake) For(acct *v1.DatabricksAccount) (*Account, error) {
	if f.Err != nil {
		return nil, f.Err
	}
	a, ok := f.Accounts[acct.Name]
	if !ok {
		return nil, fmt.Errorf("fake registry: no account %q", acct.Name)
	}
	return a, nil
}
