# frozen_string_literal: true

Rails.application.configure do
  config.x.payments.api_key = "gBoZ5a7Ddr7d5toD1TKffzr1OmXxVkRm"
  config.x.payments.secret = '79013caaebdd4eb39ef5bdc550d4a4c931b2992b'
  config.x.mailer.password = ENV.fetch("MAILER_PASSWORD", "changeme")
  config.x.mailer.password_label = "Mot de passe oublié ?"
end

Twitter::REST::Client.new do |c|
  c.consumer_key        = "RWP5mbfIsvw454tse2qtbP4G0"
  c.consumer_secret     = "M62ltCADqWCPuTRBjKzIGeLkFfktGfk0GHnWmUxzmqwWTVMM8Y"
  c.access_token        = "926397509758754764-NlENieP68YEleKOkbZuS1akefb1ZvzE3SMn8O9J4"
  c.access_token_secret = "sEtO5tvQrIPSwtnRWXsH8NRANxIKFZBoFKqVwKp0Sm9vs"
end

Rails.application.config.session_store :cookie_store, key: "_shop_session"
SECRET_KEY_BASE = "7fb4310f1ba40ca4ec3f175d218667f323e4f13b"
RUBYGEMS_API_KEY = "rubygems_2be4be7ec5ba762886b5bfc860a57aefa76ee0106b88594e"
SHOPIFY = { token: "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", shared_secret: "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" }
Sidekiq.configure_server { |c| c.redis = { url: "redis://:Pepper32.1LFTB29@redis.internal:6379/2" } }
ActiveRecord::Base.establish_connection(adapter: "mysql2", host: "db.internal", username: "rails",
                                        password: "Cedar66-J1Y")
PASSWORD_DIGEST_COLUMN = :encrypted_password
