// The benchmark peer: answers the questions an iamlake snapshot asks — for
// every role of one account, each sensitive action on the resource `*` — with
// @cloud-copilot/iam-simulate, on the same authorization-details JSON.
// scripts/bench.py installs the package at bench time (it is AGPL: only
// called, never copied) and times this program end to end.
//
//   node iam-simulate-peer.mjs <authorization-details.json> <org.json> <actions>
//
// org.json (written by bench.py from the fixture's organization folder):
//   {"account_id": "...", "management": false, "scp_levels": [[{"name", "policy"}]]}
// actions: comma-separated, e.g. iam:PassRole,sts:AssumeRole
// Prints one JSON line: roles, decisions, and the count of each overall result.
import { readFileSync } from 'node:fs'
import { runSimulation } from '@cloud-copilot/iam-simulate'

const [detailsPath, orgPath, actionList] = process.argv.slice(2)
if (!actionList) {
  console.error('usage: iam-simulate-peer.mjs <authorization-details.json> <org.json> <actions>')
  process.exit(2)
}
const actions = actionList.split(',')
const org = JSON.parse(readFileSync(orgPath, 'utf8'))

// A paged export is a list of pages; documents are JSON or URL-encoded JSON
// text, as the raw API returns them.
const parsed = JSON.parse(readFileSync(detailsPath, 'utf8'))
const pages = Array.isArray(parsed) ? parsed : [parsed]
const decode = (d) =>
  typeof d === 'string' ? JSON.parse(d.trimStart().startsWith('{') ? d : decodeURIComponent(d)) : d

const managed = new Map()
for (const page of pages) {
  for (const p of page.Policies ?? []) {
    const version = (p.PolicyVersionList ?? []).find((v) => v.IsDefaultVersion)
    if (version) managed.set(p.Arn, { name: p.PolicyName, policy: decode(version.Document) })
  }
}
const scps = org.scp_levels.map((level, i) => ({
  orgIdentifier: `level-${i}`,
  policies: level,
}))

const counts = {}
let decisions = 0
let roles = 0
for (const page of pages) {
  for (const role of page.RoleDetailList ?? []) {
    roles++
    const identityPolicies = [
      ...(role.RolePolicyList ?? []).map((p) => ({ name: p.PolicyName, policy: decode(p.PolicyDocument) })),
      ...(role.AttachedManagedPolicies ?? []).map((a) => managed.get(a.PolicyArn)).filter(Boolean),
    ]
    const boundaryArn = role.PermissionsBoundary?.PermissionsBoundaryArn
    const boundary = boundaryArn && managed.get(boundaryArn)
    // AWS exempts the management account and service-linked roles from SCPs.
    const exempt = org.management || (role.Path ?? '').startsWith('/aws-service-role/')
    for (const action of actions) {
      const result = await runSimulation(
        {
          request: {
            principal: role.Arn,
            action,
            resource: { resource: '*', accountId: org.account_id },
            contextVariables: {},
          },
          identityPolicies,
          serviceControlPolicies: exempt ? [] : scps,
          resourceControlPolicies: [],
          permissionBoundaryPolicies: boundary ? [boundary] : undefined,
        },
        {},
      )
      const key = result.resultType === 'error' ? 'Error' : result.overallResult
      counts[key] = (counts[key] ?? 0) + 1
      decisions++
    }
  }
}
console.log(JSON.stringify({ roles, decisions, counts }))
