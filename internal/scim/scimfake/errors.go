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
	"fmt"
	"net/http"
	"strconv"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// Texts Databricks is known to send (reference §4.3, §5).
const (
	msgUnparsable     = "Request is unparsable, syntactically incorrect, or violates schema."
	msgFilterOperator = "Given filter operator is not supported."
	msgEntitlements   = "entitlements can only be managed at the workspace level"
	msgRemoveValue    = `Unrecognized field "value" (class com.unboundid.scim2.common.messages.PatchOperation$RemoveOperation), not marked as ignorable`
	msgUserExists     = "User with email %s already exists in this account. Note: emails are case insensitive " +
		"(i.e abc@domain.com and ABC@DOMAIN.COM are considered equivalent)"
	msgGroupExists = "Group with name %s already exists."
	msgSPExists    = "Service principal with application ID %s already exists."
)

// apiError is an error answer: a SCIM error body, or the Databricks
// {"error_code","message"} body when code is set.
type apiError struct {
	status   int
	scimType string
	detail   string
	code     string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s%s", e.status, e.code, e.detail) }

func scimErr(status int, scimType, format string, args ...any) *apiError {
	return &apiError{status: status, scimType: scimType, detail: fmt.Sprintf(format, args...)}
}

func dbErr(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, detail: fmt.Sprintf(format, args...)}
}

func errUnparsable() *apiError { return scimErr(http.StatusBadRequest, "invalidSyntax", msgUnparsable) }

func errInvalidValue(format string, args ...any) *apiError {
	return scimErr(http.StatusBadRequest, "invalidValue", format, args...)
}

func errNotFound(res scim.Resource, id string) *apiError {
	return scimErr(http.StatusNotFound, "", "%s %s not found.", singular(res), id)
}

func singular(res scim.Resource) string {
	switch res {
	case scim.ResourceUsers:
		return "User"
	case scim.ResourceGroups:
		return "Group"
	case scim.ResourceServicePrincipals:
		return "ServicePrincipal"
	}
	return string(res)
}

// scimErrorBody is the SCIM error document; status is a string, as
// Databricks sends it.
type scimErrorBody struct {
	Schemas  []string `json:"schemas"`
	Detail   string   `json:"detail"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
}

type dbErrorBody struct {
	ErrorCode string `json:"error_code"`
	Message   string `json:"message"`
}

func (e *apiError) body() any {
	if e.code != "" {
		return dbErrorBody{ErrorCode: e.code, Message: e.detail}
	}
	return scimErrorBody{
		Schemas:  []string{scim.SchemaError},
		Detail:   e.detail,
		Status:   strconv.Itoa(e.status),
		ScimType: e.scimType,
	}
}
