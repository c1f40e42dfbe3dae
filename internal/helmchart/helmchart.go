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

// Package helmchart renders the Helm chart charts/databricks-scim-operator
// with the Helm Go SDK, as `helm template --include-crds` does: the chart
// loader, values.schema.json validation and the template engine, client-side
// only (no cluster). The tests compare the render with config/default, and
// the end-to-end test installs it into the local control plane.
package helmchart

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Defaults of Render: the release name and namespace the documentation uses.
const (
	ReleaseName = "databricks-scim-operator"
	Namespace   = "databricks-scim-system"
)

// Dir is the chart's directory under the repository root.
func Dir(root string) string { return filepath.Join(root, "charts", "databricks-scim-operator") }

// Options configure Render.
type Options struct {
	// ReleaseName and Namespace of the release (default ReleaseName and Namespace).
	ReleaseName, Namespace string
	// ValuesFiles are merged in order, as `helm template -f a.yaml -f b.yaml`.
	ValuesFiles []string
	// Values are merged last, as --set would.
	Values map[string]any
	// SkipCRDs leaves out the chart's crds/ (as --skip-crds).
	SkipCRDs bool
}

// Render renders the chart under root and returns its objects in Helm's
// install order: the CRDs (crds/) first, then the templates sorted by kind.
// Invalid values fail with Helm's schema error, which names each field.
func Render(ctx context.Context, root string, opts Options) ([]*unstructured.Unstructured, error) {
	manifest, err := RenderManifest(ctx, root, opts)
	if err != nil {
		return nil, err
	}
	return decode(manifest)
}

// RenderManifest is Render's YAML stream.
func RenderManifest(ctx context.Context, root string, opts Options) (string, error) {
	if opts.ReleaseName == "" {
		opts.ReleaseName = ReleaseName
	}
	if opts.Namespace == "" {
		opts.Namespace = Namespace
	}
	ch, err := loader.Load(Dir(root))
	if err != nil {
		return "", fmt.Errorf("failed to load the chart: %w", err)
	}
	vals := map[string]any{}
	for _, f := range opts.ValuesFiles {
		v, err := common.ReadValuesFile(f)
		if err != nil {
			return "", fmt.Errorf("failed to read values file %s: %w", f, err)
		}
		vals = mergeMaps(vals, v)
	}
	vals = mergeMaps(vals, opts.Values)

	// The SDK logs through slog; rendering has nothing worth saying.
	cfg := action.NewConfiguration()
	cfg.SetLogger(slog.NewTextHandler(io.Discard, nil))
	install := action.NewInstall(cfg)
	install.DryRunStrategy = action.DryRunClient
	install.Replace = true // no release-name check (client-only)
	install.ReleaseName = opts.ReleaseName
	install.Namespace = opts.Namespace
	install.IncludeCRDs = !opts.SkipCRDs
	rel, err := install.RunWithContext(ctx, ch, vals)
	if err != nil {
		return "", fmt.Errorf("helm template: %w", err)
	}
	r, ok := rel.(*releasev1.Release)
	if !ok {
		return "", fmt.Errorf("helm template: unexpected release type %T", rel)
	}
	return r.Manifest, nil
}

// mergeMaps merges b into a, recursing into maps (as Helm merges -f files).
func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = mergeMaps(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// decode splits a rendered YAML stream into objects, skipping empty
// documents. Numbers become int64 or float64, as in objects read from the
// API server.
func decode(manifest string) ([]*unstructured.Unstructured, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifest)))
	var out []*unstructured.Unstructured
	for i := 1; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("rendered document %d: %w", i, err)
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("rendered document %d: %w", i, err)
		}
		if s := strings.TrimSpace(string(js)); s == "null" || s == "{}" {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(js); err != nil {
			return nil, fmt.Errorf("rendered document %d: %w", i, err)
		}
		out = append(out, u)
	}
}
