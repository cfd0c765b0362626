# db-init: a one-off Fargate task (run after each apply that adds a
# service or changes a password; it is idempotent) that creates each
# service's role and database and sets the role's password. It reads the
# master credentials and the service passwords from Secrets Manager, and
# verifies the server like the services do (verify-full against the RDS CA
# bundle, fetched into its scratch volume first).

data "aws_region" "current" {}

resource "aws_secretsmanager_secret" "db_init" {
  #checkov:skip=CKV2_AWS_57:Holds the generated service passwords; rotated by re-applying with new ones and re-running db-init (docs/deploy.md).
  name                    = "${var.name}/db-init"
  description             = "Service database passwords, read by the db-init task (managed by Terraform)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "db_init" {
  secret_id     = aws_secretsmanager_secret.db_init.id
  secret_string = jsonencode({ for service, _ in local.databases : service => random_password.service[service].result })
}

locals {
  master_secret_arn = aws_db_instance.this.master_user_secret[0].secret_arn

  # psql variables keep the passwords out of the SQL text; \gexec runs
  # CREATE DATABASE only when it is missing (it cannot run in a DO block).
  init_sql = join("\n", [for service, db in local.databases : <<-SQL
    \set pw `printenv PW_${upper(service)}`
    SELECT 'CREATE ROLE ${service}_service LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${service}_service')\gexec
    ALTER ROLE ${service}_service WITH LOGIN PASSWORD :'pw';
    GRANT ${service}_service TO CURRENT_USER;
    SELECT 'CREATE DATABASE ${db} OWNER ${service}_service' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${db}')\gexec
    REVOKE ALL ON DATABASE ${db} FROM PUBLIC;
    SQL
  ])
}

resource "aws_cloudwatch_log_group" "db_init" {
  name              = "/ecs/${var.name}/db-init"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_ecs_task_definition" "db_init" {
  family                   = "${var.name}-db-init"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = aws_iam_role.db_init.arn

  # Fargate task storage, writable although the root filesystem is not.
  volume {
    name = "scratch"
  }

  container_definitions = jsonencode([{
    name                   = "db-init"
    image                  = var.db_init_image
    essential              = true
    readonlyRootFilesystem = true
    command                = ["sh", "-c", "wget -q -O \"$PGSSLROOTCERT\" \"$CA_BUNDLE_URL\" && printf '%s\\n' \"$INIT_SQL\" | psql -v ON_ERROR_STOP=1 -d postgres"]
    # The root filesystem is read-only; the CA bundle goes to this volume.
    mountPoints = [{ sourceVolume = "scratch", containerPath = "/scratch", readOnly = false }]
    environment = [
      { name = "PGHOST", value = aws_db_instance.this.address },
      { name = "PGPORT", value = tostring(aws_db_instance.this.port) },
      { name = "PGSSLMODE", value = "verify-full" },
      { name = "PGSSLROOTCERT", value = "/scratch/rds-global-bundle.pem" },
      { name = "CA_BUNDLE_URL", value = var.ca_bundle_url },
      { name = "INIT_SQL", value = local.init_sql },
    ]
    secrets = concat(
      [
        { name = "PGUSER", valueFrom = "${local.master_secret_arn}:username::" },
        { name = "PGPASSWORD", valueFrom = "${local.master_secret_arn}:password::" },
      ],
      [for service, _ in local.databases : { name = "PW_${upper(service)}", valueFrom = "${aws_secretsmanager_secret.db_init.arn}:${service}::" }],
    )
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.db_init.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = "db-init"
      }
    }
  }])
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "db_init" {
  name_prefix        = "${var.name}-db-init-"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "db_init" {
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [local.master_secret_arn, aws_secretsmanager_secret.db_init.arn]
  }
  statement {
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.db_init.arn}:*"]
  }
}

resource "aws_iam_role_policy" "db_init" {
  role   = aws_iam_role.db_init.id
  policy = data.aws_iam_policy_document.db_init.json
}

resource "aws_security_group" "db_init" {
  #checkov:skip=CKV2_AWS_5:Attached at run time: db_init_command passes it to `aws ecs run-task`.
  name        = "${var.name}-db-init"
  description = "db-init task: Postgres, and HTTPS to pull its image, read secrets and fetch the RDS CA bundle"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "db_init_postgres" {
  security_group_id            = aws_security_group.db_init.id
  description                  = "Postgres"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.db.id
}

resource "aws_vpc_security_group_egress_rule" "db_init_https" {
  security_group_id = aws_security_group.db_init.id
  description       = "HTTPS: image registry, Secrets Manager, CloudWatch Logs, the RDS CA bundle"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}
