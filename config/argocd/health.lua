-- Argo CD health check for databricks.scimops.dev (DatabricksAccount, User,
-- ServicePrincipal, Group) of databricks-scim-operator; see its docs/gitops.md.
local hs = {status = "Progressing", message = "Waiting for the operator to report status"}
if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "spec.suspend is true"
  return hs
end
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
local gen = obj.metadata.generation
local seen = obj.status.observedGeneration
local stale = gen ~= nil and (seen == nil or seen < gen)
local ready, stalled
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Ready" then ready = c end
  if c.type == "Stalled" and c.status == "True" then stalled = c end
end
if stalled ~= nil or (ready ~= nil and ready.status == "True") then
  -- A verdict on an older spec says nothing about the current one.
  if stale then
    hs.message = "Waiting for the operator to apply generation " .. gen
    return hs
  end
  if stalled ~= nil then
    hs.status = "Degraded"
    hs.message = stalled.reason .. ": " .. (stalled.message or "")
    return hs
  end
  hs.status = "Healthy"
  hs.message = ready.message or ""
  return hs
end
if ready == nil then
  return hs
end
if ready.reason == "TokenInvalid" or ready.reason == "MembershipCycle" then
  hs.status = "Degraded"
end
hs.message = ready.reason .. ": " .. (ready.message or "")
return hs
