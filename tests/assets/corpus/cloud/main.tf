provider "aws" {
  region     = "eu-west-1"
  access_key = "AKIAFAKEFAKEFAKEFAKE"
  secret_key = "FAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfake"
}

variable "db_password" {
  default = "fake-terraform-password"
}
