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

package tfstate

// This file decodes the state file itself (format version 4) into a flat
// list of resource instances. It knows nothing about Databricks.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Errors Read wraps, for errors.Is. The wrapped error says what was wrong.
var (
	// ErrInvalidState: the input is not a Terraform state file (not JSON, or
	// not shaped like a state).
	ErrInvalidState = errors.New("not a Terraform state")
	// ErrUnsupportedVersion: a state in another format version than 4.
	ErrUnsupportedVersion = errors.New("unsupported Terraform state format version")
	// ErrNoDatabricksResources: a valid state without any managed resource
	// of the Databricks provider (for example a state of another provider).
	ErrNoDatabricksResources = errors.New("no Databricks resources in the Terraform state")
)

// stateVersion is the only state format version Read understands: the one
// Terraform 0.12 and newer write.
const stateVersion = 4

// Resource modes.
const (
	modeManaged = "managed"
	modeData    = "data"
)

// rawState is the part of a version 4 state file Read uses.
type rawState struct {
	Version          json.RawMessage `json:"version"`
	TerraformVersion string          `json:"terraform_version"`
	Resources        *[]rawResource  `json:"resources"`
	// FormatVersion and Values are set in `terraform show -json` output,
	// which is not a state file.
	FormatVersion json.RawMessage `json:"format_version"`
	Values        json.RawMessage `json:"values"`
	// Modules is the version 1-3 layout (Terraform 0.11 and older).
	Modules json.RawMessage `json:"modules"`
}

type rawResource struct {
	Module    string        `json:"module"`
	Mode      string        `json:"mode"`
	Type      string        `json:"type"`
	Name      string        `json:"name"`
	Provider  string        `json:"provider"`
	Instances []rawInstance `json:"instances"`
}

type rawInstance struct {
	IndexKey       json.RawMessage            `json:"index_key"`
	Status         string                     `json:"status"`
	Deposed        string                     `json:"deposed"`
	Attributes     map[string]json.RawMessage `json:"attributes"`
	AttributesFlat map[string]string          `json:"attributes_flat"`
}

// instance is one resource instance of the state.
type instance struct {
	// Address is the instance's address as Terraform prints it, e.g.
	// module.team["data"].databricks_user.member["erin@example.com"].
	Address  string
	Mode     string
	Type     string
	Provider provider
	// Tainted is set for an instance Terraform will replace.
	Tainted bool
	// Deposed is the deposed key of an object create_before_destroy left
	// behind for deletion; empty for the current object.
	Deposed string
	// Flat is set when the instance only has the legacy attributes_flat
	// form (a state upgraded from Terraform 0.11 and not refreshed since).
	Flat  bool
	Attrs attributes
}

// provider is a provider configuration address of the state, e.g.
// provider["<host>/databricks/databricks"].account.
type provider struct {
	Raw       string
	Namespace string // "" for the legacy provider.<type> form
	Type      string
	Alias     string
}

// parseProvider parses a provider configuration address. It accepts the
// Terraform 0.13+ form provider["<host>/<namespace>/<type>"][.<alias>] and
// the Terraform 0.12 form [module.<m>.]provider.<type>[.<alias>]. The host is
// ignored: mirrors and private registries may rehost the provider.
func parseProvider(s string) provider {
	p := provider{Raw: s}
	if rest, ok := strings.CutPrefix(s, `provider["`); ok {
		source, tail, ok := strings.Cut(rest, `"]`)
		if !ok {
			return p
		}
		parts := strings.Split(source, "/")
		p.Type = parts[len(parts)-1]
		if len(parts) >= 2 {
			p.Namespace = parts[len(parts)-2]
		}
		p.Alias = strings.TrimPrefix(tail, ".")
		return p
	}
	// Terraform 0.12: provider.databricks or module.x.provider.databricks.alias
	if i := strings.LastIndex(s, "provider."); i == 0 || (i > 0 && s[i-1] == '.') {
		name, alias, _ := strings.Cut(s[i+len("provider."):], ".")
		p.Type, p.Alias = name, alias
	}
	return p
}

// isDatabricks reports whether the provider is the Databricks provider
// (databricks/databricks, its former name databrickslabs/databricks, or the
// Terraform 0.12 provider.databricks form).
func (p provider) isDatabricks() bool {
	if p.Type != "databricks" {
		return false
	}
	switch p.Namespace {
	case "databricks", "databrickslabs", "":
		return true
	}
	return false
}

// Name is the provider without the host, e.g. "hashicorp/aws", for messages.
func (p provider) Name() string {
	switch {
	case p.Type == "":
		return p.Raw
	case p.Namespace == "":
		return p.Type
	}
	return p.Namespace + "/" + p.Type
}

// decode reads a version 4 state and returns its resource instances in file
// order.
func decode(r io.Reader) ([]instance, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading the Terraform state: %w", err)
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: the input is empty", ErrInvalidState)
	}
	if trimmed[0] != '{' {
		return nil, fmt.Errorf("%w: the input is not a JSON object (it starts with %q)", ErrInvalidState, firstBytes(trimmed))
	}
	var st rawState
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("%w: invalid JSON: %v", ErrInvalidState, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: unexpected data after the JSON object", ErrInvalidState)
	}
	if st.FormatVersion != nil && st.Values != nil && st.Version == nil {
		return nil, fmt.Errorf("%w: this is `terraform show -json` output, not a state file: pass the state itself, e.g. from `terraform state pull`", ErrInvalidState)
	}
	if st.Version == nil {
		return nil, fmt.Errorf("%w: no \"version\" field", ErrInvalidState)
	}
	var version int
	if err := json.Unmarshal(st.Version, &version); err != nil {
		return nil, fmt.Errorf("%w: \"version\" is %s, not a whole number", ErrInvalidState, st.Version)
	}
	if version != stateVersion {
		hint := "newer than this tool knows"
		if version < stateVersion {
			hint = "written by Terraform 0.11 or older; any Terraform 0.12 or newer upgrades it on its next run"
		}
		return nil, fmt.Errorf("%w: the state has format version %d, only version %d is supported (%s)", ErrUnsupportedVersion, version, stateVersion, hint)
	}
	if st.Resources == nil {
		return nil, fmt.Errorf("%w: no \"resources\" list in a version %d state", ErrInvalidState, stateVersion)
	}
	var out []instance
	for i, res := range *st.Resources {
		if res.Type == "" || res.Name == "" {
			return nil, fmt.Errorf("%w: resources[%d] has no type or name", ErrInvalidState, i)
		}
		mode := res.Mode
		if mode == "" {
			mode = modeManaged
		}
		if mode != modeManaged && mode != modeData {
			return nil, fmt.Errorf("%w: resources[%d] (%s.%s) has unknown mode %q", ErrInvalidState, i, res.Type, res.Name, res.Mode)
		}
		base := resourceAddress(res.Module, mode, res.Type, res.Name)
		prov := parseProvider(res.Provider)
		for j, raw := range res.Instances {
			key, err := indexKey(raw.IndexKey)
			if err != nil {
				return nil, fmt.Errorf("%w: %s instances[%d]: %v", ErrInvalidState, base, j, err)
			}
			in := instance{
				Address:  base + key,
				Mode:     mode,
				Type:     res.Type,
				Provider: prov,
				Tainted:  raw.Status == "tainted",
				Deposed:  raw.Deposed,
				Attrs:    attributes(raw.Attributes),
			}
			if raw.Attributes == nil && raw.AttributesFlat != nil {
				in.Flat = true
			}
			out = append(out, in)
		}
	}
	return out, nil
}

// resourceAddress renders [module.path.][data.]type.name.
func resourceAddress(module, mode, typ, name string) string {
	var b strings.Builder
	if module != "" {
		b.WriteString(module)
		b.WriteByte('.')
	}
	if mode == modeData {
		b.WriteString("data.")
	}
	b.WriteString(typ)
	b.WriteByte('.')
	b.WriteString(name)
	return b.String()
}

// indexKey renders an instance key: "" (none), [0] (count) or ["k"]
// (for_each).
func indexKey(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("invalid index_key: %v", err)
	}
	switch k := v.(type) {
	case string:
		return "[" + strconv.Quote(k) + "]", nil
	case json.Number:
		return "[" + k.String() + "]", nil
	}
	return "", fmt.Errorf("index_key %s is neither a string nor a number", raw)
}

func firstBytes(b []byte) string {
	const n = 16
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

// attributes are an instance's attribute values as the provider wrote them.
type attributes map[string]json.RawMessage

// str returns a string attribute; ok is false when it is absent or null.
func (a attributes) str(name string) (v string, ok bool, err error) {
	raw, present := a[name]
	if !present || string(raw) == "null" {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", false, fmt.Errorf("attribute %s is %s, not a string", name, raw)
	}
	return v, true, nil
}

// boolean returns a bool attribute, nil when it is absent or null.
func (a attributes) boolean(name string) (*bool, error) {
	raw, present := a[name]
	if !present || string(raw) == "null" {
		return nil, nil
	}
	var v bool
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("attribute %s is %s, not a boolean", name, raw)
	}
	return &v, nil
}

// workspaceID returns provider_config[0].workspace_id, "" when unset. The
// Databricks provider fills it in for resources it runs against a workspace.
func (a attributes) workspaceID() string {
	raw, present := a["provider_config"]
	if !present {
		return ""
	}
	var blocks []struct {
		WorkspaceID *string `json:"workspace_id"`
	}
	if json.Unmarshal(raw, &blocks) != nil {
		return ""
	}
	for _, b := range blocks {
		if b.WorkspaceID != nil && *b.WorkspaceID != "" {
			return *b.WorkspaceID
		}
	}
	return ""
}
