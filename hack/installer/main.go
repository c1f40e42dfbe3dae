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

// Command installer writes the release installer (`make build-installer`):
// config/default rendered with kustomize (in process, no kubectl), the
// manager image pinned to ghcr.io/scimops/databricks-scim-operator:<VERSION>
// unless -image names another.
//
//	go run ./hack/installer [-root .] [-image repository:tag] [-o dist/install.yaml]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/scimops/databricks-scim-operator/internal/installer"
)

func main() {
	root := flag.String("root", ".", "Repository root (holds VERSION and config/).")
	image := flag.String("image", "", "Manager image, repository:tag or repository@digest (default: "+installer.ImageRepository+":<VERSION>).")
	out := flag.String("o", filepath.Join("dist", "install.yaml"), "Output file (- for standard output).")
	flag.Parse()
	if err := run(*root, *image, *out); err != nil {
		fmt.Fprintln(os.Stderr, "installer:", err)
		os.Exit(1)
	}
}

func run(root, image, out string) error {
	if image == "" {
		version, err := installer.ReadVersion(root)
		if err != nil {
			return err
		}
		image = installer.Image(version)
	}
	yaml, err := installer.Render(root, image)
	if err != nil {
		return err
	}
	if out == "-" {
		_, err := os.Stdout.Write(yaml)
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(out, yaml, 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s (image %s)\n", out, image)
	return nil
}
