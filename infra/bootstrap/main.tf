# Run once per AWS account, by an administrator, before any environment
# (docs/deploy.md, "From an empty AWS account"): the S3 bucket and KMS key
# that hold every environment's Terraform state (locking uses S3 conditional
# writes, use_lockfile, so no DynamoDB table), and in github.tf the GitHub
# OIDC provider and the roles the workflows assume. Its own state starts
# local and may then move into the bucket it made (docs/deploy.md).

terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  description = "Region of the state bucket and of both environments (the repository variable AWS_REGION)."
  type        = string
  default     = "eu-west-1"
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

resource "aws_kms_key" "state" {
  description             = "Terraform state of storefront"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
}

# The AWS default: the account administers the key, IAM policies grant its use.
data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:A key policy's "*" resource is this key only; this is the AWS default key policy.
  #checkov:skip=CKV_AWS_111:A key policy's "*" resource is this key only; this is the AWS default key policy.
  #checkov:skip=CKV_AWS_356:In a key policy "*" means this key; it cannot name its own ARN.
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_alias" "state" {
  name          = "alias/storefront-tfstate"
  target_key_id = aws_kms_key.state.key_id
}

resource "aws_s3_bucket" "state" {
  #checkov:skip=CKV_AWS_18:Access to state is audited through CloudTrail; a log bucket for a handful of state files is not worth it.
  #checkov:skip=CKV_AWS_144:Versioned in one region; state can be rebuilt by import, replication is not worth its cost here.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events from the state bucket.
  # Account id and region keep the name globally unique without hard-coding either.
  bucket = "storefront-tfstate-${data.aws_caller_identity.current.account_id}-${var.region}"

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.state.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    id     = "old-state-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 90
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "state" {
  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = data.aws_iam_policy_document.state.json
}

output "state_bucket" {
  description = "The repository variable TF_STATE_BUCKET (-backend-config=bucket=...)."
  value       = aws_s3_bucket.state.id
}

output "state_kms_key_arn" {
  description = "The repository variable TF_STATE_KMS_KEY_ARN (-backend-config=kms_key_id=...)."
  value       = aws_kms_key.state.arn
}

output "region" {
  value = var.region
}
