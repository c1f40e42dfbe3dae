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

package scimfake

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// patchOp is one parsed PATCH operation.
type patchOp struct {
	op       string // add, remove or replace
	path     string
	hasPath  bool
	value    json.RawMessage
	hasValue bool
}

// unboundIDClass names the Java class in UnboundID's unknown-field message,
// which Databricks passes through.
var unboundIDClass = map[string]string{
	"add":     "AddOperation",
	"remove":  "RemoveOperation",
	"replace": "ReplaceOperation",
}

// parsePatch parses a PatchOp body strictly: unknown keys in an operation
// (including "value" on a remove, TF #3299) are rejected like UnboundID does.
func parsePatch(body []byte) ([]patchOp, *apiError) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, errUnparsable()
	}
	raw, ok := doc["Operations"]
	if !ok {
		raw, ok = doc["operations"]
	}
	var items []map[string]json.RawMessage
	if !ok || json.Unmarshal(raw, &items) != nil {
		return nil, errUnparsable()
	}
	if len(items) == 0 {
		return nil, errInvalidValue("At least one patch operation is required.")
	}
	ops := make([]patchOp, 0, len(items))
	for _, item := range items {
		op, aerr := parseOp(item)
		if aerr != nil {
			return nil, aerr
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func parseOp(item map[string]json.RawMessage) (patchOp, *apiError) {
	var op patchOp
	if json.Unmarshal(item["op"], &op.op) != nil {
		return op, errUnparsable()
	}
	op.op = strings.ToLower(op.op)
	class, known := unboundIDClass[op.op]
	if !known {
		return op, errUnparsable()
	}
	for _, k := range slices.Sorted(maps.Keys(item)) {
		if k == "op" || k == "path" || (k == "value" && op.op != "remove") {
			continue
		}
		return op, scimErr(http.StatusBadRequest, "invalidSyntax",
			`Unrecognized field "%s" (class com.unboundid.scim2.common.messages.PatchOperation$%s), not marked as ignorable`, k, class)
	}
	if raw, ok := item["path"]; ok && string(raw) != "null" {
		if json.Unmarshal(raw, &op.path) != nil {
			return op, errUnparsable()
		}
		op.hasPath = op.path != ""
	}
	op.value, op.hasValue = item["value"]
	switch {
	case op.op == "remove" && !op.hasPath:
		return op, scimErr(http.StatusBadRequest, "noTarget", "A path is required for remove operations.")
	case op.op != "remove" && !op.hasValue:
		return op, errInvalidValue("A value is required for %s operations.", op.op)
	}
	return op, nil
}

// patchPath is a parsed operation path.
type patchPath struct {
	attr   string // as written; compared case-insensitively
	sub    string
	filter filter.Expression
}

// parsePatchPath parses "attr", "attr.sub", "urn:…:attr" or
// "attr[value eq \"x\"]".
func parsePatchPath(raw string, res scim.Resource) (p patchPath, aerr *apiError) {
	invalid := scimErr(http.StatusBadRequest, "invalidPath", "Invalid path %q.", raw)
	defer func() {
		if recover() != nil {
			p, aerr = patchPath{}, invalid
		}
	}()
	parsed, err := filter.ParsePathNumber([]byte(raw))
	if err != nil {
		return patchPath{}, invalid
	}
	ap := parsed.AttributePath
	if uri := ap.URI(); uri != "" && uri != schemaOf(res) {
		return patchPath{}, invalid
	}
	p = patchPath{attr: ap.AttributeName, sub: ap.SubAttributeName(), filter: parsed.ValueExpression}
	if parsed.SubAttribute != nil {
		p.sub = *parsed.SubAttribute
	}
	return p, nil
}

// applyOp applies one operation to r; self is the object's id.
func (st *store) applyOp(r *record, self int64, op patchOp) *apiError {
	if op.hasPath {
		p, aerr := parsePatchPath(op.path, r.res)
		if aerr != nil {
			return aerr
		}
		return st.applyPath(r, self, op.op, p, op.value)
	}
	// No path: the value is an object of attribute → value (RFC 7644 §3.5.2.1).
	var obj map[string]json.RawMessage
	if json.Unmarshal(op.value, &obj) != nil {
		return errUnparsable()
	}
	prefix := schemaOf(r.res) + ":"
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if aerr := st.applyPath(r, self, op.op, patchPath{attr: strings.TrimPrefix(k, prefix)}, obj[k]); aerr != nil {
			return aerr
		}
	}
	return nil
}

// applyPath applies one operation on one attribute.
func (st *store) applyPath(r *record, self int64, op string, p patchPath, value json.RawMessage) *apiError {
	attr := strings.ToLower(p.attr)
	if attr == "entitlements" {
		return errInvalidValue(msgEntitlements)
	}
	if p.filter != nil && attr != "roles" && attr != "members" && attr != "emails" {
		return scimErr(http.StatusBadRequest, "invalidPath", "Attribute %s does not support value filters.", p.attr)
	}
	switch {
	case attr == "schemas" || attr == "meta":
		return nil
	case attr == "id":
		return scimErr(http.StatusBadRequest, "mutability", "Attribute id is immutable.")
	case r.res == scim.ResourceUsers && (attr == "username" || attr == "emails"):
		return nil // immutable on Databricks: changes are silently ignored
	case r.res == scim.ResourceServicePrincipals && attr == "applicationid":
		return nil
	case attr == "active" && r.res != scim.ResourceGroups:
		return applyActive(r, op, value)
	case attr == "displayname" && p.sub == "":
		return applyString(&r.displayName, op, value, "displayName")
	case attr == "externalid" && p.sub == "":
		return applyString(&r.externalID, op, value, "externalId")
	case attr == "name" && r.res == scim.ResourceUsers:
		return applyName(r, op, p.sub, value)
	case attr == "roles" && p.sub == "":
		return applyRoles(r, op, p.filter, value)
	case attr == "members" && p.sub == "" && r.res == scim.ResourceGroups:
		return st.applyMembers(r, self, op, p.filter, value)
	}
	return scimErr(http.StatusBadRequest, "invalidPath", "Attribute %s is not supported on %s.", p.attr, r.res)
}

func applyActive(r *record, op string, value json.RawMessage) *apiError {
	if op == "remove" {
		return errInvalidValue("Attribute active cannot be removed.")
	}
	b, ok := boolValue(value)
	if !ok {
		return errInvalidValue("Invalid value for attribute active: %s.", truncate(string(value), 64))
	}
	r.active = new(b)
	return nil
}

// boolValue accepts false, "false" and [{"value":"false"}] (and the same for
// true): the three forms seen in SDK, KB and Terraform requests.
func boolValue(raw json.RawMessage) (bool, bool) {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b, true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		switch strings.ToLower(s) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
		return false, false
	}
	var list []struct {
		Value json.RawMessage `json:"value"`
	}
	if json.Unmarshal(raw, &list) == nil && len(list) == 1 && len(list[0].Value) > 0 && !bytes.HasPrefix(list[0].Value, []byte("[")) {
		return boolValue(list[0].Value)
	}
	return false, false
}

func applyString(dst *string, op string, value json.RawMessage, name string) *apiError {
	if op == "remove" {
		*dst = ""
		return nil
	}
	var s string
	if json.Unmarshal(value, &s) != nil {
		return errInvalidValue("Attribute %s must be a string.", name)
	}
	*dst = s
	return nil
}

// applyName sets name or one of its sub-attributes. A replace of the whole
// complex attribute changes only the sub-attributes given (RFC 7644 §3.5.2.3).
func applyName(r *record, op, sub string, value json.RawMessage) *apiError {
	n := scim.Name{}
	if r.name != nil {
		n = *r.name
	}
	switch strings.ToLower(sub) {
	case "givenname":
		if aerr := applyString(&n.GivenName, op, value, "name.givenName"); aerr != nil {
			return aerr
		}
	case "familyname":
		if aerr := applyString(&n.FamilyName, op, value, "name.familyName"); aerr != nil {
			return aerr
		}
	case "":
		if op == "remove" {
			r.name = nil
			return nil
		}
		var in map[string]json.RawMessage
		if json.Unmarshal(value, &in) != nil {
			return errInvalidValue("Attribute name must be an object.")
		}
		tmp := &record{name: &n}
		for _, k := range slices.Sorted(maps.Keys(in)) {
			if aerr := applyName(tmp, op, k, in[k]); aerr != nil {
				return aerr
			}
		}
		n = *tmp.name
	default:
		return scimErr(http.StatusBadRequest, "invalidPath", "Attribute name.%s is not supported.", sub)
	}
	r.name = &n
	return nil
}

// complexValues reads a multi-valued attribute value: a list of objects (or
// one object). A bare string or a list of strings is a schema violation,
// which Databricks reports as invalidSyntax (sdk-java #279).
func complexValues(raw json.RawMessage) ([]scim.ComplexValue, *apiError) {
	var list []scim.ComplexValue
	if err := json.Unmarshal(raw, &list); err != nil {
		var one scim.ComplexValue
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, errUnparsable()
		}
		list = []scim.ComplexValue{one}
	}
	for _, v := range list {
		if v.Value == "" {
			return nil, errInvalidValue("Each value must have a non-empty \"value\".")
		}
	}
	return list, nil
}

// filterValues reads `value eq "x"` (optionally or-ed) from a value filter.
func filterValues(e filter.Expression) ([]string, *apiError) {
	switch x := e.(type) {
	case *filter.LogicalExpression:
		if x.Operator != filter.OR {
			break
		}
		left, aerr := filterValues(x.Left)
		if aerr != nil {
			return nil, aerr
		}
		right, aerr := filterValues(x.Right)
		if aerr != nil {
			return nil, aerr
		}
		return append(left, right...), nil
	case *filter.AttributeExpression:
		if strings.EqualFold(x.AttributePath.AttributeName, "value") && x.AttributePath.SubAttribute == nil && x.Operator == filter.EQ {
			if v, ok := filterValue(x.CompareValue); ok {
				return []string{v}, nil
			}
		}
	}
	return nil, scimErr(http.StatusBadRequest, "invalidFilter", "Only value eq filters are supported in a path.")
}

func applyRoles(r *record, op string, vf filter.Expression, value json.RawMessage) *apiError {
	switch {
	case op == "remove" && vf == nil:
		r.roles = nil
	case op == "remove":
		drop, aerr := filterValues(vf)
		if aerr != nil {
			return aerr
		}
		r.roles = slices.DeleteFunc(slices.Clone(r.roles), func(c scim.ComplexValue) bool { return slices.Contains(drop, c.Value) })
	case vf != nil:
		return scimErr(http.StatusBadRequest, "invalidPath", "Value filters are only supported with remove.")
	default:
		vals, aerr := complexValues(value)
		if aerr != nil {
			return aerr
		}
		if op == "replace" {
			r.roles = vals
		} else {
			r.roles = append(slices.Clone(r.roles), vals...) // de-duplicated on commit
		}
	}
	return nil
}

func (st *store) applyMembers(r *record, self int64, op string, vf filter.Expression, value json.RawMessage) *apiError {
	switch {
	case op == "remove" && vf == nil:
		r.members = nil
	case op == "remove":
		drop, aerr := filterValues(vf)
		if aerr != nil {
			return aerr
		}
		r.members = slices.DeleteFunc(slices.Clone(r.members), func(id int64) bool {
			return slices.Contains(drop, formatID(id))
		})
	case vf != nil:
		return scimErr(http.StatusBadRequest, "invalidPath", "Value filters are only supported with remove.")
	default:
		vals, aerr := complexValues(value)
		if aerr != nil {
			return aerr
		}
		ids, aerr := st.resolveMembers(vals, self)
		if aerr != nil {
			return aerr
		}
		if op == "replace" {
			r.members = ids
		} else {
			r.members = normalizeMembers(append(slices.Clone(r.members), ids...))
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// patch answers PATCH: all operations apply atomically, then 204 (or 200
// with the object when configured).
func (s *Server) patch(req *request) response {
	id, ok := parseID(req.id)
	if !ok {
		return errResponse(errNotFound(req.res, req.id))
	}
	ops, aerr := parsePatch(req.body)
	if aerr != nil {
		return errResponse(aerr)
	}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	r, found := st.recordOf(req.res, id)
	if !found {
		return errResponse(errNotFound(req.res, req.id))
	}
	for _, op := range ops {
		if aerr := st.applyOp(r, id, op); aerr != nil {
			return errResponse(aerr)
		}
	}
	if aerr := st.commit(s.cfg, id, r, req.now); aerr != nil {
		return errResponse(aerr)
	}
	if s.patchReturnsBody() {
		return response{status: http.StatusOK, body: st.renderCurrent(req.res, id)}
	}
	return response{status: http.StatusNoContent}
}
