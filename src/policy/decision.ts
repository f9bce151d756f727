// What decided a packet's fate: a rule of a security group or a network ACL, or their implicit
// default. Decisions are created once per rule when the policy is compiled, so evaluating
// returns an existing object and allocates nothing.

export type DecisionKind = 'security_group' | 'network_acl';

/** The rule name used when no rule matched and the implicit default applied. */
export const DEFAULT_DENY = 'default-deny';

export interface Decision {
  /** Dense number of this decision in its engine (index into `PolicyEngine.decisions`). */
  readonly code: number;
  readonly accept: boolean;
  readonly action: 'ACCEPT' | 'REJECT';
  readonly kind: DecisionKind;
  /** Security group or network ACL id. */
  readonly id: string;
  /** Rule id (security groups), rule number (ACLs), or DEFAULT_DENY. */
  readonly rule: string;
  /** `<id>/<rule>`: the value written to a flow record's rule_id. */
  readonly ruleId: string;
  readonly description: string;
}

export class DecisionTable {
  readonly all: Decision[] = [];

  add(kind: DecisionKind, id: string, rule: string, accept: boolean, description = ''): Decision {
    const d: Decision = {
      code: this.all.length,
      accept,
      action: accept ? 'ACCEPT' : 'REJECT',
      kind,
      id,
      rule,
      ruleId: `${id}/${rule}`,
      description,
    };
    this.all.push(d);
    return d;
  }
}
