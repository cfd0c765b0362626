terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # Remote state with S3-native locking. The bucket and its KMS key (created
  # by infra/bootstrap) and the region are given at init (docs/deploy.md;
  # .github/workflows/infra.yml passes them from repository variables):
  #   terraform init -backend-config="bucket=..." -backend-config="region=..." \
  #     -backend-config="kms_key_id=..."
  backend "s3" {
    key          = "storefront/dev/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = "storefront"
      Environment = "dev"
      ManagedBy   = "terraform"
    }
  }
}
