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

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scimops/databricks-scim-operator/internal/localenv"
)

// TestDemo runs `make demo`'s program with DEMO_EXIT=1, as CI would: it must
// print every sample Ready in the `kubectl get databricks` table, exit 0, and
// leave no process or temporary file behind.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo is skipped in -short mode")
	}
	root, err := localenv.FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	assets, err := localenv.AssetsDir(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	bin, err := localenv.Build(ctx, root, localenv.Binary{Name: "demo", Package: "./hack/demo"}, nil)
	if err != nil {
		t.Fatal(err)
	}

	tmp := t.TempDir() // the demo's and envtest's temporary files go here
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "DEMO_EXIT=1", "KUBEBUILDER_ASSETS="+assets, "TMPDIR="+tmp, "DEMO_SCIM_PORT=")
	out, err := cmd.CombinedOutput()
	t.Logf("demo output:\n%s", out)
	if err != nil {
		t.Fatalf("the demo failed: %v", err)
	}
	text := string(out)

	for _, want := range []string{
		"databricksaccount.databricks.scimops.dev/main",
		"user.databricks.scimops.dev/alice", "user.databricks.scimops.dev/bob", "user.databricks.scimops.dev/carol",
		"serviceprincipal.databricks.scimops.dev/etl-pipeline",
		"group.databricks.scimops.dev/data-engineers", "group.databricks.scimops.dev/analysts",
		"group.databricks.scimops.dev/data-platform", "group.databricks.scimops.dev/platform-admins",
		"kubeconfig (admin):",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the demo output lacks %q", want)
		}
	}
	rows := 0
	for line := range strings.SplitSeq(text, "\n") {
		if strings.Contains(line, ".databricks.scimops.dev/") {
			rows++
			if !regexp.MustCompile(`\sTrue\s`).MatchString(line) {
				t.Errorf("not Ready in the table: %s", line)
			}
		}
	}
	if rows != 9 {
		t.Errorf("the table has %d rows, want 9", rows)
	}

	// Every process it started is gone, every temporary file removed.
	checkPrintedKubectl(t, text)

	if m := regexp.MustCompile(`pid (\d+), log`).FindStringSubmatch(text); m != nil {
		pid, _ := strconv.Atoi(m[1])
		if syscall.Kill(pid, 0) == nil {
			t.Errorf("the manager (pid %d) still runs after the demo exited", pid)
		}
	} else {
		t.Error("the demo did not print the manager's pid")
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind in TMPDIR: %s", filepath.Join(tmp, e.Name()))
	}
}

// checkPrintedKubectl runs the kubectl on the PATH the demo prints: a user
// with nothing installed must be able to type the printed commands.
func checkPrintedKubectl(t *testing.T, text string) {
	t.Helper()
	m := regexp.MustCompile(`export PATH=(\S+):\$PATH`).FindStringSubmatch(text)
	if m == nil {
		t.Error("the demo did not print a PATH with kubectl on it")
		return
	}
	out, err := exec.Command(filepath.Join(m[1], "kubectl"), "version", "--client").CombinedOutput()
	if err != nil {
		t.Errorf("the printed PATH has no working kubectl: %v\n%s", err, out)
		return
	}
	if !strings.Contains(string(out), "Client Version: v1.37.2") {
		t.Errorf("kubectl is not the control plane's release (v1.37.2):\n%s", out)
	}
}
