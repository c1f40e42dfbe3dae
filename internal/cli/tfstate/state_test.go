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

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, input string
		is          error
		msg         string
	}{
		{"empty", " \n", ErrInvalidState, "not a Terraform state: the input is empty"},
		{"JSON array", `[{"version": 4}]`, ErrInvalidState, `not a Terraform state: the input is not a JSON object (it starts with "[{\"version\": 4}]")`},
		{"truncated", `{"version": 4, "resources": [`, ErrInvalidState, "not a Terraform state: invalid JSON: unexpected EOF"},
		{"trailing data", `{"version": 4, "resources": []} {}`, ErrInvalidState, "not a Terraform state: unexpected data after the JSON object"},
		{"no version", `{"resources": []}`, ErrInvalidState, `not a Terraform state: no "version" field`},
		{"string version", `{"version": "4", "resources": []}`, ErrInvalidState, `not a Terraform state: "version" is "4", not a whole number`},
		{"version 3", `{"version": 3, "modules": []}`, ErrUnsupportedVersion, "unsupported Terraform state format version: the state has format version 3, only version 4 is supported (written by Terraform 0.11 or older; any Terraform 0.12 or newer upgrades it on its next run)"},
		{"version 5", `{"version": 5, "resources": []}`, ErrUnsupportedVersion, "unsupported Terraform state format version: the state has format version 5, only version 4 is supported (newer than this tool knows)"},
		{"no resources", `{"version": 4, "terraform_version": "1.9.8"}`, ErrInvalidState, `not a Terraform state: no "resources" list in a version 4 state`},
		{"resources not a list", `{"version": 4, "resources": {}}`, ErrInvalidState, "not a Terraform state: invalid JSON: json: cannot unmarshal object into Go struct field rawState.resources of type []tfstate.rawResource"},
		{"resource without type", `{"version": 4, "resources": [{"mode": "managed", "name": "x"}]}`, ErrInvalidState, "not a Terraform state: resources[0] has no type or name"},
		{"unknown mode", `{"version": 4, "resources": [{"mode": "ephemeral", "type": "t", "name": "x"}]}`, ErrInvalidState, `not a Terraform state: resources[0] (t.x) has unknown mode "ephemeral"`},
		{"bad index key", `{"version": 4, "resources": [{"mode": "managed", "type": "t", "name": "x", "instances": [{"index_key": true}]}]}`, ErrInvalidState, "not a Terraform state: t.x instances[0]: index_key true is neither a string nor a number"},
		{"show -json output", `{"format_version": "1.0", "terraform_version": "1.9.8", "values": {"root_module": {}}}`, ErrInvalidState, "not a Terraform state: this is `terraform show -json` output, not a state file: pass the state itself, e.g. from `terraform state pull`"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decode(strings.NewReader(tc.input))
			if err == nil {
				t.Fatalf("decode succeeded: %+v", got)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("error %q does not wrap %q", err, tc.is)
			}
			if err.Error() != tc.msg {
				t.Errorf("error:\n got %s\nwant %s", err, tc.msg)
			}
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestDecodeReaderError(t *testing.T) {
	_, err := decode(failingReader{})
	if err == nil || err.Error() != "reading the Terraform state: disk on fire" {
		t.Errorf("err = %v", err)
	}
}

func TestParseProvider(t *testing.T) {
	for _, tc := range []struct {
		addr       string
		name       string
		alias      string
		databricks bool
	}{
		{`provider["tf.example.com/databricks/databricks"]`, "databricks/databricks", "", true},
		{`provider["tf.example.com/databricks/databricks"].mws`, "databricks/databricks", "mws", true},
		{`provider["tf.example.com/databrickslabs/databricks"]`, "databrickslabs/databricks", "", true},
		{`provider["databricks/databricks"]`, "databricks/databricks", "", true},
		{`provider.databricks`, "databricks", "", true},
		{`provider.databricks.account`, "databricks", "account", true},
		{`module.identities.provider.databricks`, "databricks", "", true},
		{`provider["tf.example.com/hashicorp/aws"]`, "hashicorp/aws", "", false},
		{`provider["tf.example.com/someone/databricks"]`, "someone/databricks", "", false},
		{`provider.aws`, "aws", "", false},
		{`garbage`, "garbage", "", false},
	} {
		p := parseProvider(tc.addr)
		if p.Name() != tc.name || p.Alias != tc.alias || p.isDatabricks() != tc.databricks {
			t.Errorf("parseProvider(%s) = %+v (name %q, databricks %v), want name %q alias %q databricks %v",
				tc.addr, p, p.Name(), p.isDatabricks(), tc.name, tc.alias, tc.databricks)
		}
	}
}

func TestDecodeInstances(t *testing.T) {
	const input = `{"version": 4, "terraform_version": "1.9.8", "resources": [
	  {"module": "module.teams[\"data \\\"eng\\\"\"].module.people", "mode": "managed", "type": "databricks_user", "name": "n",
	   "provider": "provider[\"tf.example.com/databricks/databricks\"].account",
	   "instances": [{"index_key": 0, "attributes": {"id": "1"}}, {"index_key": 1, "status": "tainted", "attributes": {"id": "2"}}]},
	  {"mode": "data", "type": "databricks_group", "name": "admins", "provider": "provider.databricks",
	   "instances": [{"attributes": {"id": "3"}}]},
	  {"type": "databricks_group", "name": "g", "provider": "provider[\"tf.example.com/databricks/databricks\"]",
	   "instances": [{"index_key": "a.b", "attributes": {"id": "4"}}, {"index_key": "a.b", "deposed": "00000001", "attributes": {"id": "5"}}]},
	  {"mode": "managed", "type": "databricks_group", "name": "old", "provider": "provider.databricks",
	   "instances": [{"attributes_flat": {"id": "6"}}]},
	  {"mode": "managed", "type": "random_id", "name": "none", "provider": "provider[\"tf.example.com/hashicorp/random\"]", "instances": []}
	]}`
	got, err := decode(strings.NewReader(input))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Address, Mode, Type, Provider, Alias string
		Tainted, Flat                        bool
		Deposed                              string
	}
	var rows []row
	for _, in := range got {
		rows = append(rows, row{in.Address, in.Mode, in.Type, in.Provider.Name(), in.Provider.Alias, in.Tainted, in.Flat, in.Deposed})
	}
	want := []row{
		{Address: `module.teams["data \"eng\""].module.people.databricks_user.n[0]`, Mode: "managed", Type: "databricks_user", Provider: "databricks/databricks", Alias: "account"},
		{Address: `module.teams["data \"eng\""].module.people.databricks_user.n[1]`, Mode: "managed", Type: "databricks_user", Provider: "databricks/databricks", Alias: "account", Tainted: true},
		{Address: "data.databricks_group.admins", Mode: "data", Type: "databricks_group", Provider: "databricks"},
		{Address: `databricks_group.g["a.b"]`, Mode: "managed", Type: "databricks_group", Provider: "databricks/databricks"},
		{Address: `databricks_group.g["a.b"]`, Mode: "managed", Type: "databricks_group", Provider: "databricks/databricks", Deposed: "00000001"},
		{Address: "databricks_group.old", Mode: "managed", Type: "databricks_group", Provider: "databricks", Flat: true},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("instances:\n got %+v\nwant %+v", rows, want)
	}
}

func TestAttributes(t *testing.T) {
	a := attributes{
		"s": []byte(`"x"`), "empty": []byte(`""`), "null": []byte(`null`), "n": []byte(`12`),
		"t": []byte(`true`), "f": []byte(`false`),
	}
	for _, tc := range []struct {
		name string
		v    string
		ok   bool
		err  string
	}{
		{"s", "x", true, ""},
		{"empty", "", true, ""},
		{"null", "", false, ""},
		{"missing", "", false, ""},
		{"n", "", false, "attribute n is 12, not a string"},
	} {
		v, ok, err := a.str(tc.name)
		if v != tc.v || ok != tc.ok || errString(err) != tc.err {
			t.Errorf("str(%s) = %q, %v, %v; want %q, %v, %q", tc.name, v, ok, err, tc.v, tc.ok, tc.err)
		}
	}
	for _, tc := range []struct {
		name string
		v    *bool
		err  string
	}{
		{"t", new(true), ""},
		{"f", new(false), ""},
		{"null", nil, ""},
		{"missing", nil, ""},
		{"s", nil, `attribute s is "x", not a boolean`},
	} {
		v, err := a.boolean(tc.name)
		if !reflect.DeepEqual(v, tc.v) || errString(err) != tc.err {
			t.Errorf("boolean(%s) = %v, %v; want %v, %q", tc.name, v, err, tc.v, tc.err)
		}
	}
	for _, tc := range []struct {
		config string
		want   string
	}{
		{`[{"workspace_id": "123"}]`, "123"},
		{`[{"workspace_id": ""}]`, ""},
		{`[]`, ""},
		{`null`, ""},
		{`"garbage"`, ""},
	} {
		if got := (attributes{"provider_config": []byte(tc.config)}).workspaceID(); got != tc.want {
			t.Errorf("workspaceID(%s) = %q, want %q", tc.config, got, tc.want)
		}
	}
	if got := (attributes{}).workspaceID(); got != "" {
		t.Errorf("workspaceID without provider_config = %q", got)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
