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

package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

func TestWriteDirRoundTripsThroughKustomize(t *testing.T) {
	g := NewWithT(t)
	objs, _, err := Build(sampleSnapshot(), Options{Account: "main", Namespace: "ids",
		NamespaceRules: []NamespaceRule{{Kind: KindGroup, Pattern: "data-*", Namespace: "team-data"}}})
	g.Expect(err).NotTo(HaveOccurred())
	dir := filepath.Join(t.TempDir(), "out")
	g.Expect(WriteDir(dir, objs, "Exported from https://accounts.example\nsecond line")).To(Succeed())

	raw, err := os.ReadFile(filepath.Join(dir, "ids", "users", "alice-example-com.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(raw)).To(HavePrefix("# Exported from https://accounts.example\n# second line\napiVersion: databricks.scimops.dev/v1alpha1\nkind: User\n"))
	g.Expect(string(raw)).NotTo(Or(ContainSubstring("status"), ContainSubstring("creationTimestamp")))
	var back v1.User
	g.Expect(yaml.UnmarshalStrict(raw, &back)).To(Succeed())
	g.Expect(back.Spec).To(Equal(objs[0].(*v1.User).Spec))
	g.Expect(filepath.Join(dir, "team-data", "groups", "data-readers.yaml")).To(BeAnExistingFile())

	// kustomize (as `kubectl apply -k` runs it) renders every object.
	rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rm.Resources()).To(HaveLen(len(objs)))
}

func TestWriteDirRewritesItsOwnDirectoryOnly(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	objs, _, err := Build(sampleSnapshot(), Options{Account: "main", Namespace: "ids"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(WriteDir(dir, objs, "")).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(dir, "README.md"), []byte("mine"), 0o644)).To(Succeed())

	// Again with fewer objects: the old files go, the user's file stays.
	g.Expect(WriteDir(dir, objs[:1], "")).To(Succeed())
	var files []string
	g.Expect(filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})).To(Succeed())
	g.Expect(files).To(ConsistOf("README.md", "kustomization.yaml", "ids/users/alice-example-com.yaml"))
	g.Expect(filepath.Join(dir, "ids", "groups")).NotTo(BeADirectory())

	// A directory that is not ours is refused and left alone.
	other := t.TempDir()
	g.Expect(os.WriteFile(filepath.Join(other, "kustomization.yaml"), []byte("resources: [a.yaml]\n"), 0o644)).To(Succeed())
	g.Expect(WriteDir(other, objs, "")).To(MatchError(ContainSubstring("was not written by kubectl-databricks")))
	g.Expect(os.ReadFile(filepath.Join(other, "kustomization.yaml"))).To(Equal([]byte("resources: [a.yaml]\n")))

	// A tampered list cannot make it delete outside the directory.
	g.Expect(os.WriteFile(filepath.Join(dir, "kustomization.yaml"),
		[]byte(Marker+"\nresources:\n- ../../etc/passwd.yaml\n"), 0o644)).To(Succeed())
	g.Expect(WriteDir(dir, objs, "")).To(MatchError(ContainSubstring("is not a file this tool writes")))
}

func TestWriteDirEmptyExport(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(WriteDir(dir, nil, "")).To(Succeed())
	raw, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(strings.HasSuffix(string(raw), "resources: []\n")).To(BeTrue())
}
