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

package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/scimops/databricks-scim-operator/internal/naturalkey"
)

// Client is the account SCIM API as the controllers use it.
type Client interface {
	// ListUsers pages through every matching user and calls fn once per
	// distinct id. An error from fn stops the listing and is returned.
	ListUsers(ctx context.Context, opts ListOptions, fn func(User) error) error
	GetUser(ctx context.Context, id string) (*User, error)
	CreateUser(ctx context.Context, u User) (*User, error)
	PatchUser(ctx context.Context, id string, ops []Operation) error
	DeleteUser(ctx context.Context, id string) error
	// FindUserByUserName returns the user whose userName has the same
	// naturalkey.Key as userName, or (nil, nil) when there is none.
	FindUserByUserName(ctx context.Context, userName string) (*User, error)

	ListServicePrincipals(ctx context.Context, opts ListOptions, fn func(ServicePrincipal) error) error
	GetServicePrincipal(ctx context.Context, id string) (*ServicePrincipal, error)
	CreateServicePrincipal(ctx context.Context, sp ServicePrincipal) (*ServicePrincipal, error)
	PatchServicePrincipal(ctx context.Context, id string, ops []Operation) error
	DeleteServicePrincipal(ctx context.Context, id string) error
	// FindServicePrincipalByApplicationID returns the service principal
	// whose applicationId has the same naturalkey.Key as appID, or (nil, nil)
	// when none matches.
	FindServicePrincipalByApplicationID(ctx context.Context, appID string) (*ServicePrincipal, error)

	ListGroups(ctx context.Context, opts ListOptions, fn func(Group) error) error
	GetGroup(ctx context.Context, id string) (*Group, error)
	CreateGroup(ctx context.Context, g Group) (*Group, error)
	PatchGroup(ctx context.Context, id string, ops []Operation) error
	DeleteGroup(ctx context.Context, id string) error
	// FindGroupByDisplayName returns the group whose displayName has the
	// same naturalkey.Key as name (case-insensitive, NFKC), or (nil, nil) when
	// no group has that name.
	FindGroupByDisplayName(ctx context.Context, name string) (*Group, error)

	// Ping makes the cheapest authenticated call (GET Users?count=1&attributes=id).
	Ping(ctx context.Context) error
}

// HTTPClient implements Client over HTTP. It is safe for concurrent use.
type HTTPClient struct {
	cfg  Config
	base string // …/scim/v2/ with trailing slash
	lim  *limiters
}

var _ Client = (*HTTPClient)(nil)

// maxThrottleRetries is how often the client itself retries a throttled
// GET (single object or list page), each time after the class pause set by
// the answer's Retry-After. Writes are never retried here: whether to repeat
// a write is the caller's decision.
const maxThrottleRetries = 3

// New validates cfg and returns a client.
func New(cfg Config) (*HTTPClient, error) {
	cfg, base, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	lim := newLimiters(cfg.Limits)
	if cfg.SharedLimiters != nil {
		lim = cfg.SharedLimiters.ls
	}
	return &HTTPClient{cfg: cfg, base: base, lim: lim}, nil
}

// SetLimits changes the client-side rates in place; waiting requests adopt
// the new rates.
func (c *HTTPClient) SetLimits(l Limits) { c.lim.set(l) }

// APIVersion returns the API version in use ("2.0" or "2.1").
func (c *HTTPClient) APIVersion() string { return c.cfg.APIVersion }

// call describes one logical API call.
type call struct {
	method   string
	class    Class
	resource Resource
	id       string // "" for the collection
	query    url.Values
	body     any
	out      any // decoded from a 2xx body when non-nil and a body is present
}

// do runs a call, retrying a throttled GET up to maxThrottleRetries times.
func (c *HTTPClient) do(ctx context.Context, cl call) error {
	for attempt := 0; ; attempt++ {
		err := c.once(ctx, cl)
		if err == nil || cl.method != http.MethodGet || attempt >= maxThrottleRetries || !IsThrottled(err) {
			return err
		}
		// The class is paused for Retry-After; the next limiter wait honours it.
	}
}

// once sends one HTTP request: limiter wait, token, request, bounded body
// read, error classification and the class pause on throttling.
func (c *HTTPClient) once(ctx context.Context, cl call) error {
	waited, err := c.lim.wait(ctx, cl.class)
	if err != nil {
		return fmt.Errorf("scim: %s %s: waiting for the %s rate limiter: %w", cl.method, cl.resource, cl.class, err)
	}
	token, err := c.cfg.Token(ctx)
	if err != nil {
		return fmt.Errorf("scim: %s %s: getting the token: %w", cl.method, cl.resource, err)
	}
	if token == "" {
		return fmt.Errorf("scim: %s %s: the token is empty", cl.method, cl.resource)
	}
	req, cancel, err := c.newRequest(ctx, cl, token)
	if err != nil {
		return err
	}
	defer cancel()

	info := CallInfo{Resource: cl.resource, Class: cl.class, Method: cl.method, LimiterWait: waited}
	start := time.Now()
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		info.Duration = time.Since(start)
		c.observe(info)
		return transportError(cl, err, token)
	}
	body, tooLarge, readErr := readBody(resp.Body, c.cfg.MaxResponseBytes)
	_ = resp.Body.Close()
	info.Duration, info.StatusCode = time.Since(start), resp.StatusCode
	if readErr != nil {
		c.observe(info)
		return transportError(cl, readErr, token)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 && !isHTML(resp.Header, bytes.TrimSpace(body)) {
		c.observe(info)
		if tooLarge {
			return fmt.Errorf("scim: %s %s: response body exceeds %d bytes", cl.method, cl.resource, c.cfg.MaxResponseBytes)
		}
		return decodeBody(cl, resp.Header, body)
	}
	apiErr := parseError(resp.StatusCode, resp.Header, body, token)
	apiErr.Method, apiErr.Resource = cl.method, cl.resource
	if info.Throttled = IsThrottled(apiErr); info.Throttled {
		c.lim.pause(cl.class, apiErr.RetryAfter)
	}
	c.observe(info)
	return apiErr
}

func (c *HTTPClient) newRequest(ctx context.Context, cl call, token string) (*http.Request, context.CancelFunc, error) {
	u := c.base + string(cl.resource)
	if cl.id != "" {
		u += "/" + url.PathEscape(cl.id)
	}
	if len(cl.query) > 0 {
		// %20, not +, for spaces: the reference asks for a URL-encoded filter,
		// and a literal + is already %2B here.
		u += "?" + strings.ReplaceAll(cl.query.Encode(), "+", "%20")
	}
	var body io.Reader
	if cl.body != nil {
		raw, err := json.Marshal(cl.body)
		if err != nil {
			return nil, nil, fmt.Errorf("scim: %s %s: encoding request: %w", cl.method, cl.resource, err)
		}
		body = bytes.NewReader(raw)
	}
	rctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	req, err := http.NewRequestWithContext(rctx, cl.method, u, body)
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("scim: %s %s: building request failed", cl.method, cl.resource)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json, application/scim+json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	return req, cancel, nil
}

func (c *HTTPClient) observe(info CallInfo) {
	if c.cfg.Observer != nil {
		c.cfg.Observer(info)
	}
}

// readBody reads at most limit bytes and reports whether there was more.
func readBody(r io.Reader, limit int64) ([]byte, bool, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(body)) > limit {
		return body[:limit], true, nil
	}
	return body, false, err
}

// decodeBody decodes a 2xx body into cl.out. A body that does not decode is
// described by content type, size and the kind of failure: encoding/json's
// own messages quote parts of the input ("invalid character 'x'", "cannot
// unmarshal number 123…") and are not passed on.
func decodeBody(cl call, header http.Header, body []byte) error {
	if cl.out == nil || len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, cl.out); err != nil {
		why := "not valid JSON"
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syntax):
			why = fmt.Sprintf("not valid JSON (syntax error at byte %d)", syntax.Offset)
		case errors.As(err, &typ):
			why = fmt.Sprintf("JSON of an unexpected shape (a value of the wrong type at byte %d)", typ.Offset)
		}
		return fmt.Errorf("scim: %s %s: the response body %s is %s", cl.method, cl.resource, describeBody(header, body), why)
	}
	return nil
}

// maxTransportText bounds the text kept from a transport error.
const maxTransportText = 512

// serverQuoted matches a Go-quoted string in a transport error: net/http
// quotes what the server sent there ("malformed HTTP response \"…\"", an
// HTTP/2 GOAWAY's debug data).
var serverQuoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// transportError drops the URL from net/http's error (it may carry a filter
// with user names), drops anything quoted from the server's bytes, and
// removes the token should it appear anywhere. The original error stays in
// the chain for errors.Is and errors.As.
func transportError(cl call, err error, token string) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	if !IsHostNotAllowed(err) {
		msg := serverQuoted.ReplaceAllString(err.Error(), `"[server data not shown]"`)
		msg = clean(msg, maxTransportText, []string{token})
		switch {
		case token != "" && strings.Contains(err.Error(), token):
			err = errors.New(msg) // not even in the chain
		case msg != err.Error():
			err = &rewordedError{msg: msg, err: err}
		}
	}
	return &TransportError{Method: cl.method, Resource: cl.resource, Err: err}
}

// rewordedError replaces an error's text and keeps it in the chain.
type rewordedError struct {
	msg string
	err error
}

func (e *rewordedError) Error() string { return e.msg }
func (e *rewordedError) Unwrap() error { return e.err }

// errStop ends a listing early from inside a callback.
var errStop = errors.New("stop listing")

// listAll pages a collection: startIndex from 1, next startIndex =
// response startIndex + items received, stop on an empty page (or a short
// last page that reaches totalResults), de-duplicating by id because offset
// paging over a changing set can repeat items.
func listAll[T any](ctx context.Context, c *HTTPClient, res Resource, opts ListOptions, idOf func(*T) string, fn func(T) error) error {
	size := opts.PageSize
	if size <= 0 || size > MaxPageSize {
		size = MaxPageSize
	}
	q := listQuery(opts)
	seen := make(map[string]struct{})
	start := 1
	for {
		q.Set("startIndex", strconv.Itoa(start))
		q.Set("count", strconv.Itoa(size))
		var page ListResponse[T]
		if err := c.do(ctx, call{method: http.MethodGet, class: ClassList, resource: res, query: q, out: &page}); err != nil {
			return err
		}
		if len(page.Resources) == 0 {
			return nil
		}
		fresh := 0
		for i := range page.Resources {
			if id := idOf(&page.Resources[i]); id != "" {
				if _, dup := seen[id]; dup {
					continue
				}
				seen[id] = struct{}{}
			}
			fresh++
			if err := fn(page.Resources[i]); err != nil {
				return err
			}
		}
		if fresh == 0 && len(page.Resources) == size {
			// A whole page of objects already seen: the server is not paging.
			return fmt.Errorf("scim: list %s: the page at startIndex %d repeated only objects already listed", res, start)
		}
		// Our own offset, not the echoed startIndex: a wrong echo must neither
		// skip objects nor loop.
		next := start + len(page.Resources)
		if page.TotalResults > 0 && len(page.Resources) < size && next > page.TotalResults {
			return nil // short page at the end: skip the confirming empty page
		}
		start = next
	}
}

func listQuery(opts ListOptions) url.Values {
	q := url.Values{}
	if opts.Filter != "" {
		q.Set("filter", opts.Filter)
	}
	if len(opts.Attributes) > 0 {
		q.Set("attributes", strings.Join(opts.Attributes, ","))
	}
	if len(opts.ExcludedAttributes) > 0 {
		q.Set("excludedAttributes", strings.Join(opts.ExcludedAttributes, ","))
	}
	return q
}

func getOne[T any](ctx context.Context, c *HTTPClient, res Resource, id string) (*T, error) {
	if err := checkID(http.MethodGet, res, id); err != nil {
		return nil, err
	}
	var out T
	if err := c.do(ctx, call{method: http.MethodGet, class: ClassGet, resource: res, id: id, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// getOneWithID is getOne for callers that need the object's id: an answer
// without one (an empty 200) is an error, not an empty object.
func getOneWithID[T any](ctx context.Context, c *HTTPClient, res Resource, id string, idOf func(*T) string) (*T, error) {
	out, err := getOne[T](ctx, c, res, id)
	if err == nil && idOf(out) == "" {
		return nil, fmt.Errorf("scim: GET %s/%s: the response carried no id", res, id)
	}
	return out, err
}

func create[T any](ctx context.Context, c *HTTPClient, res Resource, in T, idOf func(*T) string) (*T, error) {
	var out T
	if err := c.do(ctx, call{method: http.MethodPost, class: ClassWrite, resource: res, body: in, out: &out}); err != nil {
		return nil, err
	}
	if idOf(&out) == "" {
		// The object may well exist now; callers recover by looking it up by
		// its natural key, as after any ambiguous create.
		return nil, fmt.Errorf("scim: POST %s: the response carried no id", res)
	}
	return &out, nil
}

func (c *HTTPClient) patch(ctx context.Context, res Resource, id string, ops []Operation) error {
	if err := checkID(http.MethodPatch, res, id); err != nil {
		return err
	}
	if len(ops) == 0 {
		return nil
	}
	body := PatchRequest{Schemas: []string{SchemaPatchOp}, Operations: ops}
	return c.do(ctx, call{method: http.MethodPatch, class: ClassPatch, resource: res, id: id, body: body})
}

func (c *HTTPClient) delete(ctx context.Context, res Resource, id string) error {
	if err := checkID(http.MethodDelete, res, id); err != nil {
		return err
	}
	return c.do(ctx, call{method: http.MethodDelete, class: ClassWrite, resource: res, id: id})
}

// checkID refuses an empty id, which would otherwise address the collection.
func checkID(method string, res Resource, id string) error {
	if id == "" {
		return fmt.Errorf("scim: %s %s: empty id", method, res)
	}
	return nil
}

func userID(u *User) string           { return u.ID }
func spID(s *ServicePrincipal) string { return s.ID }
func groupID(g *Group) string         { return g.ID }
func ignoreStop(err error) error      { return ignoreErr(err, errStop) }
func ignoreErr(err, target error) error {
	if errors.Is(err, target) {
		return nil
	}
	return err
}

// ListUsers implements Client.
func (c *HTTPClient) ListUsers(ctx context.Context, opts ListOptions, fn func(User) error) error {
	return listAll(ctx, c, ResourceUsers, opts, userID, fn)
}

// GetUser implements Client.
func (c *HTTPClient) GetUser(ctx context.Context, id string) (*User, error) {
	return getOneWithID(ctx, c, ResourceUsers, id, userID)
}

// CreateUser implements Client. Schemas defaults to the core User schema.
func (c *HTTPClient) CreateUser(ctx context.Context, u User) (*User, error) {
	if len(u.Schemas) == 0 {
		u.Schemas = []string{SchemaUser}
	}
	return create(ctx, c, ResourceUsers, u, userID)
}

// PatchUser implements Client; an empty ops list sends nothing.
func (c *HTTPClient) PatchUser(ctx context.Context, id string, ops []Operation) error {
	return c.patch(ctx, ResourceUsers, id, ops)
}

// DeleteUser implements Client.
func (c *HTTPClient) DeleteUser(ctx context.Context, id string) error {
	return c.delete(ctx, ResourceUsers, id)
}

// FindUserByUserName implements Client.
func (c *HTTPClient) FindUserByUserName(ctx context.Context, userName string) (*User, error) {
	if userName == "" {
		return nil, errors.New("scim: find user: empty userName")
	}
	var found *User
	// Lower-cased like the stored value: 2.1 filters are exact matches.
	err := c.ListUsers(ctx, ListOptions{Filter: EqFilter("userName", strings.ToLower(userName))}, func(u User) error {
		// Re-check: the server lower-cases userName and a server that
		// ignored the filter must not make us adopt the wrong user. Same
		// comparison as everywhere else: naturalkey.Key, which neither trims
		// nor strips, so "a@b.c\u00a0" never matches "a@b.c".
		if naturalkey.Equal(u.UserName, userName) {
			found = &u
			return errStop
		}
		return nil
	})
	return found, ignoreStop(err)
}

// ListServicePrincipals implements Client.
func (c *HTTPClient) ListServicePrincipals(ctx context.Context, opts ListOptions, fn func(ServicePrincipal) error) error {
	return listAll(ctx, c, ResourceServicePrincipals, opts, spID, fn)
}

// GetServicePrincipal implements Client.
func (c *HTTPClient) GetServicePrincipal(ctx context.Context, id string) (*ServicePrincipal, error) {
	return getOneWithID(ctx, c, ResourceServicePrincipals, id, spID)
}

// CreateServicePrincipal implements Client. Schemas defaults to the
// ServicePrincipal schema.
func (c *HTTPClient) CreateServicePrincipal(ctx context.Context, sp ServicePrincipal) (*ServicePrincipal, error) {
	if len(sp.Schemas) == 0 {
		sp.Schemas = []string{SchemaServicePrincipal}
	}
	return create(ctx, c, ResourceServicePrincipals, sp, spID)
}

// PatchServicePrincipal implements Client; an empty ops list sends nothing.
func (c *HTTPClient) PatchServicePrincipal(ctx context.Context, id string, ops []Operation) error {
	return c.patch(ctx, ResourceServicePrincipals, id, ops)
}

// DeleteServicePrincipal implements Client.
func (c *HTTPClient) DeleteServicePrincipal(ctx context.Context, id string) error {
	return c.delete(ctx, ResourceServicePrincipals, id)
}

// FindServicePrincipalByApplicationID implements Client.
func (c *HTTPClient) FindServicePrincipalByApplicationID(ctx context.Context, appID string) (*ServicePrincipal, error) {
	if appID == "" {
		return nil, errors.New("scim: find service principal: empty applicationId")
	}
	var found *ServicePrincipal
	err := c.ListServicePrincipals(ctx, ListOptions{Filter: EqFilter("applicationId", appID)}, func(sp ServicePrincipal) error {
		if naturalkey.Equal(sp.ApplicationID, appID) {
			found = &sp
			return errStop
		}
		return nil
	})
	return found, ignoreStop(err)
}

// ListGroups implements Client. Databricks no longer returns members in
// lists; GET a group to read them.
func (c *HTTPClient) ListGroups(ctx context.Context, opts ListOptions, fn func(Group) error) error {
	return listAll(ctx, c, ResourceGroups, opts, groupID, fn)
}

// GetGroup implements Client.
func (c *HTTPClient) GetGroup(ctx context.Context, id string) (*Group, error) {
	return getOneWithID(ctx, c, ResourceGroups, id, groupID)
}

// CreateGroup implements Client. At most MaxMembersOnCreate members may be
// sent; add the rest with PatchGroup.
func (c *HTTPClient) CreateGroup(ctx context.Context, g Group) (*Group, error) {
	if len(g.Members) > MaxMembersOnCreate {
		return nil, fmt.Errorf("scim: POST Groups: %d members exceed the %d allowed on create", len(g.Members), MaxMembersOnCreate)
	}
	if len(g.Schemas) == 0 {
		g.Schemas = []string{SchemaGroup}
	}
	return create(ctx, c, ResourceGroups, g, groupID)
}

// PatchGroup implements Client; an empty ops list sends nothing.
func (c *HTTPClient) PatchGroup(ctx context.Context, id string, ops []Operation) error {
	return c.patch(ctx, ResourceGroups, id, ops)
}

// DeleteGroup implements Client.
func (c *HTTPClient) DeleteGroup(ctx context.Context, id string) error {
	return c.delete(ctx, ResourceGroups, id)
}

// FindGroupByDisplayName implements Client.
func (c *HTTPClient) FindGroupByDisplayName(ctx context.Context, name string) (*Group, error) {
	if name == "" {
		return nil, errors.New("scim: find group: empty displayName")
	}
	var found *Group
	err := c.ListGroups(ctx, ListOptions{Filter: EqFilter("displayName", name)}, func(g Group) error {
		if naturalkey.Equal(g.DisplayName, name) {
			found = &g
			return errStop
		}
		return nil
	})
	return found, ignoreStop(err)
}

// Ping implements Client.
func (c *HTTPClient) Ping(ctx context.Context) error {
	// The answer is not decoded: any 2xx proves the token (an HTML login
	// page or a redirect is already an error), and an odd body must not
	// keep an account from becoming Ready.
	q := url.Values{"count": {"1"}, "attributes": {"id"}}
	return c.do(ctx, call{method: http.MethodGet, class: ClassList, resource: ResourceUsers, query: q})
}
