/** IAM helpers shared by the per-service defaults: where a role's grants land, for scoped cdk-nag acknowledgements. */
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/** The role's default policy (where grants land), to scope acknowledgements to it; the role if none yet. */
export function policyOf(role: iam.IRole): IConstruct {
  return role.node.tryFindChild('DefaultPolicy') ?? role;
}
