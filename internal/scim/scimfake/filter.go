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
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

const (
	// maxFilterNodes is Databricks' documented filter size limit.
	maxFilterNodes = 200
	// maxFilterBytes bounds the text handed to the parser; anything longer
	// cannot be a sensible filter and is refused like an oversized one.
	maxFilterBytes = 32 << 10
)

// filterAttrs20 are the attributes API 2.0 filters on, per resource.
var filterAttrs20 = map[scim.Resource][]string{
	scim.ResourceUsers:             {"userName", "displayName", "externalId", "id"},
	scim.ResourceGroups:            {"displayName", "externalId", "id"},
	scim.ResourceServicePrincipals: {"applicationId", "displayName", "externalId", "id"},
}

// filterAttrs21 are the only exact-match attributes API 2.1 documents.
var filterAttrs21 = map[scim.Resource][]string{
	scim.ResourceUsers:             {"userName"},
	scim.ResourceGroups:            {"displayName", "externalId"},
	scim.ResourceServicePrincipals: {"applicationId"},
}

// attrGetter returns an attribute's value and whether it compares
// case-sensitively (RFC 7643 caseExact: id and externalId are, names are not).
type attrGetter func(attr string) (value string, caseExact bool)

// compiledFilter is a validated filter.
type compiledFilter struct {
	expr filter.Expression
	// eqAttr/eqValue are set when the filter is a single eq, so the store
	// can answer it from an index instead of scanning.
	eqAttr, eqValue string
}

// compileFilter parses and validates raw for the API version and resource.
func compileFilter(raw, version string, res scim.Resource) (f *compiledFilter, aerr *apiError) {
	if len(raw) > maxFilterBytes || nestingDepth(raw) > maxFilterNodes {
		return nil, dbErr(http.StatusBadRequest, "INVALID_FILTER", "The filter exceeds the maximum of %d nodes.", maxFilterNodes)
	}
	expr, err := parseFilter(raw)
	if err != nil {
		return nil, scimErr(http.StatusBadRequest, "invalidFilter", "Invalid filter: the expression could not be parsed.")
	}
	if n := countNodes(expr); n > maxFilterNodes {
		return nil, dbErr(http.StatusBadRequest, "INVALID_FILTER",
			"The filter has %d nodes, exceeding the maximum of %d nodes.", n, maxFilterNodes)
	}
	f = &compiledFilter{}
	if f.expr, aerr = validate(expr, version, res); aerr != nil {
		return nil, aerr
	}
	if ae, ok := f.expr.(*filter.AttributeExpression); ok && ae.Operator == filter.EQ {
		f.eqAttr, f.eqValue = ae.AttributePath.AttributeName, ae.CompareValue.(string)
	}
	return f, nil
}

// nestingDepth is the deepest bracket nesting outside string literals. The
// parser backtracks heavily on deep nesting (30,000 "(" take a second), so
// nesting deeper than the node limit, which no sensible filter needs, is
// refused as INVALID_FILTER without parsing.
func nestingDepth(raw string) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '(' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == ')' || c == ']':
			depth--
		}
	}
	return deepest
}

// parseFilter runs the third-party parser, turning a panic on hostile input
// into an error.
func parseFilter(raw string) (expr filter.Expression, err error) {
	defer func() {
		if r := recover(); r != nil {
			expr, err = nil, fmt.Errorf("filter parser panic: %v", r)
		}
	}()
	return filter.ParseFilterNumber([]byte(raw))
}

func countNodes(e filter.Expression) int {
	switch x := e.(type) {
	case *filter.LogicalExpression:
		return 1 + countNodes(x.Left) + countNodes(x.Right)
	case *filter.NotExpression:
		return 1 + countNodes(x.Expression)
	case *filter.ValuePath:
		return 1 + countNodes(x.ValueFilter)
	}
	return 1
}

// validate checks operators and attributes, canonicalises attribute names
// and unescapes string values, returning the expression to evaluate.
func validate(e filter.Expression, version string, res scim.Resource) (filter.Expression, *apiError) {
	unsupported := scimErr(http.StatusBadRequest, "invalidFilter", msgFilterOperator)
	switch x := e.(type) {
	case *filter.LogicalExpression:
		if version == "2.1" {
			return nil, unsupported
		}
		left, aerr := validate(x.Left, version, res)
		if aerr != nil {
			return nil, aerr
		}
		right, aerr := validate(x.Right, version, res)
		if aerr != nil {
			return nil, aerr
		}
		return &filter.LogicalExpression{Left: left, Right: right, Operator: x.Operator}, nil
	case *filter.AttributeExpression:
		return validateAttrExp(x, version, res)
	}
	return nil, unsupported
}

func validateAttrExp(x *filter.AttributeExpression, version string, res scim.Resource) (filter.Expression, *apiError) {
	unsupported := scimErr(http.StatusBadRequest, "invalidFilter", msgFilterOperator)
	allowed := filterAttrs20[res]
	ops := []filter.CompareOperator{filter.EQ, filter.NE, filter.CO, filter.SW}
	if version == "2.1" {
		allowed, ops = filterAttrs21[res], []filter.CompareOperator{filter.EQ}
	}
	if !slices.Contains(ops, x.Operator) {
		return nil, unsupported
	}
	name, ok := canonicalAttr(x.AttributePath, allowed)
	if !ok {
		if version == "2.1" {
			return nil, unsupported
		}
		return nil, scimErr(http.StatusBadRequest, "invalidFilter", "Unsupported filter attribute: %s.", x.AttributePath.String())
	}
	value, ok := filterValue(x.CompareValue)
	if !ok {
		return nil, scimErr(http.StatusBadRequest, "invalidFilter", "Filter values must be strings.")
	}
	return &filter.AttributeExpression{
		AttributePath: filter.AttributePath{AttributeName: name},
		Operator:      x.Operator,
		CompareValue:  value,
	}, nil
}

// canonicalAttr matches an attribute path (names are case-insensitive in
// filters, RFC 7644 §3.4.2.2) against the allowed names. A core-schema URN
// prefix is accepted; sub-attributes are not.
func canonicalAttr(p filter.AttributePath, allowed []string) (string, bool) {
	if p.SubAttribute != nil {
		return "", false
	}
	if uri := p.URI(); uri != "" && !strings.HasPrefix(uri, "urn:ietf:params:scim:schemas:core:2.0:") {
		return "", false
	}
	for _, a := range allowed {
		if strings.EqualFold(a, p.AttributeName) {
			return a, true
		}
	}
	return "", false
}

// filterValue unescapes a string literal (the parser keeps escapes) and
// accepts numbers as their text (id eq 123).
func filterValue(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		var s string
		if err := json.Unmarshal([]byte(`"`+x+`"`), &s); err != nil {
			return "", false
		}
		return s, true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

// match evaluates the filter against one object.
func (f *compiledFilter) match(get attrGetter) bool { return eval(f.expr, get) }

func eval(e filter.Expression, get attrGetter) bool {
	switch x := e.(type) {
	case *filter.LogicalExpression:
		if x.Operator == filter.AND {
			return eval(x.Left, get) && eval(x.Right, get)
		}
		return eval(x.Left, get) || eval(x.Right, get)
	case *filter.AttributeExpression:
		have, exact := get(x.AttributePath.AttributeName)
		want := x.CompareValue.(string)
		if !exact {
			have, want = strings.ToLower(have), strings.ToLower(want)
		}
		switch x.Operator {
		case filter.EQ:
			return have == want
		case filter.NE:
			return have != want
		case filter.CO:
			return strings.Contains(have, want)
		case filter.SW:
			return strings.HasPrefix(have, want)
		}
	}
	return false
}

func userAttrs(u *scim.User) attrGetter {
	return func(attr string) (string, bool) {
		switch attr {
		case "userName":
			return u.UserName, false
		case "displayName":
			return u.DisplayName, false
		case "externalId":
			return u.ExternalID, true
		}
		return u.ID, true
	}
}

func spAttrs(sp *scim.ServicePrincipal) attrGetter {
	return func(attr string) (string, bool) {
		switch attr {
		case "applicationId":
			return sp.ApplicationID, false
		case "displayName":
			return sp.DisplayName, false
		case "externalId":
			return sp.ExternalID, true
		}
		return sp.ID, true
	}
}

func groupAttrs(id string, g *groupObj) attrGetter {
	return func(attr string) (string, bool) {
		switch attr {
		case "displayName":
			return g.DisplayName, false
		case "externalId":
			return g.ExternalID, true
		}
		return id, true
	}
}
