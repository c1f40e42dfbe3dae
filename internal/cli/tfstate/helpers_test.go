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

import "encoding/json"

// The fixtures name the provider by a made-up host: real states carry the
// public registry's host, which Read ignores.
const (
	dbxProvider     = `provider["tf.example.com/databricks/databricks"]`
	accountProvider = dbxProvider + ".account"
)

// state builds a version 4 state from resources.
func state(resources ...map[string]any) string {
	if resources == nil {
		resources = []map[string]any{}
	}
	b, err := json.Marshal(map[string]any{"version": 4, "terraform_version": "1.9.8", "serial": 1, "lineage": "x", "outputs": map[string]any{}, "resources": resources})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// resource builds a managed resource of the account-level Databricks
// provider configuration with one instance.
func resource(typ, name string, attrs map[string]any) map[string]any {
	return map[string]any{"mode": "managed", "type": typ, "name": name, "provider": accountProvider,
		"instances": []any{map[string]any{"schema_version": 0, "attributes": attrs, "sensitive_attributes": []any{}}}}
}

func with(r map[string]any, key string, value any) map[string]any {
	r[key] = value
	return r
}

func userAttrs(id, name string, extra ...any) map[string]any {
	a := map[string]any{"id": id, "user_name": name, "display_name": "", "active": true, "external_id": "", "disable_as_user_deletion": nil, "api": nil, "provider_config": []any{}}
	return set(a, extra...)
}

func spAttrs(id, app, name string, extra ...any) map[string]any {
	a := map[string]any{"id": id, "application_id": app, "display_name": name, "active": true, "external_id": "", "disable_as_user_deletion": nil, "api": nil, "provider_config": []any{}}
	return set(a, extra...)
}

func groupAttrs(id, name string, extra ...any) map[string]any {
	a := map[string]any{"id": id, "display_name": name, "external_id": "", "api": nil, "provider_config": []any{}}
	return set(a, extra...)
}

func memberAttrs(group, member string, extra ...any) map[string]any {
	return set(map[string]any{"id": group + "|" + member, "group_id": group, "member_id": member, "api": nil, "provider_config": []any{}}, extra...)
}

func roleAttrs(idAttr, id, role string, extra ...any) map[string]any {
	return set(map[string]any{"id": id + "|" + role, idAttr: id, "role": role, "api": nil, "provider_config": []any{}}, extra...)
}

// set applies name, value pairs; a value of absent deletes the attribute.
func set(a map[string]any, kv ...any) map[string]any {
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == absent {
			delete(a, kv[i].(string))
			continue
		}
		a[kv[i].(string)] = kv[i+1]
	}
	return a
}

type absentT struct{}

var absent = absentT{}

var wsConfig = []any{map[string]any{"workspace_id": "1234567890123456"}}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
