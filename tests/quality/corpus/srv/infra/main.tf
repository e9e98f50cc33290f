terraform {
  required_version = ">= 1.6"
  backend "remote" {
    organization = "tallyfin"
    token        = "RV1C3PteI2ZecJ.atlasv1.OyRfTLZ1uwvHs8UN3ymZcTYfO1qCZLMPEUOHMlcy6PWEeaSl34HKHEBvs0pyxirf7Ib"
    workspaces { name = "shop-prod" }
  }
}

provider "aws" {
  region     = "eu-west-1"
  access_key = "AKIARK3P72YF44U2L5IJ"
  secret_key = "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"
}

provider "digitalocean" {
  token = "dop_v1_52b7e861dc0f6900a9fbbf952078da944104900fa3c77401db0be99d60659e88"
}

provider "datadog" {
  api_key = var.datadog_api_key
  app_key = "a783170640218168bee7685cb364341ca28c6795"
}

resource "aws_db_instance" "shop" {
  identifier          = "shop-prod"
  engine              = "postgres"
  instance_class      = "db.t4g.medium"
  username            = "shop_admin"
  password            = "Mango53_ZeKwB"
  skip_final_snapshot = false
}

resource "random_password" "api" {
  length  = 32
  special = false
}

variable "datadog_api_key" {
  type        = string
  description = "Datadog API key used by the agent and the monitors"
  sensitive   = true
}

variable "db_password" {
  type    = string
  default = "CHANGE_ME"
}

resource "kubernetes_secret" "shop" {
  metadata { name = "shop" }
  data = {
    password = random_password.api.result
    api_key  = "4aycfSQEzfBmk8avkwZyYILhr956yzdQ"
    pulumi   = "pul-bbe05f31ce67cee9cf14e3f419c8195012024af2"
  }
}

output "password_policy_arn" {
  value = "arn:aws:iam::123456789012:policy/PasswordRotation"
}
