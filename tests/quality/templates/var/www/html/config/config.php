<?php
// Legacy storefront configuration (deployed as-is to /var/www/html).
define('DB_HOST', 'db.internal');
define('DB_USER', 'wordpress');
define('DB_PASSWORD', '⟦S password-assignment password⟧');
define('AUTH_KEY', '⟦S generic-assignment alnum40⟧');
define('SECURE_AUTH_SALT', '⟦N placeholder =put your unique phrase here⟧');
define('NONCE_KEY', '⟦S generic-assignment alnum40⟧');

$config = [
    'api_key' => '⟦S generic-assignment hex32⟧',
    'client_secret' => '⟦S generic-assignment urlsafe43⟧',
    'mail' => ['password' => '⟦S password-assignment short-password⟧', 'password_reset_page' => '⟦N file-path =/wp-login.php?action=lostpassword⟧'],
    'oauth' => [
        'consumer_key' => '⟦S oauth1 oauth-consumer-key⟧',
        'consumer_secret' => '⟦S oauth1 oauth-consumer-secret⟧',
    ],
    'license_key' => '⟦S uuid-key uuid⟧',
    'install_id' => '⟦N uuid-identifier uuid⟧',
    'password' => getenv('SHOP_PASSWORD') ?: '⟦N placeholder =xxxx⟧',
];

$lang['password'] = '⟦N natural-language =Contraseña⟧';
$lang['password_forgot'] = '⟦N natural-language =¿Olvidaste tu contraseña?⟧';
$headers = ['Authorization: Bearer ⟦S auth-header sentry-user⟧'];
