terraform {
  required_version = ">= 1.6"
  backend "remote" {
    organization = "tallyfin"
    token        = "⟦S provider-token terraform-cloud⟧"
    workspaces { name = "shop-prod" }
  }
}

provider "aws" {
  region     = "eu-west-1"
  access_key = "⟦S provider-token aws-access-key⟧"
  secret_key = "⟦S provider-token aws-secret-key⟧"
}

provider "digitalocean" {
  token = "⟦S provider-token digitalocean⟧"
}

provider "datadog" {
  api_key = var.datadog_api_key
  app_key = "⟦S provider-token datadog-app-key⟧"
}

resource "aws_db_instance" "shop" {
  identifier          = "shop-prod"
  engine              = "postgres"
  instance_class      = "db.t4g.medium"
  username            = "shop_admin"
  password            = "⟦S password-assignment password⟧"
  skip_final_snapshot = false
}

resource "random_password" "api" {
  length  = 32
  special = false
}

variable "datadog_api_key" {
  type        = string
  description = "⟦N natural-language =Datadog API key used by the agent and the monitors⟧"
  sensitive   = true
}

variable "db_password" {
  type    = string
  default = "⟦N placeholder =CHANGE_ME⟧"
}

resource "kubernetes_secret" "shop" {
  metadata { name = "shop" }
  data = {
    password = random_password.api.result
    api_key  = "⟦S generic-assignment alnum32⟧"
    pulumi   = "⟦S provider-token pulumi⟧"
  }
}

output "password_policy_arn" {
  value = "⟦N identifier =arn:aws:iam::123456789012:policy/PasswordRotation⟧"
}
