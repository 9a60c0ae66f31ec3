// The node Jobs' IAM role in terraform/modules/runner/aws-iam.tf: exactly the ECR calls the
// runner makes (the ECR API commands core/aws/ecrAuthorization.ts imports, read from its
// source, plus the two actions ECR checks for the registry reads a pull makes), for the
// ServiceAccount that makes them, in each identity mode.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { blocks, expr, first, type Json, loadTfDir, named, RUNNER, type TfDir } from './hcl.ts';

let mod: TfDir;

beforeAll(async () => {
  mod = await loadTfDir(RUNNER);
});

/** `ecr:<Action>` for every command of @aws-sdk/client-ecr the runner's ECR adapter imports. */
function ecrApiActions(): string[] {
  const source = readFileSync('core/aws/ecrAuthorization.ts', 'utf8');
  const imports = /import \{([^}]*)\} from '@aws-sdk\/client-ecr'/.exec(source)?.[1] ?? '';
  return [...imports.matchAll(/\b(\w+)Command\b(?!Output|Input)/g)].map((m) => `ecr:${m[1]}`);
}

/** What ECR authorizes, against the token's identity, for a pull's registry reads (manifests, blobs). */
const PULL_ACTIONS = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];

type Statement = { sid?: string; actions: string[]; resources: Json };

describe('terraform runner IAM role (aws_identity)', () => {
  it('grants the ECR actions the runner uses and nothing else, GetAuthorizationToken alone on "*"', () => {
    // Prepare
    const doc = first(blocks(mod, 'data').aws_iam_policy_document?.runner_node_ecr);
    // Act
    const statements = doc.statement as Statement[];
    const granted = statements.flatMap((s) => s.actions).sort();
    // Assess
    expect(ecrApiActions()).toEqual(['ecr:GetAuthorizationToken']);
    expect(granted).toEqual([...ecrApiActions(), ...PULL_ACTIONS].sort());
    const onStar = statements.filter((s) => JSON.stringify(s.resources) === '["*"]');
    expect(onStar.flatMap((s) => s.actions)).toEqual(['ecr:GetAuthorizationToken']);
    expect(statements.find((s) => s.sid === 'EcrPull')?.resources).toBe(
      expr('var.aws_identity.repository_arns'),
    );
  });

  it("trusts only the node Jobs' ServiceAccount: through its IRSA token, or through EKS Pod Identity", () => {
    // Prepare
    const trust = first(blocks(mod, 'data').aws_iam_policy_document?.runner_node_trust);
    const dynamics = (trust.dynamic as { statement: Array<Record<string, Json>> }).statement;
    const contents = dynamics.map((d) => first(d.content));
    const source = readFileSync(`${RUNNER}/aws-iam.tf`, 'utf8');
    // Act
    const podIdentity = contents.find((c) => JSON.stringify(c.actions).includes('sts:AssumeRole"'));
    const irsa = contents.find((c) => JSON.stringify(c.actions).includes('AssumeRoleWithWebIdentity'));
    // Assess
    expect(contents).toHaveLength(2);
    expect(podIdentity?.actions).toEqual(['sts:AssumeRole', 'sts:TagSession']);
    expect(first(podIdentity?.principals)).toMatchObject({
      type: 'Service',
      identifiers: ['pods.eks.amazonaws.com'],
    });
    expect(irsa?.condition).toEqual([
      {
        test: 'StringEquals',
        variable: `${expr('local.runner_oidc_issuer')}:sub`,
        values: [expr('local.runner_node_sa')],
      },
      {
        test: 'StringEquals',
        variable: `${expr('local.runner_oidc_issuer')}:aud`,
        values: ['sts.amazonaws.com'],
      },
    ]);
    expect(source).toContain(
      `runner_node_sa     = "system:serviceaccount:${expr('local.runner_ns')}:imagewarden-node"`,
    );
    // the association and the annotation name the same ServiceAccount the node Jobs run as
    const association = first(blocks(mod, 'resource').aws_eks_pod_identity_association?.runner_node);
    expect(association.service_account).toBe(expr('kubernetes_service_account_v1.node[0].metadata[0].name'));
    const account = first(first(blocks(mod, 'resource').kubernetes_service_account_v1?.node).metadata);
    expect(account.name).toBe('imagewarden-node');
    expect(String(account.annotations)).toContain('eks.amazonaws.com/role-arn');
  });

  it('is off by default and defaults to EKS Pod Identity when set', () => {
    // Act
    const variable = named(mod, 'variable').aws_identity;
    // Assess
    expect(variable?.default).toBeNull();
    expect(String(variable?.type)).toContain('mode = optional(string, "pod_identity")');
  });
});
