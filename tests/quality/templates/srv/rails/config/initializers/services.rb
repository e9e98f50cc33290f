# frozen_string_literal: true

Rails.application.configure do
  config.x.payments.api_key = "⟦S generic-assignment alnum32⟧"
  config.x.payments.secret = '⟦S generic-assignment hex40⟧'
  config.x.mailer.password = ENV.fetch("MAILER_PASSWORD", "⟦N placeholder =changeme⟧")
  config.x.mailer.password_label = "⟦N natural-language =Mot de passe oublié ?⟧"
end

Twitter::REST::Client.new do |c|
  c.consumer_key        = "⟦S oauth1 oauth-consumer-key⟧"
  c.consumer_secret     = "⟦S oauth1 oauth-consumer-secret⟧"
  c.access_token        = "⟦S oauth1 oauth-token⟧"
  c.access_token_secret = "⟦S oauth1 oauth-token-secret⟧"
end

Rails.application.config.session_store :cookie_store, key: "⟦N identifier =_shop_session⟧"
SECRET_KEY_BASE = "⟦S generic-assignment hex40⟧"
RUBYGEMS_API_KEY = "⟦S provider-token rubygems⟧"
SHOPIFY = { token: "⟦S provider-token shopify-access⟧", shared_secret: "⟦S provider-token shopify-shared-secret⟧" }
Sidekiq.configure_server { |c| c.redis = { url: "redis://:⟦S connection-string password⟧@redis.internal:6379/2" } }
ActiveRecord::Base.establish_connection(adapter: "mysql2", host: "db.internal", username: "rails",
                                        password: "⟦S password-assignment password⟧")
PASSWORD_DIGEST_COLUMN = :⟦N identifier =encrypted_password⟧
