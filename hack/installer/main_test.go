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
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimops/databricks-scim-operator/internal/installer"
	"github.com/scimops/databricks-scim-operator/internal/testenv"
)

// `make build-installer` writes the VERSION-pinned render (here into a
// temporary directory, never dist/); -image overrides the image.
func TestRunWritesTheInstaller(t *testing.T) {
	root := testenv.RepoRoot()
	version, err := installer.ReadVersion(root)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "dist", "install.yaml")
	if err := run(root, "", out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := installer.Render(root, installer.Image(version))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s is not the VERSION-pinned render", out)
	}
	if err := run(root, "registry.example.com/dso:1.2.3", out); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(out)
	if !strings.Contains(string(got), "image: registry.example.com/dso:1.2.3\n") {
		t.Errorf("-image was not used:\n%s", got)
	}
	if err := run(root, "no-tag", out); err == nil || !strings.Contains(err.Error(), "no-tag") {
		t.Errorf("an image without a tag was accepted (err %v)", err)
	}
}
