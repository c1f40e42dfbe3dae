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

package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/scimops/databricks-scim-operator/internal/cli"
	"github.com/scimops/databricks-scim-operator/internal/cli/clitest"
)

// Export a fake account, apply the directory with the operator running:
// every resource Ready and not one SCIM write, first read-only (Observe),
// then managed with adoptionPolicy IfExists, because the spec equals the
// remote state. Then plan the adopted directory: nothing to do.
func TestExportApplyReadyWithoutWrites(t *testing.T) {
	g := NewWithT(t)
	tn := newTenant(t, cluster(t), true)
	size := clitest.Small
	clitest.SeedAccount(tn.fake, size)
	objects := size.Users + size.ServicePrincipals + size.Groups // the built-in groups are skipped

	// Host and account id come from the DatabricksAccount in the cluster.
	dir := filepath.Join(t.TempDir(), "observe")
	tn.fake.ResetRequests()
	code, _, stderr := tn.run(append([]string{"export", "--namespace", tn.namespace, dir}, tn.flags()...)...)
	g.Expect(code).To(Equal(cli.ExitOK), stderr)
	g.Expect(stderr).To(ContainSubstring(fmt.Sprintf("wrote %d users, %d service principals and %d groups to %s", size.Users, size.ServicePrincipals, size.Groups, dir)))
	g.Expect(stderr).To(ContainSubstring(`Group "admins"`), "the built-in groups are named in the notes")
	g.Expect(stderr).NotTo(ContainSubstring(tn.token))
	// The floor: one list page per collection, one GET per exported group.
	writes, lists, gets := scimCalls(tn.fake)
	g.Expect([]int{writes, lists, gets}).To(Equal([]int{0, 3, size.Groups}))
	g.Expect(stderr).To(ContainSubstring(fmt.Sprintf("SCIM calls: 3 list pages, %d GETs", size.Groups)))
	g.Expect(stderr).To(ContainSubstring(fmt.Sprintf("(floor: 3 list pages + %d group GETs)", size.Groups)))

	raw, err := os.ReadFile(filepath.Join(dir, tn.namespace, "groups", "group-0009.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(raw)).To(And(ContainSubstring("managementPolicy: Observe"), ContainSubstring("groupRef:\n      name: group-0008"),
		ContainSubstring("servicePrincipalRef:"), ContainSubstring("userRef:")))

	tn.fake.ResetRequests()
	tn.apply(t, dir)
	tn.waitReady(t, objects, "Observed")
	writes, _, _ = scimCalls(tn.fake)
	g.Expect(writes).To(BeZero(), "Observe never writes")

	// Now managed: the same spec with adoptionPolicy IfExists, applied over
	// the observed resources. Every resource is adopted and in sync with
	// no SCIM write at all.
	adopt := filepath.Join(t.TempDir(), "adopt")
	code, _, stderr = tn.run(append([]string{"export", "--namespace", tn.namespace, "--adopt", adopt}, tn.flags()...)...)
	g.Expect(code).To(Equal(cli.ExitOK), stderr)
	raw, err = os.ReadFile(filepath.Join(adopt, tn.namespace, "users", "user-00001-example-com.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(raw)).To(And(ContainSubstring("adoptionPolicy: IfExists"), ContainSubstring("accountAdmin: true"), Not(ContainSubstring("managementPolicy"))))
	tn.fake.ResetRequests()
	tn.apply(t, adopt)
	tn.waitReady(t, objects, "Synced")
	writes, _, _ = scimCalls(tn.fake)
	g.Expect(writes).To(BeZero(), "adopting a spec equal to the remote state writes nothing")

	code, stdout, stderr := tn.run(append([]string{"plan", adopt}, tn.flags()...)...)
	g.Expect(code).To(Equal(cli.ExitOK), stdout+stderr)
	g.Expect(stdout).To(HaveSuffix(fmt.Sprintf("Plan: %d unchanged. No changes.\n", objects)))
}

// Filters and namespace rules: only groups, split by a displayName prefix;
// members not written alongside are named by natural key.
func TestExportFiltersAndNamespaceRules(t *testing.T) {
	g := NewWithT(t)
	tn := newTenant(t, cluster(t), true)
	clitest.SeedAccount(tn.fake, clitest.Small)
	dir := t.TempDir()
	code, _, stderr := tn.run(append([]string{"export", "-n", "rest", "--groups", "--namespace-for", "group:group-0001=low",
		"--match", "GROUP-000*", dir}, tn.flags()...)...)
	g.Expect(code).To(Equal(cli.ExitOK), stderr)
	g.Expect(stderr).To(ContainSubstring("wrote 0 users, 0 service principals and 10 groups"))
	g.Expect(filepath.Join(dir, "rest", "groups", "group-0009.yaml")).To(BeAnExistingFile())
	raw, err := os.ReadFile(filepath.Join(dir, "low", "groups", "group-0001.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(raw)).To(And(ContainSubstring("userName: user-"), ContainSubstring("applicationId:")))
	kust, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(strings.Count(string(kust), "\n- ")).To(Equal(10))
}
