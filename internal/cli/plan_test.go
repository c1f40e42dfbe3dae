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
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/scimops/databricks-scim-operator/internal/cli"
	"github.com/scimops/databricks-scim-operator/internal/cli/plan"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// writeFiles writes name -> YAML into a new directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		NewWithT(t).Expect(os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)).To(Succeed())
	}
	return dir
}

func userYAML(tn *tenant, name, userName, extra string) string {
	return fmt.Sprintf("apiVersion: databricks.scimops.dev/v1alpha1\nkind: User\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  accountRef:\n    name: %s\n  userName: %s\n%s",
		name, tn.namespace, tn.account, userName, extra)
}

func groupYAML(tn *tenant, name, displayName string, memberRefs ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: databricks.scimops.dev/v1alpha1\nkind: Group\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  accountRef:\n    name: %s\n  displayName: %s\n  members:\n",
		name, tn.namespace, tn.account, displayName)
	for _, m := range memberRefs {
		if strings.Contains(m, "@") {
			fmt.Fprintf(&b, "  - userName: %s\n", m)
		} else {
			fmt.Fprintf(&b, "  - userRef:\n      name: %s\n", m)
		}
	}
	return b.String()
}

// Plan shows each kind of change once, correctly, and writes nothing; the
// operator then does what it said; planning again finds nothing to do.
func TestPlanEveryChangeThenApplyThenNothing(t *testing.T) {
	g := NewWithT(t)
	tn := newTenant(t, cluster(t), false) // the namespace may adopt but not grant accountAdmin
	tn.fake.SeedUser(scim.User{UserName: "adopt@example.com", DisplayName: "Before"})
	tn.fake.SeedUser(scim.User{UserName: "taken@example.com"})
	tn.fake.SeedUser(scim.User{UserName: "stray@example.com"})

	// The operator already manages a user and a group (one member by natural key).
	base := map[string]string{
		"owned.yaml": userYAML(tn, "owned", "owned@example.com", "  displayName: Old\n"),
		"team.yaml":  groupYAML(tn, "team", "team", "owned", "stray@example.com"),
	}
	tn.apply(t, writeFiles(t, base))
	tn.waitReady(t, 2, "Synced")

	files := map[string]string{
		"owned.yaml": userYAML(tn, "owned", "owned@example.com", "  displayName: New\n"),
		"new.yaml":   userYAML(tn, "new", "new@example.com", "  displayName: Newcomer\n"),
		"adopt.yaml": userYAML(tn, "adopt", "adopt@example.com", "  displayName: After\n  adoptionPolicy: IfExists\n"),
		"taken.yaml": userYAML(tn, "taken", "taken@example.com", ""),
		"boss.yaml":  userYAML(tn, "boss", "boss@example.com", "  accountAdmin: true\n"),
		"team.yaml":  groupYAML(tn, "team", "team", "owned", "new"),
	}
	dir := writeFiles(t, files)
	tn.fake.ResetRequests()
	code, stdout, stderr := tn.run(append([]string{"plan", dir}, tn.flags()...)...)
	g.Expect(code).To(Equal(cli.ExitChanges), stdout+stderr)
	writes, _, _ := scimCalls(tn.fake)
	g.Expect(writes).To(BeZero(), "plan writes nothing")
	ids := map[string]string{}
	for _, u := range tn.fake.Users() {
		ids[u.UserName] = u.ID
	}
	ns := tn.namespace
	g.Expect(stdout).To(Equal(strings.Join([]string{
		fmt.Sprintf("> User %s/adopt (userName=adopt@example.com): adopt (SCIM id %s)", ns, ids["adopt@example.com"]),
		`    displayName: "Before" -> "After"`,
		fmt.Sprintf(`! User %s/boss (userName=boss@example.com): not permitted: namespace %q may not set accountAdmin: true: DatabricksAccount %q grants it through spec.permissions.accountAdmin.namespaceSelector`, ns, ns, tn.account),
		fmt.Sprintf("+ User %s/new (userName=new@example.com): create", ns),
		`    userName = "new@example.com"`,
		`    displayName = "Newcomer"`,
		fmt.Sprintf("~ User %s/owned (userName=owned@example.com): patch (SCIM id %s)", ns, ids["owned@example.com"]),
		`    displayName: "Old" -> "New"`,
		fmt.Sprintf("! User %s/taken (userName=taken@example.com): conflict: userName=taken@example.com already exists in the account (SCIM id %s); set spec.adoptionPolicy: IfExists to adopt it (AlreadyExists)", ns, ids["taken@example.com"]),
		fmt.Sprintf("~ Group %s/team (displayName=team): patch (SCIM id %s)", ns, groupID(tn, "team")),
		fmt.Sprintf("    + member User %s/new (created by this plan)", ns),
		fmt.Sprintf("    - member user stray@example.com (SCIM id %s)", ids["stray@example.com"]),
		"Plan: 1 to create, 1 to adopt, 2 to patch, 1 members to add, 1 to remove, 1 conflict(s), 1 not permitted.",
		"",
	}, "\n")))

	// The same as JSON, for scripts.
	code, stdout, _ = tn.run(append([]string{"plan", "-o", "json", dir}, tn.flags()...)...)
	g.Expect(code).To(Equal(cli.ExitChanges))
	var doc struct {
		Items  []plan.Item `json:"items"`
		InSync bool        `json:"inSync"`
	}
	g.Expect(json.Unmarshal([]byte(stdout), &doc)).To(Succeed())
	g.Expect(doc.InSync).To(BeFalse())
	var actions []string
	for _, it := range doc.Items {
		actions = append(actions, string(it.Action))
	}
	sort.Strings(actions)
	g.Expect(actions).To(Equal([]string{"adopt", "conflict", "create", "not permitted", "patch", "patch"}))

	// Apply what can converge; the operator does what the plan said.
	delete(files, "taken.yaml")
	delete(files, "boss.yaml")
	converge := writeFiles(t, files)
	tn.apply(t, converge)
	tn.waitReady(t, 4, "Synced")
	owned, _ := tn.fake.UserByName("owned@example.com")
	adopted, _ := tn.fake.UserByName("adopt@example.com")
	created, ok := tn.fake.UserByName("new@example.com")
	g.Expect(ok).To(BeTrue())
	g.Expect([]string{owned.DisplayName, adopted.DisplayName, created.DisplayName}).To(Equal([]string{"New", "After", "Newcomer"}))
	team, _ := tn.fake.GroupByName("team")
	g.Expect(team.MemberIDs()).To(ConsistOf(owned.ID, created.ID))

	code, stdout, stderr = tn.run(append([]string{"plan", converge}, tn.flags()...)...)
	g.Expect(code).To(Equal(cli.ExitOK), stdout+stderr)
	g.Expect(stdout).To(HaveSuffix("Plan: 4 unchanged. No changes.\n"))
}

func groupID(tn *tenant, name string) string {
	g, _ := tn.fake.GroupByName(name)
	return g.ID
}

// Bad input fails with exit code 1 and a clear message, and never shows a token.
func TestBadInput(t *testing.T) {
	g := NewWithT(t)
	tn := newTenant(t, cluster(t), false)
	out := t.TempDir()
	export := func(extra ...string) (int, string) {
		code, stdout, stderr := tn.run(append([]string{"export", "--namespace", tn.namespace, "--account", tn.account,
			"--allow-loopback-host", "--kubeconfig", tn.w.kubeconfig, filepath.Join(out, fmt.Sprint(len(extra)))}, extra...)...)
		return code, stdout + stderr
	}

	// A token file ending in a newline is accepted (the other tests use one too).
	code, msg := export("--token-file", tn.tokenFile)
	g.Expect(code).To(Equal(cli.ExitOK), msg)

	// A wrong token: exit 1, a clear message, the token nowhere.
	wrong := "dapi-wrong-token-4242424242"
	wrongFile := filepath.Join(t.TempDir(), "wrong")
	g.Expect(os.WriteFile(wrongFile, []byte(wrong+"\n"), 0o600)).To(Succeed())
	code, msg = export("--token-file", wrongFile)
	g.Expect(code).To(Equal(cli.ExitError))
	g.Expect(msg).To(ContainSubstring("the account refused the token"))
	g.Expect(msg).To(ContainSubstring("401"))
	g.Expect(msg).NotTo(ContainSubstring(wrong))
	g.Expect(msg).NotTo(ContainSubstring(tn.token))

	// A token on the command line is refused before anything is parsed or sent.
	tn.fake.ResetRequests()
	code, msg = export("--token=" + tn.token)
	g.Expect(code).To(Equal(cli.ExitError))
	g.Expect(msg).To(ContainSubstring("tokens are never accepted as flags"))
	g.Expect(msg).NotTo(ContainSubstring(tn.token))
	g.Expect(tn.fake.Requests()).To(BeEmpty())

	// No token at all.
	code, msg = export()
	g.Expect(code).To(Equal(cli.ExitError))
	g.Expect(msg).To(ContainSubstring("no SCIM token: give --token-file FILE or set DATABRICKS_SCIM_TOKEN"))

	// A plain-http host that is not loopback is refused before any request.
	code, _, stderr := tn.run("export", "--namespace", "x", "--account", "a", "--host", "http://accounts.example.com",
		"--account-id", "00000000-0000-4000-8000-000000000001", "--token-file", tn.tokenFile, out+"/h")
	g.Expect(code).To(Equal(cli.ExitError))
	g.Expect(stderr).To(ContainSubstring("must use https"))
}
