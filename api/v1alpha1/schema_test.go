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

package v1alpha1_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/naturalkey"
	"github.com/scimops/databricks-scim-operator/internal/testenv"
)

const validAccountID = "0d4d2e6a-6c4b-4f2c-9a51-3d1c7e5b8f21"

func readSamples(file string) []*unstructured.Unstructured {
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "samples", file))
	Expect(err).NotTo(HaveOccurred())
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err == io.EOF {
			return objs
		} else {
			Expect(err).NotTo(HaveOccurred())
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}

var nsCounter int

func newNamespace() string {
	nsCounter++
	return fmt.Sprintf("schema-%d", nsCounter)
}

func account(name string, mutate func(*v1.DatabricksAccount)) *v1.DatabricksAccount {
	a := &v1.DatabricksAccount{}
	a.Name = name
	a.Spec.AccountID = validAccountID
	a.Spec.TokenSecretRef.Name = "token"
	if mutate != nil {
		mutate(a)
	}
	return a
}

func user(mutate func(*v1.User)) *v1.User {
	u := &v1.User{}
	u.GenerateName = "u-"
	u.Namespace = "default"
	u.Spec.AccountRef.Name = "main"
	u.Spec.UserName = "someone@example.com"
	if mutate != nil {
		mutate(u)
	}
	return u
}

func sp(mutate func(*v1.ServicePrincipal)) *v1.ServicePrincipal {
	s := &v1.ServicePrincipal{}
	s.GenerateName = "sp-"
	s.Namespace = "default"
	s.Spec.AccountRef.Name = "main"
	s.Spec.DisplayName = "robot"
	if mutate != nil {
		mutate(s)
	}
	return s
}

func group(mutate func(*v1.Group)) *v1.Group {
	g := &v1.Group{}
	g.GenerateName = "g-"
	g.Namespace = "default"
	g.Spec.AccountRef.Name = "main"
	g.Spec.DisplayName = "engineers"
	if mutate != nil {
		mutate(g)
	}
	return g
}

var accountCounter int

func uniqueAccount(mutate func(*v1.DatabricksAccount)) *v1.DatabricksAccount {
	accountCounter++
	return account(fmt.Sprintf("acct-%d", accountCounter), mutate)
}

var _ = Describe("config/samples", func() {
	ctx := context.Background()

	It("are all accepted and defaulted as documented", func() {
		files := []string{
			"databricks_v1alpha1_databricksaccount.yaml",
			"databricks_v1alpha1_user.yaml",
			"databricks_v1alpha1_serviceprincipal.yaml",
			"databricks_v1alpha1_group.yaml",
		}
		ns := newNamespace()
		Expect(k8sClient.Create(ctx, namespaceObject(ns))).To(Succeed())
		count := 0
		for _, f := range files {
			for _, obj := range readSamples(f) {
				if obj.GetKind() != "DatabricksAccount" {
					obj.SetNamespace(ns)
				}
				Expect(k8sClient.Create(ctx, obj)).To(Succeed(), "sample %s/%s", f, obj.GetName())
				count++
			}
		}
		Expect(count).To(BeNumerically(">=", 9))

		acct := &v1.DatabricksAccount{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: "main"}, acct)).To(Succeed())
		Expect(acct.Spec.SCIMAPIVersion).To(Equal("2.1"))
		Expect(acct.Spec.TokenSecretRef.Key).To(Equal("token"))
		Expect(acct.Spec.SyncInterval.Duration.String()).To(Equal("10m0s"))

		u := &v1.User{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "bob"}, u)).To(Succeed())
		Expect(u.Spec.Active).To(Equal(ptr.To(true)))
		Expect(u.Spec.AdoptionPolicy).To(Equal(v1.AdoptionNever))
		Expect(u.Spec.DeletionPolicy).To(Equal(v1.PrincipalDeactivate))
		Expect(u.Spec.ManagementPolicy).To(Equal(v1.ManagementManage))
		Expect(u.Spec.AccountAdmin).To(BeNil(), "unset fields stay unset: they are not managed")
		Expect(u.Spec.Suspend).To(BeFalse())

		s := &v1.ServicePrincipal{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "etl-pipeline"}, s)).To(Succeed())
		Expect(s.Spec.Active).To(Equal(ptr.To(true)))
		Expect(s.Spec.DeletionPolicy).To(Equal(v1.PrincipalDeactivate))

		g := &v1.Group{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "data-engineers"}, g)).To(Succeed())
		Expect(g.Spec.MembershipPolicy).To(Equal(v1.MembershipAuthoritative))
		Expect(g.Spec.DeletionPolicy).To(Equal(v1.GroupDelete))
		Expect(g.Spec.AdoptionPolicy).To(Equal(v1.AdoptionNever))
		Expect(g.Spec.Members).To(HaveLen(2))
	})
})

var _ = Describe("accepted edge cases", func() {
	ctx := context.Background()

	DescribeTable("loopback hosts may use http",
		func(host string) {
			Expect(k8sClient.Create(ctx, uniqueAccount(func(a *v1.DatabricksAccount) { a.Spec.Host = host }))).To(Succeed())
		},
		Entry("localhost", "http://localhost:8765"),
		Entry("127.0.0.1", "http://127.0.0.1:8765"),
		Entry("another 127/8 address", "http://127.1.2.3"),
		Entry("IPv6 loopback", "http://[::1]:8765"),
		Entry("Azure over https", "https://accounts.azuredatabricks.net"),
	)

	It("allows a change of case in userName, which Databricks ignores", func() {
		u := user(func(u *v1.User) { u.Spec.UserName = "Case@Example.com" })
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		u.Spec.UserName = "case@example.com"
		Expect(k8sClient.Update(ctx, u)).To(Succeed())
	})

	It("accepts fractional rate limits", func() {
		Expect(k8sClient.Create(ctx, uniqueAccount(func(a *v1.DatabricksAccount) {
			a.Spec.RateLimits = &v1.RateLimits{List: "0.5", Patch: "2", Get: "20.25"}
		}))).To(Succeed())
	})
})

var _ = Describe("invalid objects are rejected at admission", func() {
	ctx := context.Background()

	DescribeTable("on create",
		func(obj client.Object, message string) {
			err := k8sClient.Create(ctx, obj)
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("http to a non-loopback host",
			uniqueAccount(func(a *v1.DatabricksAccount) { a.Spec.Host = "http://accounts.cloud.databricks.com" }),
			"host must use https unless it is a loopback address"),
		Entry("a host that is not a URL",
			uniqueAccount(func(a *v1.DatabricksAccount) { a.Spec.Host = "accounts.cloud.databricks.com" }),
			"host must be an absolute http(s) URL"),
		Entry("a host with a query string",
			uniqueAccount(func(a *v1.DatabricksAccount) { a.Spec.Host = "https://accounts.cloud.databricks.com/?x=1" }),
			"host must not carry a query, fragment or credentials"),
		Entry("a host with a path",
			uniqueAccount(func(a *v1.DatabricksAccount) { a.Spec.Host = "https://accounts.cloud.databricks.com/api/2.1" }),
			"host must not have a path"),
		Entry("an ftp host",
			uniqueAccount(func(a *v1.DatabricksAccount) { a.Spec.Host = "ftp://accounts.cloud.databricks.com" }),
			"host must be an absolute http(s) URL"),
		Entry("an accountID that is not a UUID",
			uniqueAccount(func(a *v1.DatabricksAccount) { a.Spec.AccountID = "my-account" }),
			"spec.accountID: Invalid value"),
		Entry("an unknown SCIM API version",
			uniqueAccount(func(a *v1.DatabricksAccount) { a.Spec.SCIMAPIVersion = "3.0" }),
			`spec.scimAPIVersion: Unsupported value: "3.0"`),
		Entry("a zero rate limit",
			uniqueAccount(func(a *v1.DatabricksAccount) { a.Spec.RateLimits = &v1.RateLimits{Patch: "0"} }),
			"spec.rateLimits.patch: Invalid value"),
		Entry("a negative rate limit",
			uniqueAccount(func(a *v1.DatabricksAccount) { a.Spec.RateLimits = &v1.RateLimits{Write: "-1"} }),
			"spec.rateLimits.write: Invalid value"),
		Entry("a zero sync interval",
			uniqueAccount(func(a *v1.DatabricksAccount) { a.Spec.SyncInterval = durationPtr("0s") }),
			"syncInterval must be at least 1s"),
		Entry("a token Secret reference without a name",
			uniqueAccount(func(a *v1.DatabricksAccount) { a.Spec.TokenSecretRef.Name = "" }),
			"spec.tokenSecretRef.name"),
		Entry("a userName that is not an email",
			user(func(u *v1.User) { u.Spec.UserName = "not-an-email" }),
			"spec.userName: Invalid value"),
		Entry("an unknown adoptionPolicy",
			user(func(u *v1.User) { u.Spec.AdoptionPolicy = "Sometimes" }),
			`spec.adoptionPolicy: Unsupported value: "Sometimes"`),
		Entry("an unknown user deletionPolicy",
			user(func(u *v1.User) { u.Spec.DeletionPolicy = "Archive" }),
			`spec.deletionPolicy: Unsupported value: "Archive"`),
		Entry("an unknown managementPolicy",
			user(func(u *v1.User) { u.Spec.ManagementPolicy = "ReadOnly" }),
			`spec.managementPolicy: Unsupported value: "ReadOnly"`),
		Entry("an externalId longer than 64 characters",
			user(func(u *v1.User) { u.Spec.ExternalID = string(bytes.Repeat([]byte("x"), 65)) }),
			"spec.externalId: Too long"),
		Entry("a user without an accountRef name",
			user(func(u *v1.User) { u.Spec.AccountRef.Name = "" }),
			"spec.accountRef.name"),
		Entry("a service principal with neither displayName nor applicationId",
			sp(func(s *v1.ServicePrincipal) { s.Spec.DisplayName = "" }),
			"displayName is required unless applicationId is set"),
		Entry("a service principal applicationId that is not a UUID",
			sp(func(s *v1.ServicePrincipal) { s.Spec.ApplicationID = "etl" }),
			"spec.applicationId: Invalid value"),
		Entry("a reserved built-in group",
			group(func(g *v1.Group) { g.Spec.DisplayName = "Account Users" }),
			"the built-in groups 'account users', 'users' and 'admins' are reserved"),
		Entry("the admins group",
			group(func(g *v1.Group) { g.Spec.DisplayName = "admins" }),
			"are reserved and cannot be managed"),
		Entry("a group deletionPolicy that only principals have",
			group(func(g *v1.Group) { g.Spec.DeletionPolicy = "Deactivate" }),
			`spec.deletionPolicy: Unsupported value: "Deactivate"`),
		Entry("an unknown membershipPolicy",
			group(func(g *v1.Group) { g.Spec.MembershipPolicy = "Exclusive" }),
			`spec.membershipPolicy: Unsupported value: "Exclusive"`),
		Entry("a member naming two principals",
			group(func(g *v1.Group) {
				g.Spec.Members = []v1.GroupMember{{UserRef: &v1.LocalObjectReference{Name: "a"}, UserName: "a@example.com"}}
			}),
			"a member must name exactly one of userRef, servicePrincipalRef, groupRef, userName, applicationId, groupDisplayName"),
		Entry("a member naming nothing",
			group(func(g *v1.Group) { g.Spec.Members = []v1.GroupMember{{}} }),
			"a member must name exactly one of"),
		Entry("a member with a malformed userName",
			group(func(g *v1.Group) { g.Spec.Members = []v1.GroupMember{{UserName: "bob"}} }),
			"spec.members[0].userName: Invalid value"),
		Entry("a group without a displayName",
			group(func(g *v1.Group) { g.Spec.DisplayName = "" }),
			"spec.displayName"),
	)

	It("rejects changing accountID", func() {
		a := uniqueAccount(nil)
		Expect(k8sClient.Create(ctx, a)).To(Succeed())
		a.Spec.AccountID = "11111111-2222-3333-4444-555555555555"
		err := k8sClient.Update(ctx, a)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring("accountID is immutable"))
	})

	It("rejects changing userName", func() {
		u := user(nil)
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		u.Spec.UserName = "someone-else@example.com"
		err := k8sClient.Update(ctx, u)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring("userName is immutable: create a new User instead"))
	})

	It("rejects changing, adding or removing applicationId", func() {
		s := sp(func(s *v1.ServicePrincipal) { s.Spec.ApplicationID = "6ef14233-a641-4f1e-905a-9158cbd3b353" })
		Expect(k8sClient.Create(ctx, s)).To(Succeed())
		s.Spec.ApplicationID = "7ef14233-a641-4f1e-905a-9158cbd3b353"
		err := k8sClient.Update(ctx, s)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring("applicationId is immutable"))

		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(s), s)).To(Succeed())
		s.Spec.ApplicationID = ""
		err = k8sClient.Update(ctx, s)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring("applicationId is immutable: it cannot be added or removed"))

		later := sp(nil)
		Expect(k8sClient.Create(ctx, later)).To(Succeed())
		later.Spec.ApplicationID = "8ef14233-a641-4f1e-905a-9158cbd3b353"
		err = k8sClient.Update(ctx, later)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring("applicationId is immutable: it cannot be added or removed"))
	})
})

// naturalKeyField sets one natural-key field of a fresh object to a value.
type naturalKeyField struct {
	path string // as the API server prints it
	base string // a valid value, varied by the cases
	make func(string) client.Object
}

var naturalKeyFields = []naturalKeyField{
	{"spec.userName", "admin@corp.com", func(s string) client.Object {
		return user(func(u *v1.User) { u.Spec.UserName = s })
	}},
	{"spec.displayName", "engineers", func(s string) client.Object {
		return group(func(g *v1.Group) { g.Spec.DisplayName = s })
	}},
	{"spec.members[0].userName", "admin@corp.com", func(s string) client.Object {
		return group(func(g *v1.Group) { g.Spec.Members = []v1.GroupMember{{UserName: s}} })
	}},
	{"spec.members[0].applicationId", "6ef14233-a641-4f1e-905a-9158cbd3b353", func(s string) client.Object {
		return group(func(g *v1.Group) { g.Spec.Members = []v1.GroupMember{{ApplicationID: s}} })
	}},
	{"spec.members[0].groupDisplayName", "engineers", func(s string) client.Object {
		return group(func(g *v1.Group) { g.Spec.Members = []v1.GroupMember{{GroupDisplayName: s}} })
	}},
	{"spec.displayName", "robot", func(s string) client.Object {
		return sp(func(p *v1.ServicePrincipal) { p.Spec.DisplayName = s })
	}},
	{"spec.applicationId", "6ef14233-a641-4f1e-905a-9158cbd3b353", func(s string) client.Object {
		return sp(func(p *v1.ServicePrincipal) { p.Spec.ApplicationID = s })
	}},
}

func kindOf(obj client.Object) string {
	return strings.TrimPrefix(fmt.Sprintf("%T", obj), "*v1alpha1.")
}

// badNaturalKeys are the examples, made from a field's valid (ASCII)
// value without making it longer: a value over maxLength is refused as "Too
// long" before the CEL rules run.
func badNaturalKeys(base string) []struct{ what, value string } {
	last, first, inner := base[:len(base)-1], base[1:], func(x string) string { return base[:2] + x + base[3:] }
	return []struct{ what, value string }{
		{"a trailing no-break space (U+00A0)", last + "\u00a0"},
		{"a trailing line separator (U+2028)", last + "\u2028"},
		{"a trailing vertical tab", last + "\v"},
		{"only zero-width spaces (U+200B)", "\u200b\u200b\u200b"},
		{"only an ideographic space (U+3000)", "\u3000"},
		{"an ideographic space inside", inner("\u3000")},
		{"a zero-width joiner inside (U+200D)", inner("\u200d")},
		{"a leading space", " " + first},
		{"a trailing space", last + " "},
		{"a byte order mark (U+FEFF)", "\ufeff" + first},
		{"a private-use character (U+E000)", last + "\ue000"},
	}
}

var _ = Describe("natural keys (internal/naturalkey)", func() {
	ctx := context.Background()

	var rejected []TableEntry
	for _, f := range naturalKeyFields {
		for _, bad := range badNaturalKeys(f.base) {
			rejected = append(rejected, Entry(fmt.Sprintf("%s %s with %s", kindOf(f.make(f.base)), f.path, bad.what), f, bad.value))
		}
	}
	DescribeTable("are rejected with a readable message when they contain control, format or non-ASCII space characters or start or end with a space",
		func(f naturalKeyField, value string) {
			Expect(naturalkey.Validate(value)).To(HaveOccurred(), "naturalkey.Validate agrees")
			err := k8sClient.Create(ctx, f.make(value))
			Expect(err).To(HaveOccurred())
			// The API server quotes the value with its invisible characters
			// escaped, then the rule's message.
			Expect(err.Error()).To(ContainSubstring(fmt.Sprintf("%s: Invalid value: %q: %s", f.path, value, naturalKeyMessage)))
		},
		rejected,
	)

	var accepted []TableEntry
	for _, f := range naturalKeyFields {
		var values []string
		switch {
		case strings.Contains(f.path, "userName"):
			values = []string{"first.last+tag@example.com", "Zoë.Müller@example.de", "josé@例え.jp", "ADMIN@Corp.com"}
		case strings.Contains(f.path, "applicationId"):
			values = []string{"6EF14233-A641-4F1E-905A-9158CBD3B353"}
		default:
			values = []string{"Zoë Müller", "José", "データ基盤チーム", "数据 工程", "데이터 엔지니어", "data  engineers", "R&D (EMEA) / ops-42", "ＤＡＴＡ"}
		}
		for _, v := range values {
			accepted = append(accepted, Entry(fmt.Sprintf("%s %s = %q", kindOf(f.make(f.base)), f.path, v), f, v))
		}
	}
	DescribeTable("accept ordinary names, including non-ASCII letters and CJK",
		func(f naturalKeyField, value string) {
			Expect(naturalkey.Validate(value)).To(Succeed(), "naturalkey.Validate agrees")
			Expect(k8sClient.Create(ctx, f.make(value))).To(Succeed())
		},
		accepted,
	)

	DescribeTable("user displayName, givenName and familyName reject control and format characters",
		func(value string, ok bool) {
			for _, field := range []string{"displayName", "givenName", "familyName"} {
				u := user(func(u *v1.User) {
					switch field {
					case "displayName":
						u.Spec.DisplayName = value
					case "givenName":
						u.Spec.GivenName = value
					case "familyName":
						u.Spec.FamilyName = value
					}
				})
				err := k8sClient.Create(ctx, u)
				if ok {
					Expect(err).NotTo(HaveOccurred(), field)
					continue
				}
				Expect(err).To(HaveOccurred(), field)
				Expect(err.Error()).To(ContainSubstring(fmt.Sprintf("spec.%s: Invalid value: %q: %s", field, value, displayTextMessage)))
			}
		},
		Entry("Zoë Müller", "Zoë Müller", true),
		Entry("José", "José", true),
		Entry("a no-break space (not a key: allowed)", "Zoë\u00a0Müller", true),
		Entry("Persian with a zero-width non-joiner", "مهدی\u200cزاده", true),
		Entry("Devanagari with a zero-width joiner", "क्\u200dष", true),
		Entry("a zero-width space", "Zoë\u200bMüller", false),
		Entry("a right-to-left override", "\u202eevil", false),
		Entry("a tab", "Bob\t", false),
		Entry("a bell", "Ann\u0007", false),
		Entry("a byte order mark", "\ufeffBob", false),
	)
})

// The same pattern as a plain OpenAPI "pattern" and in a CEL rule, on a
// throw-away CRD: the API server compiles both and decides like Validate.
var _ = Describe("naturalkey.Pattern in the API server", Ordered, func() {
	ctx := context.Background()
	gvk := schema.GroupVersionKind{Group: "probe.scimops.dev", Version: "v1", Kind: "KeyProbe"}

	BeforeAll(func() {
		str := func(extra map[string]any) map[string]any {
			m := map[string]any{"type": "string", "maxLength": int64(64)}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
		crd := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apiextensions.k8s.io/v1",
			"kind":       "CustomResourceDefinition",
			"metadata":   map[string]any{"name": "keyprobes.probe.scimops.dev"},
			"spec": map[string]any{
				"group": "probe.scimops.dev",
				"scope": "Namespaced",
				"names": map[string]any{"kind": "KeyProbe", "listKind": "KeyProbeList", "plural": "keyprobes", "singular": "keyprobe"},
				"versions": []any{map[string]any{
					"name": "v1", "served": true, "storage": true,
					"schema": map[string]any{"openAPIV3Schema": map[string]any{
						"type": "object",
						"properties": map[string]any{"spec": map[string]any{
							"type": "object",
							"properties": map[string]any{
								"pattern": str(map[string]any{"pattern": naturalkey.Pattern}),
								"cel": str(map[string]any{"x-kubernetes-validations": []any{map[string]any{
									"rule": "self.matches(r'" + naturalkey.Pattern + "')", "message": naturalKeyMessage,
								}}}),
							},
						}},
					}},
				}},
			},
		}}
		Expect(k8sClient.Create(ctx, crd)).To(Succeed())
		Eventually(func() error { return k8sClient.Create(ctx, probe(gvk, "pattern", "ok")) }, 30*time.Second, 200*time.Millisecond).Should(Succeed())
	})

	DescribeTable("decides like naturalkey.Validate",
		func(value string) {
			valid := naturalkey.Validate(value) == nil
			for _, field := range []string{"pattern", "cel"} {
				err := k8sClient.Create(ctx, probe(gvk, field, value))
				if valid {
					Expect(err).NotTo(HaveOccurred(), field)
					continue
				}
				Expect(err).To(HaveOccurred(), field)
				Expect(err.Error()).To(ContainSubstring("spec." + field + ": Invalid value"))
				GinkgoWriter.Printf("%s %q: %v\n", field, value, err)
			}
		},
		Entry("plain", "admin@corp.com"),
		Entry("inner space", "a b"),
		Entry("non-ASCII letters", "Zoë Müller"),
		Entry("CJK", "データ基盤"),
		Entry("symbols and punctuation", "€ ✓ R&D/ops"),
		Entry("combining mark", "Zoe\u0308"),
		Entry("trailing no-break space", "admin@corp.com\u00a0"),
		Entry("trailing line separator", "admin@corp.com\u2028"),
		Entry("trailing vertical tab", "admin@corp.com\v"),
		Entry("zero-width space only", "\u200b"),
		Entry("ideographic space only", "\u3000"),
		Entry("zero-width joiner", "a\u200db"),
		Entry("leading space", " a"),
		Entry("trailing space", "a "),
		Entry("only spaces", "   "),
		Entry("private use", "a\ue000"),
		Entry("unassigned code point", "a\u0378"),
		Entry("tag character", "a\U000E0041"),
		Entry("soft hyphen", "a\u00adb"),
	)
})

func probe(gvk schema.GroupVersionKind, field, value string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{field: value}}}
	u.SetGroupVersionKind(gvk)
	u.SetNamespace("default")
	u.SetGenerateName("probe-")
	return u
}

func durationPtr(s string) *metav1.Duration {
	d, err := time.ParseDuration(s)
	Expect(err).NotTo(HaveOccurred())
	return &metav1.Duration{Duration: d}
}

func namespaceObject(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}
