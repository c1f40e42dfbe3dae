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

package installer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/scimops/databricks-scim-operator/internal/localenv"
	"github.com/scimops/databricks-scim-operator/internal/testenv"
)

func TestReadVersion(t *testing.T) {
	g := NewWithT(t)
	v, err := ReadVersion(testenv.RepoRoot())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v).To(MatchRegexp(`^\d+\.\d+\.\d+`))

	dir := t.TempDir()
	g.Expect(os.WriteFile(filepath.Join(dir, "VERSION"), []byte("v1.2.3\n"), 0o644)).To(Succeed())
	_, err = ReadVersion(dir)
	g.Expect(err).To(MatchError(ContainSubstring(`VERSION holds "v1.2.3"`)))
	g.Expect(os.WriteFile(filepath.Join(dir, "VERSION"), []byte("1.2.3-rc.1\n"), 0o644)).To(Succeed())
	g.Expect(ReadVersion(dir)).To(Equal("1.2.3-rc.1"))
	_, err = ReadVersion(t.TempDir())
	g.Expect(err).To(MatchError(ContainSubstring("failed to read the release version")))
}

// The installer is config/default, in kubectl's apply order, with the
// manager image pinned to the release: nothing else changes.
func TestRenderIsConfigDefaultWithPinnedImage(t *testing.T) {
	g := NewWithT(t)
	root := testenv.RepoRoot()
	version, err := ReadVersion(root)
	g.Expect(err).NotTo(HaveOccurred())
	raw, err := Render(root, Image(version))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(raw)).NotTo(ContainSubstring(":latest"))
	got, err := localenv.DecodeManifests(raw)
	g.Expect(err).NotTo(HaveOccurred())
	want, err := localenv.RenderKustomization(filesys.MakeFsOnDisk(), filepath.Join(root, "config", "default"))
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(localenv.Kinds(got)).To(Equal(localenv.Kinds(want)))
	var kinds []string
	for _, o := range got {
		kinds = append(kinds, o.GetKind())
	}
	g.Expect(kinds[:5]).To(Equal([]string{"Namespace", "CustomResourceDefinition", "CustomResourceDefinition", "CustomResourceDefinition", "CustomResourceDefinition"}),
		"the Namespace and the CRDs come first")
	g.Expect(kinds).To(ContainElement("Deployment"))

	deployments := 0
	for _, o := range got {
		w := localenv.Find(want, o.GetKind(), o.GetName())
		g.Expect(w).NotTo(BeNil())
		if o.GetKind() == "Deployment" {
			deployments++
			g.Expect(image(t, o)).To(Equal("ghcr.io/scimops/databricks-scim-operator:" + version))
			g.Expect(image(t, w)).To(Equal("ghcr.io/scimops/databricks-scim-operator:latest"), "config/manager's image")
			o, w = o.DeepCopy(), w.DeepCopy()
			setImage(t, o, "")
			setImage(t, w, "")
		}
		g.Expect(equality.Semantic.DeepEqual(o.Object, w.Object)).To(BeTrue(), "%s differs from config/default", localenv.Describe(o))
	}
	g.Expect(deployments).To(Equal(1))
}

func TestRenderOtherImages(t *testing.T) {
	g := NewWithT(t)
	root := testenv.RepoRoot()
	for img, want := range map[string]string{
		"registry.example.com/platform/dso:v0.1.0":         "registry.example.com/platform/dso:v0.1.0",
		"localhost:5000/dso:dev":                           "localhost:5000/dso:dev",
		"registry.example.com/dso:1":                       "registry.example.com/dso:1",
		"registry.example.com/dso:1.0":                     "registry.example.com/dso:1.0",
		"ghcr.io/x/dso@sha256:" + strings.Repeat("0f", 32): "ghcr.io/x/dso@sha256:" + strings.Repeat("0f", 32),
	} {
		raw, err := Render(root, img)
		g.Expect(err).NotTo(HaveOccurred(), img)
		objs, err := localenv.DecodeManifests(raw)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(image(t, localenv.Find(objs, "Deployment", "databricks-scim-controller-manager"))).To(Equal(want))
	}
	for _, bad := range []string{"ghcr.io/x/dso", "localhost:5000/dso", "dso:", "@sha256:00"} {
		_, err := Render(root, bad)
		g.Expect(err).To(MatchError(ContainSubstring(bad)), bad)
	}
}

func image(t *testing.T, d *unstructured.Unstructured) string {
	t.Helper()
	cs, _, err := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if err != nil || len(cs) != 1 {
		t.Fatalf("%s: want one container (%v)", localenv.Describe(d), err)
	}
	img, _, _ := unstructured.NestedString(cs[0].(map[string]any), "image")
	return img
}

func setImage(t *testing.T, d *unstructured.Unstructured, img string) {
	t.Helper()
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	cs[0].(map[string]any)["image"] = img
	if err := unstructured.SetNestedSlice(d.Object, cs, "spec", "template", "spec", "containers"); err != nil {
		t.Fatal(err)
	}
}
