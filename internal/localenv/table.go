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
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// tableAccept asks the API server for a Table rendered with the
// resource's printer columns, as kubectl does.
const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

// Table returns the server-side Table of resource r (in namespace, or all
// namespaces when empty).
func (cp *ControlPlane) Table(ctx context.Context, r Resource, namespace string) (*metav1.Table, error) {
	rc := cp.Clientset.Discovery().RESTClient()
	path := "/apis/" + r.GVR.Group + "/" + r.GVR.Version
	if r.GVR.Group == "" {
		path = "/api/" + r.GVR.Version
	}
	if r.Namespaced && namespace != "" {
		path += "/namespaces/" + namespace
	}
	path += "/" + r.GVR.Resource
	raw, err := rc.Get().AbsPath(path).SetHeader("Accept", tableAccept).DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("GET %s as Table: %w", path, err)
	}
	var t metav1.Table
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("GET %s as Table: %w", path, err)
	}
	if t.Kind != "Table" {
		return nil, fmt.Errorf("GET %s: the API server answered %q, not a Table", path, t.Kind)
	}
	return &t, nil
}

// PrintCategory writes what `kubectl get <category>` shows (`kubectl get
// <category> -A` when namespace is empty): one block per kind that has
// objects, names qualified as kind.group/name, using each CRD's printer
// columns (priority 0 only, as without -o wide).
func (cp *ControlPlane) PrintCategory(ctx context.Context, w io.Writer, category, namespace string) error {
	resources, err := cp.CategoryResources(category)
	if err != nil {
		return err
	}
	printed := 0
	for _, r := range resources {
		t, err := cp.Table(ctx, r, namespace)
		if err != nil {
			return err
		}
		if len(t.Rows) == 0 {
			continue
		}
		if printed > 0 {
			fmt.Fprintln(w)
		}
		printed++
		writeTable(w, t, strings.ToLower(r.Kind)+"."+r.GVR.Group, namespace == "" && r.Namespaced, len(resources) > 1)
	}
	if printed == 0 {
		if namespace == "" {
			fmt.Fprintln(w, "No resources found")
		} else {
			fmt.Fprintf(w, "No resources found in %s namespace.\n", namespace)
		}
	}
	return nil
}

func writeTable(w io.Writer, t *metav1.Table, qualifier string, withNamespace, qualify bool) {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	var cols []int
	var header []string
	if withNamespace {
		header = append(header, "NAMESPACE")
	}
	for i, c := range t.ColumnDefinitions {
		if c.Priority != 0 {
			continue
		}
		cols = append(cols, i)
		header = append(header, strings.ToUpper(c.Name))
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, row := range t.Rows {
		var cells []string
		if withNamespace {
			cells = append(cells, rowNamespace(row))
		}
		for _, i := range cols {
			cell := ""
			if i < len(row.Cells) && row.Cells[i] != nil {
				cell = fmt.Sprint(row.Cells[i])
			}
			if qualify && strings.EqualFold(t.ColumnDefinitions[i].Name, "name") {
				cell = qualifier + "/" + cell
			}
			cells = append(cells, cell)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	_ = tw.Flush()
}

// rowNamespace reads the namespace from the row's partial object metadata.
func rowNamespace(row metav1.TableRow) string {
	var m struct {
		Metadata struct {
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if len(row.Object.Raw) > 0 {
		_ = json.Unmarshal(row.Object.Raw, &m)
	}
	return m.Metadata.Namespace
}
