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
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// tc is a raw HTTP test client for one fake server.
type tc struct {
	t       testing.TB
	s       *Server
	version string
	token   string
}

func newTC(t testing.TB, opts Options) *tc {
	t.Helper()
	s := New(opts)
	s.Start()
	t.Cleanup(s.Close)
	return &tc{t: t, s: s, version: "2.1", token: s.Token()}
}

// reply is a decoded answer.
type reply struct {
	status int
	header http.Header
	raw    []byte
	obj    map[string]any
}

func (r reply) str(key string) string {
	v, _ := r.obj[key].(string)
	return v
}

func (r reply) resources() []map[string]any {
	list, _ := r.obj["Resources"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, v := range list {
		out = append(out, v.(map[string]any))
	}
	return out
}

func (c *tc) do(method, path string, body any) reply {
	c.t.Helper()
	return c.doURL(method, c.s.BaseURL(c.version)+path, body)
}

func (c *tc) doURL(method, u string, body any) reply {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.obj)
	return r
}

func (c *tc) list(res scim.Resource, q url.Values) reply {
	c.t.Helper()
	path := "/" + string(res)
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return c.do(http.MethodGet, path, nil)
}

func (c *tc) filter(res scim.Resource, f string) reply {
	c.t.Helper()
	return c.list(res, url.Values{"filter": {f}})
}

func (c *tc) patch(res scim.Resource, id string, ops ...any) reply {
	c.t.Helper()
	return c.do(http.MethodPatch, "/"+string(res)+"/"+id, map[string]any{
		"schemas":    []string{scim.SchemaPatchOp},
		"Operations": ops,
	})
}

func ids(items []map[string]any) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it["id"].(string))
	}
	return out
}
