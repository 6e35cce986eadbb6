// Reads a JSON array of IAM requests on stdin and prints one verdict per request, as a JSON array.
// Test-only: @cloud-copilot/iam-simulate is AGPL-3.0 and is never imported by the product.
//
// Request: {id, principal, action, resource, resourceAccount, identityPolicies: [document],
//           resourcePolicy: document | null, context: {key: value}}
// Verdict: {id, result: "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied" | "Error", detail}
import { runSimulation } from '@cloud-copilot/iam-simulate'

async function readStdin() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

async function evaluate(request) {
  const simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount },
      contextVariables: request.context ?? {},
    },
    identityPolicies: request.identityPolicies.map((policy, index) => ({ name: `identity-${index}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  }
  if (request.resourcePolicy) simulation.resourcePolicy = request.resourcePolicy
  const response = await runSimulation(simulation, {})
  if (response.resultType === 'error') {
    return { id: request.id, result: 'Error', detail: JSON.stringify(response.errors) }
  }
  return { id: request.id, result: response.overallResult, detail: response.resultType }
}

const requests = await readStdin()
const verdicts = []
for (const request of requests) verdicts.push(await evaluate(request))
process.stdout.write(JSON.stringify(verdicts))
