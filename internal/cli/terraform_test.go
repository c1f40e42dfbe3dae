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

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/cli"
	"github.com/scimops/databricks-scim-operator/internal/cli/manifest"
	"github.com/scimops/databricks-scim-operator/internal/scim"
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
	stderr.Reset()
	code = cli.Run(context.Background(), []string{"import-terraform", "--account", "main", "-n", "x", "s", t.TempDir()}, cli.Env{Stderr: &stderr})
	g.Expect(code).To(Equal(cli.ExitError))
	g.Expect(stderr.String()).To(ContainSubstring("no Terraform state reader"))
}
