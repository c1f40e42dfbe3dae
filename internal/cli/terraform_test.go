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
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/cli"
	"github.com/scimops/databricks-scim-operator/internal/cli/manifest"
	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

// import-terraform writes what the state reader hands over, adopting, with
// deletion policies and unmapped resources reported.
func TestImportTerraformConvertsTheReadersSnapshot(t *testing.T) {
	g := NewWithT(t)
	var gotPath string
	reader := func(path string) (manifest.Snapshot, []string, error) {
		gotPath = path
		return manifest.Snapshot{
			Users: []scim.User{{ID: "1", UserName: "alice@example.com", Roles: []scim.ComplexValue{{Value: scim.RoleAccountAdmin}}},
				{ID: "2", UserName: "bob@example.com", Active: scim.Bool(false)}},
			Groups: []scim.Group{{ID: "3", DisplayName: "eng", Members: []scim.ComplexValue{
				{Value: "1", Ref: "Users/1"}, {Value: "2", Ref: "Users/2"}, {Value: "99", Ref: "Users/99"}}}},
			DeletionPolicies: map[string]v1.PrincipalDeletionPolicy{"1": v1.PrincipalDelete},
		}, []string{"databricks_mws_permission_assignment.eng"}, nil
	}
	dir := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), []string{"import-terraform", "--account", "main", "-n", "identities", "terraform.tfstate", dir},
		cli.Env{Stdout: &stdout, Stderr: &stderr, ReadTerraformState: reader})
	g.Expect(code).To(Equal(cli.ExitOK), stderr.String())
	g.Expect(gotPath).To(Equal("terraform.tfstate"))
	g.Expect(stderr.String()).To(And(
		ContainSubstring("1 Terraform resources have no resource here (keep them in Terraform):\n  databricks_mws_permission_assignment.eng\n"),
		ContainSubstring("member SCIM id 99 is not in the snapshot"),
		ContainSubstring("wrote 2 users, 0 service principals and 1 groups to "+dir),
	))
	alice, err := os.ReadFile(filepath.Join(dir, "identities", "users", "alice-example-com.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(alice)).To(And(ContainSubstring("adoptionPolicy: IfExists"), ContainSubstring("deletionPolicy: Delete"),
		ContainSubstring("accountAdmin: true"), ContainSubstring("# Imported by kubectl-databricks from the Terraform state terraform.tfstate.")))
	eng, err := os.ReadFile(filepath.Join(dir, "identities", "groups", "eng.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(eng)).To(And(ContainSubstring("membershipPolicy: Additive"), ContainSubstring("name: bob-example-com")))

	// A reader's error and a build without a reader are reported.
	code = cli.Run(context.Background(), []string{"import-terraform", "--account", "main", "-n", "x", "s", t.TempDir()},
		cli.Env{Stderr: &stderr, ReadTerraformState: func(string) (manifest.Snapshot, []string, error) {
			return manifest.Snapshot{}, nil, errors.New("unsupported state version 3")
		}})
	g.Expect(code).To(Equal(cli.ExitError))
	g.Expect(stderr.String()).To(ContainSubstring("reading the Terraform state s: unsupported state version 3"))
}

// import-terraform on the realistic state of package tfstate, against a fake
// account seeded with the same objects: applying the directory adopts every
// principal and group with no SCIM write, and what cannot be mapped is listed.
func TestImportTerraformAdoptsWithoutWrites(t *testing.T) {
	g := NewWithT(t)
	tn := newTenant(t, cluster(t), true)
	const state = "tfstate/testdata/account.tfstate"
	snap, _, err := cli.ReadTerraformStateFile(state)
	g.Expect(err).NotTo(HaveOccurred())
	// analysts has a member Terraform does not manage (only its
	// databricks_group_member edge is in the state): it must survive.
	const contractor = "1122334455667788"
	tn.fake.SeedUser(scim.User{ID: contractor, UserName: "contractor@example.com"})
	seedSnapshot(tn.fake, snap)

	dir := filepath.Join(t.TempDir(), "imported")
	code, _, stderr := tn.run("import-terraform", "--account", tn.account, "--namespace", tn.namespace, state, dir)
	g.Expect(code).To(Equal(cli.ExitOK), stderr)
	g.Expect(stderr).To(And(
		ContainSubstring("databricks_mws_workspaces.analytics: "),
		ContainSubstring("databricks_user_role.bob_instance_profile: "),
		ContainSubstring("databricks_group.ws_local: "),
		ContainSubstring("random_id.bucket_suffix: "),
	), "unmapped resources are listed, not dropped")
	g.Expect(stderr).To(ContainSubstring("wrote 6 users, 2 service principals and 4 groups to " + dir))

	tn.fake.ResetRequests()
	tn.apply(t, dir)
	tn.waitReady(t, 12, "Synced")
	writes, _, _ := scimCalls(tn.fake)
	g.Expect(writes).To(BeZero(), "adopting a spec equal to the remote state writes nothing")
	analysts, ok := tn.fake.GroupByName("Analysts")
	g.Expect(ok).To(BeTrue())
	g.Expect(analysts.MemberIDs()).To(ContainElement(contractor), "a member named only by SCIM id in the state is kept")
	group := &v1.Group{}
	g.Expect(tn.w.c.Get(context.Background(), client.ObjectKey{Namespace: tn.namespace, Name: "analysts"}, group)).To(Succeed())
	g.Expect(group.Spec.MembershipPolicy).To(Equal(v1.MembershipAdditive))
	for _, name := range []string{"alice-example-com", "bob-example-com"} {
		u := &v1.User{}
		g.Expect(tn.w.c.Get(context.Background(), client.ObjectKey{Namespace: tn.namespace, Name: name}, u)).To(Succeed())
		g.Expect(u.Status.Adopted).To(BeTrue(), name)
	}
}

// Bad state files fail with exit 1 and say what is wrong.
func TestImportTerraformBadState(t *testing.T) {
	for _, tc := range []struct{ name, state, want string }{
		{"unreadable", filepath.Join(t.TempDir(), "missing.tfstate"), "no such file or directory"},
		{"another provider's state", "tfstate/testdata/aws-only.tfstate", "hashicorp/aws"},
		{"not a state", "tfstate/testdata/garbage.tfstate", "not"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			var stderr bytes.Buffer
			out := filepath.Join(t.TempDir(), "out")
			code := cli.Run(context.Background(), []string{"import-terraform", "--account", "main", "-n", "x", tc.state, out}, cli.Env{Stderr: &stderr})
			g.Expect(code).To(Equal(cli.ExitError))
			g.Expect(stderr.String()).To(And(ContainSubstring("reading the Terraform state "+tc.state+": "), ContainSubstring(tc.want)))
			g.Expect(out).NotTo(BeAnExistingFile(), "nothing is written")
		})
	}
}

// seedSnapshot stores the snapshot's objects in the fake with their ids,
// groups first empty and then filled, so nesting order does not matter.
func seedSnapshot(fake *scimfake.Server, snap manifest.Snapshot) {
	for _, u := range snap.Users {
		fake.SeedUser(u)
	}
	for _, sp := range snap.ServicePrincipals {
		fake.SeedServicePrincipal(sp)
	}
	for _, g := range snap.Groups {
		empty := g
		empty.Members = nil
		fake.SeedGroup(empty)
	}
	for _, g := range snap.Groups {
		for _, m := range g.Members {
			if err := fake.AddMember(g.ID, m.Value); err != nil {
				panic(err)
			}
		}
	}
}
