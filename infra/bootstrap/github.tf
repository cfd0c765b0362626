# GitHub Actions reaches AWS only through OIDC: no access keys are stored.
# Each role trusts one kind of job of one repository (the token's `sub`):
#
# - plan (infra.yml on pull requests, `repo:<owner/name>:pull_request`):
#   reads every resource and the state, changes nothing;
# - apply (infra.yml in the dev and production environments,
#   `repo:<owner/name>:environment:<env>`): administers the account, since
#   Terraform creates IAM roles, keys and networks;
# - deploy, one per environment (service.yml, same subjects): pushes that
#   environment's images and rolls out its ECS services and emailer Lambda.
#
# The environments are limited to the main branch in GitHub (deployment
# branch rule, docs/deploy.md), which is what makes "of main" hold.

variable "github_repository" {
  description = "owner/name of the GitHub repository whose workflows may assume the roles."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository is owner/name, e.g. example/storefront."
  }
}

variable "github_environments" {
  description = "GitHub environment => the name prefix of the Terraform environment it deploys (storefront-<environment>: its ECS cluster and ECR prefix)."
  type        = map(string)
  default = {
    dev        = "storefront-dev"
    production = "storefront-prod"
  }
}

variable "create_github_oidc_provider" {
  description = "False when the account already has the token.actions.githubusercontent.com provider (an account holds one per URL)."
  type        = bool
  default     = true
}

locals {
  github_oidc_host = "token.actions.githubusercontent.com"
  account_id       = data.aws_caller_identity.current.account_id
  partition        = data.aws_partition.current.partition
  github_oidc_provider_arn = (
    var.create_github_oidc_provider
    ? aws_iam_openid_connect_provider.github[0].arn
    : data.aws_iam_openid_connect_provider.github[0].arn
  )
  environment_subjects = [for e, _ in var.github_environments : "repo:${var.github_repository}:environment:${e}"]
}

resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_github_oidc_provider ? 1 : 0
  url            = "https://${local.github_oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
  # IAM verifies GitHub's certificate with its own trusted CAs; older
  # providers still require the list.
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]
}

data "aws_iam_openid_connect_provider" "github" {
  count = var.create_github_oidc_provider ? 0 : 1
  url   = "https://${local.github_oidc_host}"
}

# --- plan ---------------------------------------------------------------------

data "aws_iam_policy_document" "plan_trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values   = ["repo:${var.github_repository}:pull_request"]
    }
  }
}

resource "aws_iam_role" "plan" {
  name                 = "storefront-terraform-plan"
  description          = "terraform plan from pull requests of ${var.github_repository} (read-only)"
  assume_role_policy   = data.aws_iam_policy_document.plan_trust.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy_attachment" "plan_read_only" {
  role       = aws_iam_role.plan.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}

# What ReadOnlyAccess lacks for a plan: the state (KMS-encrypted) and the
# values of the secrets Terraform writes (a plan reads them back; the state
# already holds them).
data "aws_iam_policy_document" "plan" {
  statement {
    sid       = "ReadState"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]
  }

  statement {
    sid       = "ReadGeneratedSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [for _, prefix in var.github_environments : "arn:${local.partition}:secretsmanager:${var.region}:${local.account_id}:secret:${prefix}/*"]
  }

  statement {
    sid       = "DecryptStateSecretsAndLambdaSettings"
    actions   = ["kms:Decrypt"]
    resources = ["arn:${local.partition}:kms:${var.region}:${local.account_id}:key/*"]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values = [
        "s3.${var.region}.amazonaws.com",
        "secretsmanager.${var.region}.amazonaws.com",
        "lambda.${var.region}.amazonaws.com",
      ]
    }
  }
}

resource "aws_iam_role_policy" "plan" {
  name   = "state-and-secrets"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.plan.json
}

# --- apply --------------------------------------------------------------------

data "aws_iam_policy_document" "environment_trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values   = local.environment_subjects
    }
  }
}

resource "aws_iam_role" "apply" {
  name                 = "storefront-terraform-apply"
  description          = "terraform apply from the dev and production environments of ${var.github_repository}"
  assume_role_policy   = data.aws_iam_policy_document.environment_trust.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy_attachment" "apply_administrator" {
  #checkov:skip=CKV_AWS_274:Terraform creates IAM roles and policies, KMS keys, networks and every service here; only the main-only dev and production environments of one repository can assume it.
  role       = aws_iam_role.apply.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AdministratorAccess"
}

# --- deploy (one role per environment) ----------------------------------------

data "aws_iam_policy_document" "deploy_trust" {
  for_each = var.github_environments
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values   = ["repo:${var.github_repository}:environment:${each.key}"]
    }
  }
}

resource "aws_iam_role" "deploy" {
  for_each             = var.github_environments
  name                 = "storefront-deploy-${each.key}"
  description          = "Service pipelines of ${var.github_repository} deploying to ${each.value}"
  assume_role_policy   = data.aws_iam_policy_document.deploy_trust[each.key].json
  max_session_duration = 3600
}

# What .github/workflows/service.yml does, on this environment's resources
# only: push `<prefix>/<service>` images, register the family's next
# revision, update the ECS service, update the emailer Lambda's image.
# (GetAuthorizationToken and the task definition calls take no resource;
# the role can pass only this environment's task roles, so a revision it
# registers can run as nothing else.)
data "aws_iam_policy_document" "deploy" {
  for_each = var.github_environments

  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PushOwnImages"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer",
      "ecr:GetRepositoryPolicy",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = ["arn:${local.partition}:ecr:${var.region}:${local.account_id}:repository/${each.value}/*"]
  }

  statement {
    sid       = "TaskDefinitions"
    actions   = ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"]
    resources = ["*"]
  }

  statement {
    sid       = "RollOutOwnServices"
    actions   = ["ecs:DescribeServices", "ecs:UpdateService"]
    resources = ["arn:${local.partition}:ecs:${var.region}:${local.account_id}:service/${each.value}/*"]
  }

  statement {
    sid       = "PassOwnTaskRoles"
    actions   = ["iam:PassRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${each.value}-*"]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  statement {
    sid       = "UpdateOwnEmailer"
    actions   = ["lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:UpdateFunctionCode"]
    resources = ["arn:${local.partition}:lambda:${var.region}:${local.account_id}:function:${each.value}-*-emailer"]
  }
}

resource "aws_iam_role_policy" "deploy" {
  for_each = var.github_environments
  name     = "deploy"
  role     = aws_iam_role.deploy[each.key].id
  policy   = data.aws_iam_policy_document.deploy[each.key].json
}

output "github_oidc_provider_arn" {
  value = local.github_oidc_provider_arn
}

output "plan_role_arn" {
  description = "The repository variable TF_PLAN_ROLE_ARN."
  value       = aws_iam_role.plan.arn
}

output "apply_role_arn" {
  description = "The environment variable TF_APPLY_ROLE_ARN of the dev and production environments."
  value       = aws_iam_role.apply.arn
}

output "deploy_role_arns" {
  description = "GitHub environment => its environment variable AWS_DEPLOY_ROLE_ARN."
  value       = { for e, r in aws_iam_role.deploy : e => r.arn }
}
