/**
 * What the proof's test files share (permissions.test.ts: the handlers and the CLI against the
 * local servers; doctor.test.ts: `dr doctor` against the mocked account): who runs the code of a
 * recorded label, the cases of a label, the denials of verdicts, and the template copies the
 * negative tests edit. The contract of the harness is the opening comment of permissions.test.ts.
 */
import type { Case, Principal, Verdict } from './evaluate';
import { mappingContext } from './evaluate';
import { toIamRequests, type SdkCall } from './recorder';
import { synthesizePolicyModel, type PolicyModel, type StackTemplate } from './templates';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Labels of code that operators run with the `<app>-dr-operator` policy (the `dr` CLI). */
export const OPERATOR_LABELS: readonly string[] = ['cli', 'doctor', 'doctor --page-test'];

/**
 * An operator's role: it holds the customer-managed policy `policyName` (`<app>-dr-operator`) and
 * its companion `<policyName>-restore` (docs/security.md "Operator access" attaches both); `running` names
 * the command in its label.
 */
export function operatorPrincipal(policyName: string, running?: string): Principal {
  return {
    kind: 'managed-policy',
    name: policyName,
    holds: [policyName, `${policyName}-restore`],
    label: `operator (${policyName})${running ? ` running dr ${running}` : ''}`,
  };
}

/** The recorded requests of `who` as cases of `principal`, mapped with `m`'s bucket keys. */
export function casesOf(m: PolicyModel, calls: readonly SdkCall[], who: string, principal: Principal): Case[] {
  const ctx = mappingContext(m);
  return calls.filter((c) => c.who === who).flatMap((c) => toIamRequests(c, ctx).map((request) => ({ who: principal, request })));
}

/** The distinct denial reasons of `verdicts`. */
export const denied = (v: readonly Verdict[]) => [...new Set(v.filter((x) => !x.allowed).map((x) => x.reason))];

/** A model of a copy of `templates` with `edit` applied to the properties of every `type` resource of `stackId`. */
export function editedModel(
  templates: readonly StackTemplate[],
  stackId: StackTemplate['id'],
  type: string,
  edit: (props: Record<string, Json>) => void,
): PolicyModel {
  const copy = structuredClone(templates) as StackTemplate[];
  const stack = copy.find((s) => s.id === stackId)!;
  let edited = 0;
  for (const r of Object.values(stack.template.Resources as Record<string, { Type: string; Properties: Record<string, Json> }>)) {
    if (r.Type !== type) continue;
    edit(r.Properties);
    edited++;
  }
  if (edited === 0) throw new Error(`no ${type} in the ${stackId} template to edit`);
  return synthesizePolicyModel(copy);
}

/** Removes `action` from every statement of `doc`. */
export const withoutAction = (doc: { Statement: { Action: string | string[] }[] }, action: string) => {
  for (const s of doc.Statement) s.Action = ([] as string[]).concat(s.Action).filter((a) => a !== action);
};
