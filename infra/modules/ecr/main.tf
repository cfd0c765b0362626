# One repository per service, `<name_prefix>/<service>`: immutable tags
# (releases are tagged with the commit), scan on push, KMS encryption,
# untagged images expired.

resource "aws_ecr_repository" "this" {
  for_each             = toset(var.repositories)
  name                 = "${var.name_prefix}/${each.key}"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }
}

# Only untagged images expire (layers left behind by a rebuild). A tagged
# image is a release (its commit) that a task definition revision, the
# emailer Lambda or a rollback may still name, including the image_tag that
# Terraform's own revisions name, so none is ever expired.
resource "aws_ecr_lifecycle_policy" "this" {
  for_each   = aws_ecr_repository.this
  repository = each.value.name

  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Untagged images go after a week; tagged releases stay"
        selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 7 }
        action       = { type = "expire" }
      },
    ]
  })
}
