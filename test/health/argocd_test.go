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

package health

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	lua "github.com/yuin/gopher-lua"
	"sigs.k8s.io/yaml"
)

const (
	scriptPath = "config/argocd/health.lua"
	patchPath  = "config/argocd/argocd-cm-patch.yaml"
)

// argoHealth runs a health script as Argo CD does (util/lua in argo-cd):
// a gopher-lua state without the standard libraries except package, base
// and table (Argo CD also opens a restricted os library; leaving it out
// proves the script needs none), a one-second deadline, and the object
// as the global obj, converted from its JSON form (maps to tables, arrays to
// 1-based tables, numbers to Lua numbers). The script must return a table
// with a valid health status.
func argoHealth(script string, obj map[string]any) (status, message string, err error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), Protect: true}, lua.LString(lib.name)); err != nil {
			return "", "", err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		return "", "", err
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return "", "", fmt.Errorf("the script returned %s, not a table", l.Get(-1).Type())
	}
	st, ok := ret.RawGetString("status").(lua.LString)
	if !ok {
		return "", "", fmt.Errorf("status is %s, not a string", ret.RawGetString("status").Type())
	}
	switch st {
	case "Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown":
	default:
		return "", "", fmt.Errorf("status %q is no Argo CD health status", st)
	}
	msg := ret.RawGetString("message")
	if msg != lua.LNil {
		if _, ok := msg.(lua.LString); !ok {
			return "", "", fmt.Errorf("message is %s, not a string", msg.Type())
		}
	}
	return string(st), lua.LVAsString(msg), nil
}

// toLua converts an unstructured object the way Argo CD's decodeValue does.
func toLua(l *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case bool:
		return lua.LBool(x)
	case string:
		return lua.LString(x)
	case int64:
		return lua.LNumber(x)
	case float64:
		return lua.LNumber(x)
	case []any:
		t := l.CreateTable(len(x), 0)
		for _, item := range x {
			t.Append(toLua(l, item))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(x))
		for k, item := range x {
			t.RawSetH(lua.LString(k), toLua(l, item))
		}
		return t
	}
	return lua.LNil
}

// TestArgoCDHealth runs config/argocd/health.lua on every captured object.
func TestArgoCDHealth(t *testing.T) {
	script := string(repoFile(t, scriptPath))
	for _, f := range loadFixtures(t) {
		w, ok := expected[f.name]
		if !ok {
			continue // TestFixturesMatchTheCurrentAPI reports it
		}
		t.Run(f.name, func(t *testing.T) {
			g := NewWithT(t)
			st, msg, err := argoHealth(script, f.obj.Object)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(st).To(Equal(w.argo), "message: %s", msg)
			g.Expect(msg).To(Equal(w.argoMessage(f)))
		})
	}
}

// TestArgoCDHealthFailsLoudly: the harness is not lenient, so a broken
// script could not pass the table above.
func TestArgoCDHealthFailsLoudly(t *testing.T) {
	g := NewWithT(t)
	obj := map[string]any{"metadata": map[string]any{"generation": int64(1)}}
	_, _, err := argoHealth(`return {status = "Fine"}`, obj)
	g.Expect(err).To(MatchError(ContainSubstring("no Argo CD health status")))
	_, _, err = argoHealth(`return "Healthy"`, obj)
	g.Expect(err).To(HaveOccurred())
	_, _, err = argoHealth(`return {status = string.upper("healthy")}`, obj)
	g.Expect(err).To(HaveOccurred(), "Argo CD does not open the string library for argocd-cm scripts")
	_, _, err = argoHealth(`while true do end`, obj)
	g.Expect(err).To(HaveOccurred(), "the deadline stops a runaway script")
	st, msg, err := argoHealth(`return {status = "Progressing", message = "gen " .. obj.metadata.generation}`, obj)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect([]string{st, msg}).To(Equal([]string{"Progressing", "gen 1"}), "integers reach Lua as numbers")
}

// TestArgoCDPatchCarriesTheScript: the shipped argocd-cm patch holds
// config/argocd/health.lua, byte for byte, under the key of each kind.
func TestArgoCDPatchCarriesTheScript(t *testing.T) {
	g := NewWithT(t)
	var patch struct {
		Data map[string]string `json:"data"`
	}
	g.Expect(yaml.UnmarshalStrict(repoFile(t, patchPath), &patch)).To(Succeed())
	script := string(repoFile(t, scriptPath))
	g.Expect(patch.Data).To(Equal(map[string]string{
		"resource.customizations.health.databricks.scimops.dev_DatabricksAccount": script,
		"resource.customizations.health.databricks.scimops.dev_User":              script,
		"resource.customizations.health.databricks.scimops.dev_ServicePrincipal":  script,
		"resource.customizations.health.databricks.scimops.dev_Group":             script,
	}))
}
