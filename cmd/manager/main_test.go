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

package main

import (
	"flag"
	"io"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

func parse(t *testing.T, args ...string) (options, error) {
	t.Helper()
	t.Setenv("POD_NAMESPACE", "databricks-scim-system")
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o, _, err := parseArgs(fs, args)
	return o, err
}

func mustParse(t *testing.T, args ...string) options {
	t.Helper()
	o, err := parse(t, args...)
	if err != nil {
		t.Fatalf("parseArgs(%q): %v", args, err)
	}
	return o
}

func TestShardFlagsRefuseBadValues(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string // substrings of the error
	}{
		{[]string{"--account-selector=shard in (a"}, []string{"--account-selector", `"shard in (a"`}},
		{[]string{"--account-selector=shard==a==b"}, []string{"--account-selector", `"shard==a==b"`}},
		{[]string{"--account-selector=Bad Key=a"}, []string{"--account-selector"}},
		{[]string{"--watch-namespaces=team-a,Team_B"}, []string{"--watch-namespaces", `"Team_B"`}},
	} {
		_, err := parse(t, tc.args...)
		if err == nil {
			t.Errorf("parseArgs(%q) = nil error, want one", tc.args)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("parseArgs(%q) error %q does not contain %q", tc.args, err, w)
			}
		}
	}
}

func TestShardFlagsDefaultToEverything(t *testing.T) {
	o := mustParse(t)
	if o.shard.AccountSelector != nil || o.shard.Namespaces != nil {
		t.Errorf("no flags gave shard %+v, want the zero value", o.shard)
	}
	if got := leaderElectionID(o); got != defaultLeaderElectionID {
		t.Errorf("unsharded Lease %q, want the historical %q", got, defaultLeaderElectionID)
	}
	opts := managerOptions(o)
	if opts.Cache.DefaultNamespaces != nil {
		t.Errorf("unsharded cache restricted to namespaces %v", opts.Cache.DefaultNamespaces)
	}
	for obj := range opts.Cache.ByObject {
		if _, ok := obj.(*v1.DatabricksAccount); ok {
			t.Errorf("unsharded cache filters DatabricksAccounts")
		}
	}
}

func TestShardFlagsConfigureTheCache(t *testing.T) {
	o := mustParse(t, "--account-selector=databricks.scimops.dev/shard=a", "--watch-namespaces= team-a, team-b ,")
	if got, want := o.shard.Namespaces, []string{"team-a", "team-b"}; !slices.Equal(got, want) {
		t.Errorf("namespaces %q, want %q", got, want)
	}
	sel := o.shard.AccountSelector
	if sel == nil || !sel.Matches(labels.Set{"databricks.scimops.dev/shard": "a"}) || sel.Matches(labels.Set{"databricks.scimops.dev/shard": "b"}) {
		t.Fatalf("selector %v does not pick shard a alone", sel)
	}
	opts := managerOptions(o)
	if len(opts.Cache.DefaultNamespaces) != 2 {
		t.Errorf("cache namespaces %v, want team-a and team-b", opts.Cache.DefaultNamespaces)
	}
	var accounts, secrets int
	for obj, by := range opts.Cache.ByObject {
		switch obj.(type) {
		case *v1.DatabricksAccount:
			accounts++
			if by.Label == nil || by.Label.String() != sel.String() {
				t.Errorf("DatabricksAccounts cached with selector %v, want %v", by.Label, sel)
			}
		default:
			secrets++
			if _, ok := by.Namespaces["databricks-scim-system"]; !ok || len(by.Namespaces) != 1 {
				t.Errorf("token Secrets cached in %v, want the secret namespace alone, whatever --watch-namespaces says", by.Namespaces)
			}
		}
	}
	if accounts != 1 || secrets != 1 {
		t.Errorf("cache ByObject has %d account and %d other entries, want 1 and 1", accounts, secrets)
	}
}

func TestShardLeaseIDs(t *testing.T) {
	id := func(args ...string) string {
		t.Helper()
		return leaderElectionID(mustParse(t, args...))
	}
	a := id("--account-selector=databricks.scimops.dev/shard=a")
	b := id("--account-selector=databricks.scimops.dev/shard=b")
	if a == b || a == defaultLeaderElectionID || b == defaultLeaderElectionID {
		t.Errorf("Leases %q (a), %q (b), %q (unsharded) are not all different", a, b, defaultLeaderElectionID)
	}
	if again := id("--account-selector=databricks.scimops.dev/shard=a"); again != a {
		t.Errorf("the same selector gave Leases %q and %q", a, again)
	}
	// The same selector written differently is the same shard, and so the same Lease.
	x := id("--account-selector=tier=gold,region in (us, eu)")
	y := id("--account-selector= region in (eu,us) , tier = gold")
	if x != y {
		t.Errorf("equivalent selectors gave Leases %q and %q", x, y)
	}
	if z := id("--account-selector=tier=gold,region in (us)"); z == x {
		t.Errorf("different selectors share the Lease %q", z)
	}
	for _, l := range []string{a, b, x} {
		if !strings.HasPrefix(l, defaultLeaderElectionID+"-") {
			t.Errorf("Lease %q does not extend %q", l, defaultLeaderElectionID)
		}
		if errs := validation.IsDNS1123Subdomain(l); len(errs) > 0 {
			t.Errorf("Lease %q is not a valid object name: %v", l, errs)
		}
	}
	// Namespaces are a cache setting, not a shard key.
	if ns := id("--account-selector=databricks.scimops.dev/shard=a", "--watch-namespaces=team-a"); ns != a {
		t.Errorf("--watch-namespaces changed the Lease from %q to %q", a, ns)
	}
	if explicit := id("--account-selector=databricks.scimops.dev/shard=a", "--leader-election-id=shard-a"); explicit != "shard-a" {
		t.Errorf("--leader-election-id=shard-a gave Lease %q", explicit)
	}
	if opts := managerOptions(mustParse(t, "--account-selector=databricks.scimops.dev/shard=a")); opts.LeaderElectionID != a {
		t.Errorf("manager Lease %q, want %q", opts.LeaderElectionID, a)
	}
}
