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

package controller

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

// The hostile cases of the tenancy model (design §6): each was possible
// before the trust model existed.
var _ = Describe("Tenant isolation", func() {
	ctx := context.Background()

	It("ignores a hand-written create-pending annotation: adoptionPolicy Never cannot be bypassed", func() {
		s := newScenario(withPermissions())
		admin := s.fake.SeedUser(scim.User{UserName: "admin@corp.com", Active: ptr.To(true), Roles: []scim.ComplexValue{{Value: scim.RoleAccountAdmin}}})
		u := s.user("takeover", "admin@corp.com", func(u *v1.User) {
			u.Annotations = map[string]string{"databricks.scimops.dev/create-pending": "userName=admin@corp.com"}
			u.Spec.Active = ptr.To(false)
			u.Spec.AccountAdmin = ptr.To(false)
			u.Spec.DeletionPolicy = v1.PrincipalDelete
		})
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectReason(u, metav1.ConditionFalse, v1.ReasonAlreadyExists)
		Expect(u.Status.ID).To(BeEmpty())

		Expect(k8sClient.Delete(ctx, u)).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(u), &v1.User{}))
		}).Should(BeTrue())
		Expect(s.fake.Writes()).To(BeZero())
		r, ok := s.fake.User(admin.ID)
		Expect(ok).To(BeTrue(), "the admin was not deleted")
		Expect(r.IsActive()).To(BeTrue())
		Expect(r.HasRole(scim.RoleAccountAdmin)).To(BeTrue())
	})

	It("takes a create-pending marker as its own only when it carries the object's uid", func() {
		s := newScenario()
		other := s.fake.SeedUser(scim.User{UserName: "someone@corp.com"})
		u := s.user("copycat", "someone@corp.com", func(u *v1.User) { u.Spec.Suspend = true })
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		base := u.DeepCopy()
		u.Status.CreatePending = &v1.CreatePending{UID: "00000000-uid-of-another-object", NaturalKey: "userName=someone@corp.com", Since: metav1.Now()}
		Expect(k8sClient.Status().Patch(ctx, u, client.MergeFrom(base))).To(Succeed())
		patchObject(u, func(u *v1.User) { u.Spec.Suspend = false })
		expectReason(u, metav1.ConditionFalse, v1.ReasonAlreadyExists)
		Expect(u.Status.ID).To(BeEmpty())
		Expect(s.fake.Writes()).To(BeZero())
		Expect(other.ID).NotTo(BeEmpty())
	})

	It("lets a tenant with the shipped editor role edit a User but never its status (the create marker)", func() {
		s := newScenario()
		u := s.user("tenant-owned", "tenant@example.com")
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectCurrent(u)

		tenant := tenantClient(s.namespace, "user_editor_role.yaml")
		var mine v1.User
		Expect(tenant.Get(ctx, client.ObjectKeyFromObject(u), &mine)).To(Succeed())
		base := mine.DeepCopy()
		mine.Spec.DisplayName = "Edited by the tenant"
		Expect(tenant.Patch(ctx, &mine, client.MergeFrom(base))).To(Succeed(), "the editor role may change the spec")

		Expect(tenant.Get(ctx, client.ObjectKeyFromObject(u), &mine)).To(Succeed())
		base = mine.DeepCopy()
		mine.Status.CreatePending = &v1.CreatePending{UID: mine.UID, NaturalKey: "userName=admin@corp.com", Since: metav1.Now()}
		err := tenant.Status().Patch(ctx, &mine, client.MergeFrom(base))
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "status is operator state; got %v", err)
	})

	It("refuses accountAdmin without the permission, with no SCIM write, and applies it once granted", Label(healthFixtures), func() {
		s := newScenario()
		s.fake.SeedUser(scim.User{UserName: "mallory@example.com"})
		g := s.group("escalate", "escalate", []v1.GroupMember{{UserName: "mallory@example.com"}}, func(g *v1.Group) { g.Spec.AccountAdmin = ptr.To(true) })
		u := s.user("self-admin", "eve@example.com", func(u *v1.User) { u.Spec.AccountAdmin = ptr.To(true) })
		Expect(k8sClient.Create(ctx, g)).To(Succeed())
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		for _, obj := range []identityObject{g, u} {
			expectReason(obj, metav1.ConditionFalse, v1.ReasonNotPermitted)
			Expect(meta.IsStatusConditionTrue(obj.GetIdentityStatus().Conditions, v1.ConditionStalled)).To(BeTrue())
			Expect(readyOf(obj).Message).To(ContainSubstring("spec.permissions.accountAdmin.namespaceSelector"))
		}
		captureHealthFixture("user-notpermitted", u)
		Expect(s.fake.Writes()).To(BeZero())

		By("granting it to namespaces with a label, then labelling this one")
		patchObject(getAccount(s.account), func(a *v1.DatabricksAccount) {
			a.Spec.Permissions = &v1.AccountPermissions{AccountAdmin: &v1.NamespacePermission{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"dbx.scimops.dev/admin": "true"}}}}
		})
		Consistently(func(g Gomega) string { return readyCondition(g, u).Reason }, "1s").Should(Equal(v1.ReasonNotPermitted))
		labelNamespace(s.namespace, "dbx.scimops.dev/admin", "true")
		expectCurrent(u)
		expectCurrent(g)
		r, _ := s.fake.UserByName("eve@example.com")
		Expect(r.HasRole(scim.RoleAccountAdmin)).To(BeTrue())
	})

	It("refuses adoption without the permission and leaves the existing principal alone", func() {
		s := newScenario(func(a *v1.DatabricksAccount, _ *scimfake.Options) {
			a.Spec.Permissions = &v1.AccountPermissions{AccountAdmin: &v1.NamespacePermission{NamespaceSelector: &metav1.LabelSelector{}}}
		})
		admin := s.fake.SeedUser(scim.User{UserName: "console-admin@corp.com", Active: ptr.To(true)})
		u := s.user("grab", "console-admin@corp.com", func(u *v1.User) {
			u.Spec.AdoptionPolicy = v1.AdoptionIfExists
			u.Spec.Active = ptr.To(false)
		})
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectReason(u, metav1.ConditionFalse, v1.ReasonNotPermitted)
		Expect(readyOf(u).Message).To(ContainSubstring("spec.permissions.adoption.namespaceSelector"))
		Expect(s.fake.Writes()).To(BeZero())
		r, _ := s.fake.User(admin.ID)
		Expect(r.IsActive()).To(BeTrue())
	})

	It("shares ownership, inventory and rate limits between two DatabricksAccounts of one account", func() {
		s := newScenario(withPermissions())
		first := s.user("shared", "shared@example.com")
		Expect(k8sClient.Create(ctx, first)).To(Succeed())
		expectCurrent(first)

		other, otherNS := s.secondAccount()
		second := s.user("shared", "shared@example.com", func(u *v1.User) {
			u.Namespace = otherNS
			u.Spec.AccountRef.Name = other
			u.Spec.AdoptionPolicy = v1.AdoptionIfExists
			u.Spec.DisplayName = "Overwritten"
		})
		Expect(k8sClient.Create(ctx, second)).To(Succeed())
		expectReason(second, metav1.ConditionFalse, v1.ReasonConflict)
		Expect(readyOf(second).Message).To(ContainSubstring(s.namespace + "/shared"))
		Expect(second.Status.ID).To(BeEmpty())
		Expect(requestsTo(s.fake, http.MethodPatch, "/Users")).To(BeZero())

		a, err := registry.For(getAccount(s.account))
		Expect(err).NotTo(HaveOccurred())
		b, err := registry.For(getAccount(other))
		Expect(err).NotTo(HaveOccurred())
		Expect(b.Inventory).To(BeIdenticalTo(a.Inventory), "one inventory per Databricks account")
		Expect(b.Endpoint).To(Equal(a.Endpoint))
		Expect(k8sClient.Delete(ctx, second)).To(Succeed())
	})

	It("never lets a service principal keyed by displayName take one another namespace holds by applicationId", func() {
		s := newScenario(withPermissions(), withFakeOptions(func(o *scimfake.Options) { o.AzureMode = true }))
		const appID = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
		owned := s.servicePrincipal("etl", "etl", func(sp *v1.ServicePrincipal) { sp.Spec.ApplicationID = appID })
		Expect(k8sClient.Create(ctx, owned)).To(Succeed())
		expectCurrent(owned)

		otherNS := s.namespace + "-b"
		newNamespace(otherNS)
		thief := s.servicePrincipal("etl", "etl", func(sp *v1.ServicePrincipal) {
			sp.Namespace = otherNS
			sp.Spec.AdoptionPolicy = v1.AdoptionIfExists
			sp.Spec.Active = ptr.To(false)
			sp.Spec.DeletionPolicy = v1.PrincipalDelete
		})
		s.fake.ResetRequests()
		Expect(k8sClient.Create(ctx, thief)).To(Succeed())
		expectReason(thief, metav1.ConditionFalse, v1.ReasonConflict)
		Expect(readyOf(thief).Message).To(ContainSubstring(s.namespace + "/etl"))
		Expect(thief.Status.ID).To(BeEmpty())

		By("an id recorded in the thief's status is still never written on deletion")
		patchObject(thief, func(sp *v1.ServicePrincipal) { sp.Spec.Suspend = true })
		base := thief.DeepCopy()
		thief.Status.ID = owned.Status.ID
		Expect(k8sClient.Status().Patch(ctx, thief, client.MergeFrom(base))).To(Succeed())
		Expect(k8sClient.Delete(ctx, thief)).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(thief), &v1.ServicePrincipal{}))
		}).Should(BeTrue())
		Expect(s.fake.Writes()).To(BeZero())
		r, ok := s.fake.ServicePrincipalByApplicationID(appID)
		Expect(ok).To(BeTrue())
		Expect(r.IsActive()).To(BeTrue())
		expectCurrent(owned)
	})

	It("lets the resource managing a group keep it when an older one is renamed onto its name", func() {
		s := newScenario()
		otherNS := s.namespace + "-b"
		newNamespace(otherNS)
		older := s.group("renamed", "team-b-group", nil, func(g *v1.Group) { g.Namespace = otherNS })
		Expect(k8sClient.Create(ctx, older)).To(Succeed())
		expectCurrent(older)
		u := s.user("member", "member@example.com")
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectCurrent(u)
		victim := s.group("platform", "platform", []v1.GroupMember{{UserRef: &v1.LocalObjectReference{Name: "member"}}})
		Expect(k8sClient.Create(ctx, victim)).To(Succeed())
		expectCurrent(victim)

		patchObject(older, func(g *v1.Group) { g.Spec.DisplayName = "platform"; g.Spec.Members = nil })
		expectReason(older, metav1.ConditionFalse, v1.ReasonConflict)
		Expect(readyOf(older).Message).To(ContainSubstring(s.namespace + "/platform"))
		Consistently(func(g Gomega) string { return readyCondition(g, victim).Reason }, "2s").Should(Equal(v1.ReasonSynced))
		r, _ := s.fake.Group(victim.Status.ID)
		Expect(r.DisplayName).To(Equal("platform"))
		Expect(r.Members).To(HaveLen(1), "the victim's members stay")
	})

	It("lets no refused resource block another namespace from a name", func() {
		s := newScenario()
		otherNS := s.namespace + "-b"
		newNamespace(otherNS)
		squatter := s.user("vip", "vip@example.com", func(u *v1.User) { u.Namespace = otherNS; u.Spec.AccountAdmin = ptr.To(true) })
		Expect(k8sClient.Create(ctx, squatter)).To(Succeed())
		expectReason(squatter, metav1.ConditionFalse, v1.ReasonNotPermitted)

		u := s.user("vip", "vip@example.com")
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectCurrent(u)
		Expect(requestsTo(s.fake, http.MethodPost, "/Users")).To(Equal(1))
	})

	It("adopts no service principal whose displayName several share (Ambiguous)", Label(healthFixtures), func() {
		s := newScenario(withPermissions())
		s.fake.SeedServicePrincipal(scim.ServicePrincipal{DisplayName: "dup", ApplicationID: "0b1c2d3e-0000-4000-8000-000000000001"})
		s.fake.SeedServicePrincipal(scim.ServicePrincipal{DisplayName: "dup", ApplicationID: "0b1c2d3e-0000-4000-8000-000000000002"})
		sp := s.servicePrincipal("dup", "dup", func(sp *v1.ServicePrincipal) { sp.Spec.AdoptionPolicy = v1.AdoptionIfExists })
		Expect(k8sClient.Create(ctx, sp)).To(Succeed())
		expectReason(sp, metav1.ConditionFalse, v1.ReasonAmbiguous)
		captureHealthFixture("serviceprincipal-ambiguous", sp)
		Expect(sp.Status.ID).To(BeEmpty())
		Expect(s.fake.Writes()).To(BeZero())
	})

	It("sends no token to a host outside the allow list", Label(healthFixtures), func() {
		for _, host := range []string{"https://169.254.169.254", "https://kubernetes.default.svc"} {
			name := fmt.Sprintf("exfil-%d", seq.Add(1))
			secret := tokenSecret(name, "precious")
			Expect(k8sClient.Create(ctx, secret)).To(Succeed())
			acct := &v1.DatabricksAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}
			acct.Spec.AccountID = "22222222-0000-4000-8000-000000000001"
			acct.Spec.Host = host
			acct.Spec.TokenSecretRef = v1.SecretKeyReference{Name: name, Key: "token"}
			Expect(k8sClient.Create(ctx, acct)).To(Succeed())
			DeferCleanup(func() { Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, acct))).To(Succeed()) })
			Eventually(func(g Gomega) string {
				c := accountReady(g, name)
				g.Expect(c).NotTo(BeNil())
				return c.Reason
			}).Should(Equal(v1.ReasonHostNotAllowed), host)
			Expect(accountReady(Default, name).Message).To(ContainSubstring("--allowed-hosts"))
			if host == "https://169.254.169.254" {
				captureAccountFixture("databricksaccount-hostnotallowed", name)
			}
		}
	})

	It("never echoes a non-JSON answer into a condition", func() {
		const marker = "SECRET-BODY-MARKER-0123456789"
		var hits atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			hits.Add(1)
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusOK)
			_, _ = fmt.Fprintf(w, "<html><title>%s</title><body>%s</body></html>", marker, strings.Repeat(marker, 20))
		}))
		DeferCleanup(srv.Close)
		name := fmt.Sprintf("echo-%d", seq.Add(1))
		Expect(k8sClient.Create(ctx, tokenSecret(name, "tok-en-xyz"))).To(Succeed())
		acct := &v1.DatabricksAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}
		acct.Spec.AccountID = "22222222-0000-4000-8000-000000000002"
		acct.Spec.Host = srv.URL
		acct.Spec.TokenSecretRef = v1.SecretKeyReference{Name: name, Key: "token"}
		Expect(k8sClient.Create(ctx, acct)).To(Succeed())
		DeferCleanup(func() { Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, acct))).To(Succeed()) })
		Eventually(func(g Gomega) string { c := accountReady(g, name); g.Expect(c).NotTo(BeNil()); return c.Reason }).Should(Equal(v1.ReasonTokenInvalid))
		Expect(accountReady(Default, name).Message).NotTo(ContainSubstring(marker))
		Expect(hits.Load()).To(BeNumerically(">", 0), "loopback is allowed in this suite: the request was made")
	})

	It("records the SCIM id of a group with hundreds of unresolved members and deletes it by policy", func() {
		s := newScenario()
		var members []v1.GroupMember
		for i := range 400 {
			members = append(members, v1.GroupMember{UserName: fmt.Sprintf("nobody-%03d-%s@example.com", i, strings.Repeat("x", 230))})
		}
		g := s.group("many-missing", "many-missing", members)
		Expect(k8sClient.Create(ctx, g)).To(Succeed())
		expectReason(g, metav1.ConditionFalse, v1.ReasonMembersUnresolved)
		Expect(g.Status.ID).NotTo(BeEmpty(), "the status write went through")
		Expect(g.Status.UnresolvedMembers).To(HaveLen(v1.MaxUnresolvedMembers))
		Expect(g.Status.UnresolvedMemberCount).To(Equal(int32(400)))
		for _, c := range g.Status.Conditions {
			Expect(len(c.Message)).To(BeNumerically("<=", v1.MaxMessageLength), c.Type)
		}
		Expect(readyOf(g).Message).To(HaveSuffix("…(truncated)"), "five long names exceed the bound")
		Eventually(func() []string { return eventsFor(g) }).Should(ContainElement(v1.ReasonMembersUnresolved))
		for _, e := range eventList(g) {
			Expect(len(e.Note)).To(BeNumerically("<=", v1.MaxMessageLength), e.Reason)
		}

		id := g.Status.ID
		Expect(k8sClient.Delete(ctx, g)).To(Succeed())
		Eventually(func() bool { _, ok := s.fake.Group(id); return ok }).Should(BeFalse(), "the deletion policy ran")
	})

	It("backs a refused membership PATCH off exponentially instead of a fixed pause", func() {
		s := newScenario()
		u1 := s.user("m1", "m1@example.com")
		u2 := s.user("m2", "m2@example.com")
		Expect(k8sClient.Create(ctx, u1)).To(Succeed())
		Expect(k8sClient.Create(ctx, u2)).To(Succeed())
		expectCurrent(u1)
		expectCurrent(u2)
		g := s.group("team", "team", []v1.GroupMember{{UserRef: &v1.LocalObjectReference{Name: "m1"}}})
		Expect(k8sClient.Create(ctx, g)).To(Succeed())
		expectCurrent(g)

		By("deleting m2 in Databricks behind the operator's back, then adding it to the group")
		Expect(s.fake.Delete(scim.ResourceUsers, u2.Status.ID)).To(Succeed())
		patchObject(g, func(g *v1.Group) {
			g.Spec.Members = append(g.Spec.Members, v1.GroupMember{UserRef: &v1.LocalObjectReference{Name: "m2"}})
		})
		var times []time.Time
		Eventually(func() int {
			times = times[:0]
			for _, r := range s.fake.Requests() {
				if r.Method == http.MethodPatch && strings.HasSuffix(r.Path, "/Groups/"+g.Status.ID) && r.Status == http.StatusBadRequest {
					times = append(times, r.Time)
				}
			}
			return len(times)
		}, "60s").Should(BeNumerically(">=", 8), "retried, not parked for 30 s")
		first, last := times[1].Sub(times[0]), times[len(times)-1].Sub(times[len(times)-2])
		Expect(last).To(BeNumerically(">=", 3*first), "the pauses grow: first %v, last %v", first, last)
	})
})

// secondAccount creates another DatabricksAccount for the scenario's
// Databricks account (same host and id, its own namespace), as a platform
// team would for a second tenant; it returns its name and namespace.
func (s *scenario) secondAccount() (string, string) {
	GinkgoHelper()
	ctx := context.Background()
	name, ns := s.account+"-b", s.namespace+"-b"
	newNamespace(ns)
	acct := getAccount(s.account).DeepCopy()
	b := &v1.DatabricksAccount{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: acct.Spec}
	b.Spec.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}}
	Expect(k8sClient.Create(ctx, b)).To(Succeed())
	DeferCleanup(func() {
		Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, b))).To(Succeed())
	})
	Eventually(func(g Gomega) bool { c := accountReady(g, name); return c != nil && c.Status == metav1.ConditionTrue }).Should(BeTrue())
	return name, ns
}

func getAccount(name string) *v1.DatabricksAccount {
	GinkgoHelper()
	var a v1.DatabricksAccount
	Expect(k8sClient.Get(context.Background(), client.ObjectKey{Name: name}, &a)).To(Succeed())
	return &a
}

// newNamespace creates a namespace whose identities are deleted when the
// spec ends, before its scenario's account is.
func newNamespace(name string) {
	GinkgoHelper()
	ctx := context.Background()
	Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	DeferCleanup(func() {
		for _, obj := range []client.Object{&v1.Group{}, &v1.User{}, &v1.ServicePrincipal{}} {
			Expect(k8sClient.DeleteAllOf(ctx, obj, client.InNamespace(name))).To(Succeed())
		}
	})
}

func tokenSecret(name, token string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: secretNamespace, Labels: map[string]string{v1.LabelToken: "true"}},
		Data:       map[string][]byte{"token": []byte(token)},
	}
}

func labelNamespace(name, key, value string) {
	GinkgoHelper()
	patchObject(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, func(ns *corev1.Namespace) {
		if ns.Labels == nil {
			ns.Labels = map[string]string{}
		}
		ns.Labels[key] = value
	})
}

// tenantClient is a client acting as a tenant bound, in namespace, to the
// shipped ClusterRole in config/rbac/<roleFile>.
func tenantClient(namespace, roleFile string) client.Client {
	GinkgoHelper()
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "rbac", roleFile))
	Expect(err).NotTo(HaveOccurred())
	var role rbacv1.ClusterRole
	Expect(yaml.Unmarshal(raw, &role)).To(Succeed())
	role.Name = fmt.Sprintf("%s-%d", role.Name, seq.Add(1))
	Expect(k8sClient.Create(ctx, &role)).To(Succeed())
	user := "tenant-of-" + namespace
	Expect(k8sClient.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role.Name, Namespace: namespace},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	})).To(Succeed())
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	c, err := client.New(cfg, client.Options{Scheme: scheme.Scheme})
	Expect(err).NotTo(HaveOccurred())
	return c
}

// eventList returns the Events recorded for obj.
func eventList(obj client.Object) []eventsv1.Event {
	var list eventsv1.EventList
	Expect(k8sClient.List(context.Background(), &list, client.InNamespace(eventNamespace(obj)))).To(Succeed())
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Name == obj.GetName() && e.Regarding.Namespace == obj.GetNamespace() {
			out = append(out, e)
		}
	}
	return out
}
