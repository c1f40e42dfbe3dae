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

package localenv

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/scimops/databricks-scim-operator/internal/kubeyaml"
)

// FieldOwner is the server-side apply field manager of everything localenv applies.
const FieldOwner = "localenv"

// ReadManifests reads Kubernetes objects from files and directories, the way
// `kubectl apply` would (see kubeyaml.Read).
func ReadManifests(paths ...string) ([]*unstructured.Unstructured, error) {
	return kubeyaml.Read(paths...)
}

// DecodeManifests decodes a stream of YAML documents (see kubeyaml.Decode).
func DecodeManifests(raw []byte) ([]*unstructured.Unstructured, error) {
	return kubeyaml.Decode(raw)
}

// RenderKustomization runs kustomize on dir in fsys (see kubeyaml.Render).
func RenderKustomization(fsys filesys.FileSystem, dir string) ([]*unstructured.Unstructured, error) {
	return kubeyaml.Render(fsys, dir)
}

// RenderWithOverlay renders the kustomization in dir (on disk) through an
// in-memory overlay that sets namespace and namePrefix, as config/default
// does for config/rbac. Nothing is written to disk.
func RenderWithOverlay(dir, namespace, namePrefix string) ([]*unstructured.Unstructured, error) {
	mem := filesys.MakeFsInMemory()
	base := "/base"
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		target := filepath.ToSlash(filepath.Join(base, rel))
		if d.IsDir() {
			return mem.MkdirAll(target)
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return mem.WriteFile(target, raw)
	})
	if err != nil {
		return nil, err
	}
	overlay := fmt.Sprintf("namespace: %s\nnamePrefix: %s\nresources:\n- ../base\n", namespace, namePrefix)
	if err := mem.MkdirAll("/overlay"); err != nil {
		return nil, err
	}
	if err := mem.WriteFile("/overlay/kustomization.yaml", []byte(overlay)); err != nil {
		return nil, err
	}
	return RenderKustomization(mem, "/overlay")
}

// Apply server-side-applies objs in order (as `kubectl apply --server-side
// --force-conflicts` would), putting namespaced objects without a namespace
// into defaultNamespace.
func Apply(ctx context.Context, c client.Client, defaultNamespace string, objs []*unstructured.Unstructured) error {
	for _, o := range objs {
		if err := applyOne(ctx, c, defaultNamespace, o); err != nil {
			return err
		}
	}
	return nil
}

func applyOne(ctx context.Context, c client.Client, defaultNamespace string, o *unstructured.Unstructured) error {
	o = o.DeepCopy()
	namespaced, err := c.IsObjectNamespaced(o)
	if err != nil {
		return fmt.Errorf("applying %s: the API server does not serve this kind: %w", Describe(o), err)
	}
	if namespaced && o.GetNamespace() == "" {
		o.SetNamespace(defaultNamespace)
	}
	if !namespaced {
		o.SetNamespace("")
	}
	o.SetResourceVersion("")
	o.SetManagedFields(nil)
	unstructured.RemoveNestedField(o.Object, "status")
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		if apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) {
			return fmt.Errorf("applying %s: the API server rejected it: %w", Describe(o), err)
		}
		return fmt.Errorf("applying %s: %w", Describe(o), err)
	}
	return nil
}

// Delete deletes objs (as `kubectl delete -f` would), putting namespaced
// objects without a namespace into defaultNamespace. Missing objects are
// no error.
func Delete(ctx context.Context, c client.Client, defaultNamespace string, objs []*unstructured.Unstructured) error {
	for _, o := range objs {
		o = o.DeepCopy()
		namespaced, err := c.IsObjectNamespaced(o)
		if err != nil {
			return fmt.Errorf("deleting %s: %w", Describe(o), err)
		}
		if namespaced && o.GetNamespace() == "" {
			o.SetNamespace(defaultNamespace)
		}
		if err := c.Delete(ctx, o); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting %s: %w", Describe(o), err)
		}
	}
	return nil
}

// Describe names an object like kubectl: kind/name or kind namespace/name.
func Describe(o client.Object) string {
	kind := o.GetObjectKind().GroupVersionKind().Kind
	if o.GetNamespace() == "" {
		return kind + "/" + o.GetName()
	}
	return kind + " " + o.GetNamespace() + "/" + o.GetName()
}

// Find returns the first object of kind named name, or nil.
func Find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

// Kinds lists "Kind/name" of objs, sorted (for messages).
func Kinds(objs []*unstructured.Unstructured) []string {
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.GetKind()+"/"+o.GetName())
	}
	sort.Strings(out)
	return out
}

func runtimeDefaultUnstructured(o client.Object) (map[string]any, error) {
	return runtime.DefaultUnstructuredConverter.ToUnstructured(o)
}
