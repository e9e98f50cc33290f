<?php
// Legacy storefront configuration (deployed as-is to /var/www/html).
define('DB_HOST', 'db.internal');
define('DB_USER', 'wordpress');
define('DB_PASSWORD', 'Pepper1907_4NoUxw');
define('AUTH_KEY', 'fgrllIdwboCDKjbrsLYpKNaZ5PAVzzC9POu9MAlb');
define('SECURE_AUTH_SALT', 'put your unique phrase here');
define('NONCE_KEY', 'ZSMWuclC2U8BFH3xXx9w5NbXw2i1TmHhhVYZFHzO');

$config = [
    'api_key' => 'cb9fb414c4854b5942affb2a33ad0259',
    'client_secret' => 'zNRXqzI4_LEEbjIUTgfx8Wq6Nv19Ryo37wV_5E1D1k2',
    'mail' => ['password' => 'wzi526', 'password_reset_page' => '/wp-login.php?action=lostpassword'],
    'oauth' => [
        'consumer_key' => 'ZVZIfu1MgjxncQfNkx72R33tr',
        'consumer_secret' => 'IMc6GCdzzG7PWYokliUGjxdplMBhMamtab9OaHrsikdLtYI1re',
    ],
    'license_key' => '4741a6ec-9e80-438f-808a-835143281f2f',
    'install_id' => 'be266fe9-d2cc-487e-8d99-913e5ff622e4',
    'password' => getenv('SHOP_PASSWORD') ?: 'xxxx',
];

$lang['password'] = 'Contraseña';
$lang['password_forgot'] = '¿Olvidaste tu contraseña?';
$headers = ['Authorization: Bearer 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'];
