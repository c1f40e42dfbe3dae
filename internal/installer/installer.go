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

// Package installer renders the release installer, dist/install.yaml: the
// kustomize base config/default (CRDs, RBAC, metrics Service and the manager
// Deployment) with the manager image pinned to the release in the VERSION
// file. `make build-installer` runs it through hack/installer; the tests
// render it the same way.
package installer

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// ImageRepository is the manager image that config/manager names (with the
// tag latest) and releases publish (with the VERSION tag).
const ImageRepository = "ghcr.io/scimops/databricks-scim-operator"

// versionPattern is a semantic version without a leading "v" (it is both an
// image tag and a Helm chart version).
var versionPattern = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)

// ReadVersion returns the release version in root/VERSION.
func ReadVersion(root string) (string, error) {
	raw, err := os.ReadFile(filepath.Join(root, "VERSION"))
	if err != nil {
		return "", fmt.Errorf("failed to read the release version: %w", err)
	}
	v := strings.TrimSpace(string(raw))
	if !versionPattern.MatchString(v) {
		return "", fmt.Errorf("VERSION holds %q, want a semantic version such as 0.1.0 (no leading v)", v)
	}
	return v, nil
}

// Image is the manager image of a release.
func Image(version string) string { return ImageRepository + ":" + version }

// Render renders config/default under root with the manager image replaced
// by image (repository:tag or repository@digest) and returns the YAML
// stream, as `kubectl kustomize` would print it, behind a header comment.
// Nothing is written to disk: config/ is copied into an in-memory file
// system beside an overlay that only sets the image.
func Render(root, image string) ([]byte, error) {
	name, tag, digest, err := splitImage(image)
	if err != nil {
		return nil, err
	}
	mem := filesys.MakeFsInMemory()
	if err := copyTree(filepath.Join(root, "config"), "/config", mem); err != nil {
		return nil, err
	}
	// Quoted: a tag such as 1 or 1.0 must stay a string.
	overlay := fmt.Sprintf("resources:\n- ../config/default\nimages:\n- name: %q\n  newName: %q\n", ImageRepository, name)
	if digest != "" {
		overlay += fmt.Sprintf("  digest: %q\n", digest)
	} else {
		overlay += fmt.Sprintf("  newTag: %q\n", tag)
	}
	if err := mem.MkdirAll("/release"); err != nil {
		return nil, err
	}
	if err := mem.WriteFile("/release/kustomization.yaml", []byte(overlay)); err != nil {
		return nil, err
	}
	// Legacy order, as `kubectl kustomize` prints it: the Namespace and the
	// CRDs first, so `kubectl apply -f` creates each object after what it needs.
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionLegacy
	rm, err := krusty.MakeKustomizer(opts).Run(mem, "/release")
	if err != nil {
		return nil, fmt.Errorf("failed to render config/default: %w", err)
	}
	out, err := rm.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("failed to render config/default: %w", err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# databricks-scim-operator installer: CRDs, RBAC, metrics Service and the manager Deployment\n")
	fmt.Fprintf(&b, "# (config/default rendered by `make build-installer`, image %s).\n", image)
	fmt.Fprintf(&b, "# Install or upgrade: kubectl apply --server-side -f install.yaml. Uninstall: see docs/install.md first.\n")
	b.Write(out)
	return b.Bytes(), nil
}

// splitImage splits repository:tag or repository@digest.
func splitImage(image string) (name, tag, digest string, err error) {
	if n, d, ok := strings.Cut(image, "@"); ok {
		if n == "" || !strings.Contains(d, ":") {
			return "", "", "", fmt.Errorf("image %q: want repository@algorithm:hex", image)
		}
		return n, "", d, nil
	}
	slash := strings.LastIndex(image, "/")
	colon := strings.LastIndex(image, ":")
	if colon <= slash || colon == len(image)-1 {
		return "", "", "", fmt.Errorf("image %q has no tag: want repository:tag or repository@digest", image)
	}
	return image[:colon], image[colon+1:], "", nil
}

// copyTree copies the directory src on disk to dst in fsys.
func copyTree(src, dst string, fsys filesys.FileSystem) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.ToSlash(filepath.Join(dst, rel))
		if d.IsDir() {
			return fsys.MkdirAll(target)
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return fsys.WriteFile(target, raw)
	})
}
